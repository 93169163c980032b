//! The JSON-RPC surface of the local chain: the methods the node and CLI
//! use plus the basics any Solana client expects, with Solana's response
//! and error shapes so `RpcClient` reads them as it reads a validator's.

use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};
use solana_account::Account;
use solana_hash::Hash;
use solana_message::VersionedMessage;
use solana_rpc_client_api::custom_error::{
    JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
    JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::UiTransactionError;

use super::{Chain, TxRecord, BLOCKHASH_VALID_BLOCKS};

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;
/// The Agave version this bank comes from.
const CORE_VERSION: &str = "3.1.12";

#[derive(Debug)]
struct RpcError {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("Internal error: {e}"))
    }
}

type RpcResult = Result<Value, RpcError>;

pub(crate) fn router(chain: Arc<Chain>) -> Router {
    Router::new().route("/", post(handle)).with_state(chain)
}

async fn handle(State(chain): State<Arc<Chain>>, body: Bytes) -> Json<Value> {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Json(error_response(
                Value::Null,
                RpcError::new(PARSE_ERROR, format!("Parse error: {e}")),
            ))
        }
    };
    match request {
        Value::Array(batch) => {
            let mut out = Vec::with_capacity(batch.len());
            for request in batch {
                out.push(handle_one(&chain, request).await);
            }
            Json(Value::Array(out))
        }
        request => Json(handle_one(&chain, request).await),
    }
}

async fn handle_one(chain: &Arc<Chain>, request: Value) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return error_response(id, RpcError::new(INVALID_REQUEST, "Invalid request"));
    };
    let params = request.get("params").cloned().unwrap_or(Value::Null);
    match dispatch(chain, method, &params).await {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err(e) => error_response(id, e),
    }
}

fn error_response(id: Value, e: RpcError) -> Value {
    let mut error = json!({"code": e.code, "message": e.message});
    if let Some(data) = e.data {
        error["data"] = data;
    }
    json!({"jsonrpc": "2.0", "error": error, "id": id})
}

async fn dispatch(chain: &Arc<Chain>, method: &str, params: &Value) -> RpcResult {
    match method {
        "getVersion" => Ok(json!({"solana-core": CORE_VERSION, "feature-set": 0})),
        "getHealth" => Ok(json!("ok")),
        "getSlot" => Ok(json!(slot(chain))),
        "getBlockHeight" => Ok(json!(chain.block_height.load(Ordering::SeqCst))),
        "getEpochInfo" => get_epoch_info(chain).await,
        "getGenesisHash" => Ok(json!(Hash::default().to_string())),
        "getLatestBlockhash" => get_latest_blockhash(chain).await,
        "isBlockhashValid" => is_blockhash_valid(chain, params).await,
        "getBalance" => get_balance(chain, params).await,
        "requestAirdrop" => request_airdrop(chain, params).await,
        "getAccountInfo" => get_account_info(chain, params).await,
        "getMultipleAccounts" => get_multiple_accounts(chain, params).await,
        "getProgramAccounts" => get_program_accounts(chain, params).await,
        "getMinimumBalanceForRentExemption" => get_minimum_balance(chain, params).await,
        "getFeeForMessage" => get_fee_for_message(chain, params).await,
        "getRecentPrioritizationFees" => Ok(json!([])),
        "simulateTransaction" => simulate_transaction(chain, params).await,
        "sendTransaction" => send_transaction(chain, params).await,
        "getSignatureStatuses" => get_signature_statuses(chain, params).await,
        "getTransaction" => get_transaction(chain, params).await,
        "getSignaturesForAddress" => get_signatures_for_address(chain, params).await,
        _ => Err(RpcError::new(METHOD_NOT_FOUND, "Method not found")),
    }
}

// ---- parameters ----

fn param(params: &Value, index: usize) -> Option<&Value> {
    params.get(index).filter(|v| !v.is_null())
}

fn required(params: &Value, index: usize) -> Result<&Value, RpcError> {
    param(params, index)
        .ok_or_else(|| RpcError::invalid_params("Invalid params: missing parameter"))
}

fn pubkey_param(value: &Value) -> Result<Pubkey, RpcError> {
    value
        .as_str()
        .and_then(|s| Pubkey::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))
}

fn config_str<'a>(params: &'a Value, index: usize, key: &str) -> Option<&'a str> {
    param(params, index)
        .and_then(|c| c.get(key))
        .and_then(Value::as_str)
}

fn config_bool(params: &Value, index: usize, key: &str) -> bool {
    param(params, index)
        .and_then(|c| c.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn slot(chain: &Chain) -> u64 {
    chain.slot.load(Ordering::SeqCst)
}

fn context(chain: &Chain) -> Value {
    json!({"slot": slot(chain), "apiVersion": CORE_VERSION})
}

fn with_context(chain: &Chain, value: Value) -> Value {
    json!({"context": context(chain), "value": value})
}

// ---- accounts ----

fn encode_account(account: &Account, encoding: Option<&str>) -> Result<Value, RpcError> {
    let data = match encoding.unwrap_or("binary") {
        "base64" | "jsonParsed" => json!([BASE64.encode(&account.data), "base64"]),
        "base64+zstd" => {
            let packed =
                zstd::encode_all(account.data.as_slice(), 0).map_err(RpcError::internal)?;
            json!([BASE64.encode(packed), "base64+zstd"])
        }
        "base58" => json!([bs58::encode(&account.data).into_string(), "base58"]),
        "binary" => json!(bs58::encode(&account.data).into_string()),
        other => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: unsupported encoding {other}"
            )))
        }
    };
    Ok(json!({
        "lamports": account.lamports,
        "data": data,
        "owner": account.owner.to_string(),
        "executable": account.executable,
        "rentEpoch": account.rent_epoch,
        "space": account.data.len(),
    }))
}

async fn fetch(chain: &Chain, address: Pubkey) -> Result<Option<Account>, RpcError> {
    chain
        .banks
        .get_account(address)
        .await
        .map_err(RpcError::internal)
}

async fn get_balance(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    let lamports = fetch(chain, address).await?.map_or(0, |a| a.lamports);
    Ok(with_context(chain, json!(lamports)))
}

async fn get_account_info(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    let encoding = config_str(params, 1, "encoding");
    let value = match fetch(chain, address).await? {
        Some(account) => encode_account(&account, encoding)?,
        None => Value::Null,
    };
    Ok(with_context(chain, value))
}

async fn get_multiple_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let keys = required(params, 0)?
        .as_array()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected an array of keys"))?;
    if keys.len() > 100 {
        return Err(RpcError::invalid_params(
            "Too many inputs provided; max 100",
        ));
    }
    let encoding = config_str(params, 1, "encoding");
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        values.push(match fetch(chain, pubkey_param(key)?).await? {
            Some(account) => encode_account(&account, encoding)?,
            None => Value::Null,
        });
    }
    Ok(with_context(chain, Value::Array(values)))
}

async fn get_program_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let program = pubkey_param(required(params, 0)?)?;
    let config = param(params, 1);
    let encoding = config_str(params, 1, "encoding");
    let filters: Vec<RpcFilterType> = match config.and_then(|c| c.get("filters")) {
        Some(f) if !f.is_null() => serde_json::from_value(f.clone())
            .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))?,
        _ => Vec::new(),
    };
    for filter in &filters {
        filter
            .verify()
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e}")))?;
    }
    let keys: Vec<Pubkey> = chain.accounts.lock().await.iter().copied().collect();
    let mut matches = Vec::new();
    for key in keys {
        let Some(account) = fetch(chain, key).await? else {
            continue;
        };
        if account.owner != program || !filters.iter().all(|f| filter_allows(f, &account.data)) {
            continue;
        }
        matches.push(
            json!({"pubkey": key.to_string(), "account": encode_account(&account, encoding)?}),
        );
    }
    let value = Value::Array(matches);
    if config
        .and_then(|c| c.get("withContext"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        Ok(with_context(chain, value))
    } else {
        Ok(value)
    }
}

fn filter_allows(filter: &RpcFilterType, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => false,
    }
}

async fn get_minimum_balance(chain: &Chain, params: &Value) -> RpcResult {
    let size = required(params, 0)?
        .as_u64()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected a data length"))?;
    let rent = chain.banks.get_rent().await.map_err(RpcError::internal)?;
    Ok(json!(rent.minimum_balance(size as usize)))
}

// ---- blocks and fees ----

async fn get_epoch_info(chain: &Chain) -> RpcResult {
    let schedule = chain
        .banks
        .get_sysvar::<anchor_lang::prelude::EpochSchedule>()
        .await
        .map_err(RpcError::internal)?;
    let slot = slot(chain);
    let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
    Ok(json!({
        "absoluteSlot": slot,
        "blockHeight": chain.block_height.load(Ordering::SeqCst),
        "epoch": epoch,
        "slotIndex": slot_index,
        "slotsInEpoch": schedule.get_slots_in_epoch(epoch),
        "transactionCount": chain.transactions.lock().await.len(),
    }))
}

async fn get_latest_blockhash(chain: &Chain) -> RpcResult {
    let blockhash = *chain.latest_blockhash.lock().await;
    let height = chain.block_height.load(Ordering::SeqCst);
    Ok(with_context(
        chain,
        json!({"blockhash": blockhash.to_string(), "lastValidBlockHeight": height + BLOCKHASH_VALID_BLOCKS}),
    ))
}

/// The bank knows a blockhash iff it can price a message that uses it.
async fn blockhash_is_valid(chain: &Chain, blockhash: Hash) -> Result<bool, RpcError> {
    let mut message = solana_message::Message::new(&[], Some(&chain.faucet.pubkey()));
    message.recent_blockhash = blockhash;
    let fee = chain
        .banks
        .get_fee_for_message(message)
        .await
        .map_err(RpcError::internal)?;
    Ok(fee.is_some())
}

async fn is_blockhash_valid(chain: &Chain, params: &Value) -> RpcResult {
    let blockhash = required(params, 0)?
        .as_str()
        .and_then(|s| Hash::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))?;
    let valid = blockhash_is_valid(chain, blockhash).await?;
    Ok(with_context(chain, json!(valid)))
}

async fn get_fee_for_message(chain: &Chain, params: &Value) -> RpcResult {
    let encoded = required(params, 0)?
        .as_str()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected a message"))?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e}")))?;
    let message: VersionedMessage = bincode::deserialize(&bytes)
        .map_err(|e| RpcError::invalid_params(format!("invalid message: {e}")))?;
    let VersionedMessage::Legacy(message) = message else {
        return Err(RpcError::invalid_params(
            "Invalid params: only legacy messages are supported by localnet",
        ));
    };
    let fee = chain
        .banks
        .get_fee_for_message(message)
        .await
        .map_err(RpcError::internal)?;
    Ok(with_context(chain, json!(fee)))
}

// ---- transactions ----

fn decode_transaction(params: &Value) -> Result<VersionedTransaction, RpcError> {
    let encoded = required(params, 0)?.as_str().ok_or_else(|| {
        RpcError::invalid_params("Invalid params: expected an encoded transaction")
    })?;
    let bytes = match config_str(params, 1, "encoding").unwrap_or("base58") {
        "base64" => BASE64
            .decode(encoded)
            .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e}")))?,
        "base58" => bs58::decode(encoded)
            .into_vec()
            .map_err(|e| RpcError::invalid_params(format!("invalid base58 encoding: {e}")))?,
        other => {
            return Err(RpcError::invalid_params(format!(
                "Invalid params: unsupported encoding {other}"
            )))
        }
    };
    bincode::deserialize(&bytes).map_err(|e| {
        RpcError::invalid_params(format!("failed to deserialize VersionedTransaction: {e}"))
    })
}

fn verify_signatures(tx: &VersionedTransaction) -> Result<(), RpcError> {
    if tx.verify_with_results().iter().all(|ok| *ok) {
        Ok(())
    } else {
        Err(RpcError::new(
            JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
            "Transaction signature verification failure",
        ))
    }
}

fn ui_error(e: &TransactionError) -> Value {
    serde_json::to_value(UiTransactionError::from(e.clone())).unwrap_or(Value::Null)
}

struct Simulation {
    result: Result<(), TransactionError>,
    logs: Vec<String>,
    units: u64,
}

async fn simulate(chain: &Chain, tx: &VersionedTransaction) -> Result<Simulation, RpcError> {
    // Executing (even simulating) while the slot clock builds the next bank
    // deadlocks inside Agave's program cache (a nested read lock behind the
    // warp's write lock), so execution and warps take turns.
    let _turn = chain.ctx.lock().await;
    let outcome = chain
        .banks
        .simulate_transaction(tx.clone())
        .await
        .map_err(RpcError::internal)?;
    let (logs, units) = outcome
        .simulation_details
        .map(|d| (d.logs, d.units_consumed))
        .unwrap_or_default();
    Ok(Simulation {
        // No result means the bank would not even load it: an unknown
        // blockhash or a fee payer that cannot pay.
        result: outcome
            .result
            .unwrap_or(Err(TransactionError::BlockhashNotFound)),
        logs,
        units,
    })
}

fn simulation_value(sim: &Simulation) -> Value {
    json!({
        "err": sim.result.as_ref().err().map(ui_error),
        "logs": sim.logs,
        "accounts": null,
        "unitsConsumed": sim.units,
        "returnData": null,
        "innerInstructions": null,
        "replacementBlockhash": null,
    })
}

async fn simulate_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let mut tx = decode_transaction(params)?;
    if config_bool(params, 1, "sigVerify") {
        verify_signatures(&tx)?;
    }
    let mut replacement = Value::Null;
    if config_bool(params, 1, "replaceRecentBlockhash") {
        let blockhash = *chain.latest_blockhash.lock().await;
        tx.message.set_recent_blockhash(blockhash);
        let height = chain.block_height.load(Ordering::SeqCst);
        replacement = json!({"blockhash": blockhash.to_string(), "lastValidBlockHeight": height + BLOCKHASH_VALID_BLOCKS});
    }
    let sim = simulate(chain, &tx).await?;
    let mut value = simulation_value(&sim);
    value["replacementBlockhash"] = replacement;
    Ok(with_context(chain, value))
}

async fn send_transaction(chain: &Arc<Chain>, params: &Value) -> RpcResult {
    let tx = decode_transaction(params)?;
    verify_signatures(&tx)?;
    let signature = tx.signatures[0];
    if !config_bool(params, 1, "skipPreflight") {
        let sim = simulate(chain, &tx).await?;
        if let Err(e) = &sim.result {
            return Err(RpcError {
                code: JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
                message: format!("Transaction simulation failed: {e}"),
                data: Some(simulation_value(&sim)),
            });
        }
    }
    process_to_completion(chain, tx).await?;
    Ok(json!(signature.to_string()))
}

/// `process` on its own task: a client that hangs up mid-request (a node
/// killed while sending) cancels its handler, and must not cancel the
/// recording of a transaction the bank has already executed.
async fn process_to_completion(
    chain: &Arc<Chain>,
    tx: VersionedTransaction,
) -> Result<(), RpcError> {
    let chain = chain.clone();
    tokio::spawn(async move { process(&chain, tx).await })
        .await
        .map_err(RpcError::internal)?
}

/// Executes a transaction in the current bank and records it. A transaction
/// the bank will not load (unknown blockhash, duplicate) leaves no record,
/// as it would never land on a real cluster either.
async fn process(chain: &Chain, tx: VersionedTransaction) -> Result<(), RpcError> {
    let keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
    let ctx = chain.ctx.lock().await;
    let mut pre_balances = Vec::with_capacity(keys.len());
    for key in &keys {
        pre_balances.push(fetch(chain, *key).await?.map_or(0, |a| a.lamports));
    }
    let fee = match &tx.message {
        VersionedMessage::Legacy(m) => chain
            .banks
            .get_fee_for_message(m.clone())
            .await
            .map_err(RpcError::internal)?
            .unwrap_or(0),
        VersionedMessage::V0(_) => 5_000 * tx.signatures.len() as u64,
    };
    let outcome = ctx
        .banks_client
        .process_transaction_with_metadata(tx.clone())
        .await
        .map_err(RpcError::internal)?;
    drop(ctx);
    if matches!(
        outcome.result,
        Err(TransactionError::BlockhashNotFound | TransactionError::AlreadyProcessed)
    ) {
        return Ok(());
    }
    let mut post_balances = Vec::with_capacity(keys.len());
    for key in &keys {
        post_balances.push(fetch(chain, *key).await?.map_or(0, |a| a.lamports));
    }
    chain.accounts.lock().await.extend(keys.iter().copied());
    let (logs, compute_units) = outcome
        .metadata
        .map(|m| (m.log_messages, m.compute_units_consumed))
        .unwrap_or_default();
    let mut transactions = chain.transactions.lock().await;
    let record = TxRecord {
        sequence: transactions.len() as u64,
        slot: slot(chain),
        transaction: tx,
        result: outcome.result,
        logs,
        compute_units,
        fee,
        pre_balances,
        post_balances,
    };
    let signature = record.transaction.signatures[0];
    transactions.insert(signature, record);
    Ok(())
}

async fn request_airdrop(chain: &Arc<Chain>, params: &Value) -> RpcResult {
    let to = pubkey_param(required(params, 0)?)?;
    let lamports = required(params, 1)?
        .as_u64()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected lamports"))?;
    let blockhash = *chain.latest_blockhash.lock().await;
    let ix = anchor_lang::solana_program::system_instruction::transfer(
        &chain.faucet.pubkey(),
        &to,
        lamports,
    );
    let tx = Transaction::new_signed_with_payer(
        &[ix],
        Some(&chain.faucet.pubkey()),
        &[&chain.faucet],
        blockhash,
    );
    let signature = tx.signatures[0];
    process_to_completion(chain, tx.into()).await?;
    match chain
        .transactions
        .lock()
        .await
        .get(&signature)
        .map(|r| r.result.clone())
    {
        Some(Ok(())) => Ok(json!(signature.to_string())),
        Some(Err(e)) => Err(RpcError::internal(format!("airdrop failed: {e}"))),
        None => Err(RpcError::internal("airdrop was not processed")),
    }
}

fn signature_param(value: &Value) -> Result<Signature, RpcError> {
    value
        .as_str()
        .and_then(|s| Signature::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))
}

async fn get_signature_statuses(chain: &Chain, params: &Value) -> RpcResult {
    let signatures = required(params, 0)?.as_array().ok_or_else(|| {
        RpcError::invalid_params("Invalid params: expected an array of signatures")
    })?;
    if signatures.len() > 256 {
        return Err(RpcError::invalid_params(
            "Too many inputs provided; max 256",
        ));
    }
    let records = chain.transactions.lock().await;
    let mut statuses = Vec::with_capacity(signatures.len());
    for signature in signatures {
        let status = records.get(&signature_param(signature)?).map(|r| {
            json!({
                "slot": r.slot,
                // A single bank: everything processed is final.
                "confirmations": null,
                "status": match &r.result { Ok(()) => json!({"Ok": null}), Err(e) => json!({"Err": ui_error(e)}) },
                "err": r.result.as_ref().err().map(ui_error),
                "confirmationStatus": "finalized",
            })
        });
        statuses.push(status.unwrap_or(Value::Null));
    }
    drop(records);
    Ok(with_context(chain, Value::Array(statuses)))
}

async fn get_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let signature = signature_param(required(params, 0)?)?;
    let encoding = match param(params, 1) {
        Some(Value::String(s)) => Some(s.as_str()),
        _ => config_str(params, 1, "encoding"),
    };
    let Some(record) = chain.transactions.lock().await.get(&signature).cloned() else {
        return Ok(Value::Null);
    };
    let bytes = bincode::serialize(&record.transaction).map_err(RpcError::internal)?;
    let transaction = match encoding.unwrap_or("json") {
        "base58" => json!([bs58::encode(&bytes).into_string(), "base58"]),
        // JSON-encoded transactions are not built here; base64 carries the
        // same transaction and every client decodes it.
        _ => json!([BASE64.encode(&bytes), "base64"]),
    };
    let err = record.result.as_ref().err().map(ui_error);
    Ok(json!({
        "slot": record.slot,
        "blockTime": null,
        "transaction": transaction,
        "meta": {
            "err": err,
            "status": match &err { None => json!({"Ok": null}), Some(e) => json!({"Err": e}) },
            "fee": record.fee,
            "preBalances": record.pre_balances,
            "postBalances": record.post_balances,
            "innerInstructions": [],
            "logMessages": record.logs,
            "preTokenBalances": [],
            "postTokenBalances": [],
            "rewards": [],
            "computeUnitsConsumed": record.compute_units,
        },
        "version": "legacy",
    }))
}

async fn get_signatures_for_address(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    let limit = param(params, 1)
        .and_then(|c| c.get("limit"))
        .and_then(Value::as_u64)
        .unwrap_or(1_000) as usize;
    let records = chain.transactions.lock().await;
    let mut found: Vec<(&Signature, &TxRecord)> = records
        .iter()
        .filter(|(_, r)| {
            r.transaction
                .message
                .static_account_keys()
                .contains(&address)
        })
        .collect();
    // Newest first, as a validator answers.
    found.sort_by(|a, b| {
        b.1.slot
            .cmp(&a.1.slot)
            .then(b.1.sequence.cmp(&a.1.sequence))
    });
    let list: Vec<Value> = found
        .into_iter()
        .take(limit)
        .map(|(signature, r)| {
            json!({
                "signature": signature.to_string(),
                "slot": r.slot,
                "err": r.result.as_ref().err().map(ui_error),
                "memo": null,
                "blockTime": null,
                "confirmationStatus": "finalized",
            })
        })
        .collect();
    Ok(Value::Array(list))
}
