//! Solana JSON-RPC over HTTP, answered from the ledger. Parameters are read
//! into the same config types a validator reads them into, and responses
//! are built from the same response types (and agave's own transaction,
//! block and account encoders), so every client reads them as it reads a
//! validator's. A parameter the chain cannot honour is an error, never
//! silently ignored.

use std::str::FromStr;
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account::Account;
use solana_account_decoder::encode_ui_account;
use solana_account_decoder::parse_account_data::AccountAdditionalDataV3;
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding, UiDataSliceConfig};
use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
use solana_hash::Hash;
use solana_message::VersionedMessage;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcBlockConfig, RpcContextConfig, RpcEncodingConfigWrapper,
    RpcProgramAccountsConfig, RpcSendTransactionConfig, RpcSignatureStatusConfig,
    RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig, RpcTokenAccountsFilter,
    RpcTransactionConfig,
};
use solana_rpc_client_api::custom_error::{
    JSON_RPC_SERVER_ERROR_BLOCK_NOT_AVAILABLE, JSON_RPC_SERVER_ERROR_MIN_CONTEXT_SLOT_NOT_REACHED,
    JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
    JSON_RPC_SERVER_ERROR_TRANSACTION_SIGNATURE_VERIFICATION_FAILURE,
    JSON_RPC_SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    RpcBlockhash, RpcConfirmedTransactionStatusWithSignature, RpcKeyedAccount,
    RpcPrioritizationFee, RpcSimulateTransactionResult,
};
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status::{
    parse_ui_inner_instructions, BlockEncodingOptions, ConfirmedBlock,
    ConfirmedTransactionWithStatusMeta, TransactionConfirmationStatus, TransactionDetails,
    TransactionStatus, TransactionWithStatusMeta, UiTransactionEncoding,
};
use solana_transaction_status_client_types::{
    EncodeError, UiTransactionError, UiTransactionReturnData,
};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use super::tokens;
use crate::ledger::{Commitments, Ledger, Simulation};
use crate::Chain;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;
/// Most keys `getMultipleAccounts` takes (as a validator).
const MAX_MULTIPLE_ACCOUNTS: usize = 100;
/// Most signatures `getSignatureStatuses` takes.
const MAX_SIGNATURE_STATUSES: usize = 256;
/// Most signatures `getSignaturesForAddress` returns.
const MAX_SIGNATURES_FOR_ADDRESS: usize = 1_000;
/// Most filters `getProgramAccounts` takes.
const MAX_FILTERS: usize = 4;
/// Widest slot range `getBlocks` answers.
const MAX_BLOCK_RANGE: u64 = 500_000;
/// Base58 account data above this many bytes is refused (validator rule).
const MAX_BASE58_BYTES: usize = 128;

#[derive(Debug)]
pub(crate) struct RpcError {
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

    pub(crate) fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, format!("Internal error: {e}"))
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

pub(crate) type RpcResult = Result<Value, RpcError>;

pub(crate) fn router(chain: Arc<Chain>) -> Router {
    // A browser page may call the chain from any origin, as it may call a
    // validator, which echoes the page's origin back.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(Any);
    Router::new()
        .route("/", post(handle))
        .route("/health", get(health))
        .layer(cors)
        .with_state(chain)
}

async fn health() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok")
}

/// One request or a batch, answered as JSON text.
async fn handle(State(chain): State<Arc<Chain>>, body: Bytes) -> impl IntoResponse {
    let answer = match serde_json::from_slice::<Value>(&body) {
        Err(_) => {
            error_response(Value::Null, RpcError::new(PARSE_ERROR, "Parse error")).to_string()
        }
        Ok(Value::Array(batch)) if batch.is_empty() => error_response(
            Value::Null,
            RpcError::new(INVALID_REQUEST, "Invalid request"),
        )
        .to_string(),
        Ok(Value::Array(batch)) => {
            let answers: Vec<String> = batch.into_iter().map(|r| handle_one(&chain, r)).collect();
            format!("[{}]", answers.join(","))
        }
        Ok(request) => handle_one(&chain, request),
    };
    ([(CONTENT_TYPE, "application/json")], answer)
}

fn handle_one(chain: &Chain, request: Value) -> String {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = request.get("method").and_then(Value::as_str) else {
        return error_response(id, RpcError::new(INVALID_REQUEST, "Invalid request")).to_string();
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(p @ Value::Array(_)) => p.clone(),
        Some(_) => {
            return error_response(
                id,
                RpcError::invalid_params("Invalid params: expected an array"),
            )
            .to_string()
        }
    };
    // The one answer that can run to megabytes is written as text.
    if method == "getProgramAccounts" {
        return match get_program_accounts(chain, &params) {
            Ok(result) => format!(r#"{{"jsonrpc":"2.0","result":{result},"id":{id}}}"#),
            Err(e) => error_response(id, e).to_string(),
        };
    }
    match dispatch(chain, method, &params) {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}).to_string(),
        Err(e) => error_response(id, e).to_string(),
    }
}

fn error_response(id: Value, e: RpcError) -> Value {
    json!({"jsonrpc": "2.0", "error": e.to_json(), "id": id})
}

fn dispatch(chain: &Chain, method: &str, params: &Value) -> RpcResult {
    match method {
        "getVersion" => {
            Ok(json!({"solana-core": crate::SVM_VERSION, "feature-set": feature_set_id()}))
        }
        "getHealth" => Ok(json!("ok")),
        "getGenesisHash" => Ok(json!(chain.ledger().genesis_hash().to_string())),
        "getSlot" => with_commitment_slot(chain, params, 0, |_, slot| Ok(json!(slot))),
        "getBlockHeight" => with_commitment_slot(chain, params, 0, |l, slot| {
            Ok(json!(l.block_height_at(slot)))
        }),
        "getTransactionCount" => with_commitment_slot(chain, params, 0, |l, slot| {
            Ok(json!(l.transaction_count(slot)))
        }),
        "getEpochInfo" => with_commitment_slot(chain, params, 0, epoch_info),
        "getEpochSchedule" => epoch_schedule(chain),
        "getLatestBlockhash" => with_commitment_slot(chain, params, 0, |l, slot| {
            let (hash, last_valid) = l.latest_blockhash(slot);
            Ok(context(
                slot,
                json!(RpcBlockhash {
                    blockhash: hash.to_string(),
                    last_valid_block_height: last_valid
                }),
            ))
        }),
        "isBlockhashValid" => {
            let hash = hash_param(required(params, 0)?)?;
            with_commitment_slot(chain, params, 1, |l, slot| {
                Ok(context(slot, json!(l.is_blockhash_valid(&hash, slot))))
            })
        }
        "getFirstAvailableBlock" | "minimumLedgerSlot" => Ok(json!(0)),
        "getBalance" => get_balance(chain, params),
        "getAccountInfo" => get_account_info(chain, params),
        "getMultipleAccounts" => get_multiple_accounts(chain, params),
        "getMinimumBalanceForRentExemption" => {
            let size = required(params, 0)?.as_u64().ok_or_else(|| {
                RpcError::invalid_params("Invalid params: expected a data length")
            })?;
            let _: RpcContextConfig = config(params, 1)?;
            Ok(json!(chain.ledger().minimum_balance(size as usize)))
        }
        "getFeeForMessage" => get_fee_for_message(chain, params),
        "getRecentPrioritizationFees" => get_recent_prioritization_fees(chain, params),
        "requestAirdrop" => request_airdrop(chain, params),
        "simulateTransaction" => simulate_transaction(chain, params),
        "sendTransaction" => send_transaction(chain, params),
        "getSignatureStatuses" => get_signature_statuses(chain, params),
        "getTransaction" => get_transaction(chain, params),
        "getSignaturesForAddress" => get_signatures_for_address(chain, params),
        "getBlock" => get_block(chain, params),
        "getBlockTime" => get_block_time(chain, params),
        "getBlocks" => get_blocks(chain, params, false),
        "getBlocksWithLimit" => get_blocks(chain, params, true),
        "getTokenAccountBalance" => token_answer(chain, params, |l, key| {
            Ok(json!(tokens::account_balance(l, &key)?))
        }),
        "getTokenSupply" => {
            token_answer(chain, params, |l, key| Ok(json!(tokens::supply(l, &key)?)))
        }
        "getTokenLargestAccounts" => token_answer(chain, params, |l, key| {
            Ok(json!(tokens::largest_accounts(l, &key)?))
        }),
        "getTokenAccountsByOwner" => get_token_accounts_by_owner(chain, params),
        _ => Err(RpcError::new(METHOD_NOT_FOUND, "Method not found")),
    }
}

/// First four bytes of a digest of the feature set, as a validator reports
/// it: stable for one build.
fn feature_set_id() -> u32 {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(crate::SVM_VERSION.as_bytes());
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

// ---- parameters ----

pub(crate) fn param(params: &Value, index: usize) -> Option<&Value> {
    params.get(index).filter(|v| !v.is_null())
}

pub(crate) fn required(params: &Value, index: usize) -> Result<&Value, RpcError> {
    param(params, index).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "`params` should have at least {} argument(s)",
            index + 1
        ))
    })
}

/// A config object into the validator's own config type; absent or null
/// gives its default.
pub(crate) fn config<T: DeserializeOwned + Default>(
    params: &Value,
    index: usize,
) -> Result<T, RpcError> {
    match param(params, index) {
        None => Ok(T::default()),
        Some(v) => {
            check_commitment(v)?;
            serde_json::from_value(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))
        }
    }
}

/// A history method's config: an object, or (deprecated) a bare encoding.
fn encoding_config<T>(params: &Value, index: usize) -> Result<T, RpcError>
where
    T: DeserializeOwned + Default + Copy + solana_rpc_client_api::config::EncodingConfig,
{
    let wrapper: RpcEncodingConfigWrapper<T> = match param(params, index) {
        None => RpcEncodingConfigWrapper::Current(None),
        Some(v) => {
            check_commitment(v)?;
            serde_json::from_value(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))?
        }
    };
    Ok(wrapper.convert_to_current())
}

/// A flattened `Option<CommitmentConfig>` reads an unknown level as "none
/// given" (and a validator then answers at `finalized`); here it is an
/// error, so a typo never changes which bank answers.
pub(crate) fn check_commitment(config: &Value) -> Result<(), RpcError> {
    match config.get("commitment") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(level))
            if matches!(level.as_str(), "processed" | "confirmed" | "finalized") =>
        {
            Ok(())
        }
        Some(other) => Err(RpcError::invalid_params(format!(
            "Invalid params: unknown commitment {other}; expected processed, confirmed or finalized"
        ))),
    }
}

pub(crate) fn pubkey_param(value: &Value) -> Result<Pubkey, RpcError> {
    value
        .as_str()
        .and_then(|s| Pubkey::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))
}

fn hash_param(value: &Value) -> Result<Hash, RpcError> {
    value
        .as_str()
        .and_then(|s| Hash::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))
}

pub(crate) fn signature_param(value: &Value) -> Result<Signature, RpcError> {
    value
        .as_str()
        .and_then(|s| Signature::from_str(s).ok())
        .ok_or_else(|| RpcError::invalid_params("Invalid param: Invalid"))
}

fn slot_param(value: &Value) -> Result<u64, RpcError> {
    value
        .as_u64()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected a slot"))
}

/// The slot a request at `commitment` reads (finalized when unspecified,
/// as on a validator).
pub(crate) fn commitment_slot(
    commitments: &Commitments,
    commitment: Option<CommitmentConfig>,
) -> u64 {
    commitments.slot(commitment.unwrap_or_default().commitment)
}

fn check_min_context_slot(slot: u64, min_context_slot: Option<u64>) -> Result<(), RpcError> {
    match min_context_slot {
        Some(min) if slot < min => Err(RpcError {
            code: JSON_RPC_SERVER_ERROR_MIN_CONTEXT_SLOT_NOT_REACHED,
            message: "Minimum context slot has not been reached".into(),
            data: Some(json!({"contextSlot": slot})),
        }),
        _ => Ok(()),
    }
}

/// Runs `f` on the ledger at the slot of the `RpcContextConfig` at
/// `params[index]` (commitment and minContextSlot honoured).
fn with_commitment_slot(
    chain: &Chain,
    params: &Value,
    index: usize,
    f: impl FnOnce(&Ledger, u64) -> RpcResult,
) -> RpcResult {
    let config: RpcContextConfig = config(params, index)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    check_min_context_slot(slot, config.min_context_slot)?;
    f(&ledger, slot)
}

/// Methods over history refuse `processed`, as a validator's do.
fn confirmed_at_least(commitment: Option<CommitmentConfig>) -> Result<(), RpcError> {
    match commitment.map(|c| c.commitment) {
        Some(CommitmentLevel::Processed) => Err(RpcError::invalid_params(
            "Method does not support commitment below `confirmed`",
        )),
        _ => Ok(()),
    }
}

pub(crate) fn context(slot: u64, value: Value) -> Value {
    json!({"context": {"slot": slot, "apiVersion": crate::SVM_VERSION}, "value": value})
}

// ---- cluster ----

fn epoch_info(ledger: &Ledger, slot: u64) -> RpcResult {
    let schedule = ledger.epoch_schedule();
    let (epoch, slot_index) = schedule.get_epoch_and_slot_index(slot);
    Ok(json!({
        "absoluteSlot": slot,
        "blockHeight": ledger.block_height_at(slot),
        "epoch": epoch,
        "slotIndex": slot_index,
        "slotsInEpoch": schedule.get_slots_in_epoch(epoch),
        "transactionCount": ledger.transaction_count(slot),
    }))
}

fn epoch_schedule(chain: &Chain) -> RpcResult {
    let schedule = chain.ledger().epoch_schedule();
    Ok(json!({
        "slotsPerEpoch": schedule.slots_per_epoch,
        "leaderScheduleSlotOffset": schedule.leader_schedule_slot_offset,
        "warmup": schedule.warmup,
        "firstNormalEpoch": schedule.first_normal_epoch,
        "firstNormalSlot": schedule.first_normal_slot,
    }))
}

// ---- accounts ----

pub(crate) fn encode_account(
    address: &Pubkey,
    account: &Account,
    encoding: Option<UiAccountEncoding>,
    data_slice: Option<UiDataSliceConfig>,
) -> Result<UiAccount, RpcError> {
    encode_account_with(address, account, encoding, data_slice, None)
}

/// `encode_account` with what a `jsonParsed` token account needs from its
/// mint (`tokens::additional_data`).
pub(crate) fn encode_account_with(
    address: &Pubkey,
    account: &Account,
    encoding: Option<UiAccountEncoding>,
    data_slice: Option<UiDataSliceConfig>,
    additional: Option<AccountAdditionalDataV3>,
) -> Result<UiAccount, RpcError> {
    let encoding = encoding.unwrap_or(UiAccountEncoding::Binary);
    if matches!(
        encoding,
        UiAccountEncoding::Binary | UiAccountEncoding::Base58
    ) {
        let len = data_slice.map_or(account.data.len(), |s| {
            s.length.min(account.data.len().saturating_sub(s.offset))
        });
        if len > MAX_BASE58_BYTES {
            return Err(RpcError::new(
                INVALID_REQUEST,
                format!(
                    "Encoded binary (base 58) data should be less than {MAX_BASE58_BYTES} bytes, please use Base64 encoding."
                ),
            ));
        }
    }
    if encoding == UiAccountEncoding::JsonParsed && data_slice.is_some() {
        return Err(RpcError::invalid_params(
            "Sliced account data can only be encoded using binary (base 58) or base64 encoding.",
        ));
    }
    Ok(encode_ui_account(
        address, account, encoding, additional, data_slice,
    ))
}

fn account_value(
    ledger: &Ledger,
    address: &Pubkey,
    account: Option<Account>,
    config: &RpcAccountInfoConfig,
) -> Result<Value, RpcError> {
    Ok(match account {
        Some(account) => json!(encode_account_with(
            address,
            &account,
            config.encoding,
            config.data_slice,
            tokens::additional_data(ledger, &account, config.encoding),
        )?),
        None => Value::Null,
    })
}

fn get_balance(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    with_commitment_slot(chain, params, 1, |l, slot| {
        Ok(context(
            slot,
            json!(l.account(&address).map_or(0, |a| a.lamports)),
        ))
    })
}

fn get_account_info(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    let config: RpcAccountInfoConfig = config(params, 1)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    check_min_context_slot(slot, config.min_context_slot)?;
    let value = account_value(&ledger, &address, ledger.account(&address), &config)?;
    Ok(context(slot, value))
}

fn get_multiple_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let keys = required(params, 0)?
        .as_array()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected an array of keys"))?;
    if keys.len() > MAX_MULTIPLE_ACCOUNTS {
        return Err(RpcError::invalid_params(format!(
            "Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
        )));
    }
    let keys: Vec<Pubkey> = keys.iter().map(pubkey_param).collect::<Result<_, _>>()?;
    let config: RpcAccountInfoConfig = config(params, 1)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    check_min_context_slot(slot, config.min_context_slot)?;
    let values = keys
        .iter()
        .map(|k| account_value(&ledger, k, ledger.account(k), &config))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(context(slot, Value::Array(values)))
}

pub(crate) fn check_filters(filters: &[RpcFilterType]) -> Result<(), RpcError> {
    if filters.len() > MAX_FILTERS {
        return Err(RpcError::invalid_params(format!(
            "Too many filters provided; max {MAX_FILTERS}"
        )));
    }
    for filter in filters {
        filter
            .verify()
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e:?}")))?;
        if matches!(filter, RpcFilterType::TokenAccountState) {
            return Err(RpcError::invalid_params(
                "Invalid params: tokenAccountState filters are not supported on this chain",
            ));
        }
    }
    Ok(())
}

pub(crate) fn filters_allow(filters: &[RpcFilterType], data: &[u8]) -> bool {
    filters.iter().all(|filter| match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => false,
    })
}

/// `getProgramAccounts`, answered as JSON text: a list of thousands of
/// accounts is serialized straight from its encoded form, without a
/// `Value` tree between (as much again as encoding it, at 10,000
/// accounts), and outside the ledger's lock.
fn get_program_accounts(chain: &Chain, params: &Value) -> Result<String, RpcError> {
    let program = pubkey_param(required(params, 0)?)?;
    let config: RpcProgramAccountsConfig = config(params, 1)?;
    let filters = config.filters.unwrap_or_default();
    check_filters(&filters)?;
    let account_config = config.account_config;
    let (slot, found) = {
        let ledger = chain.ledger();
        let slot = commitment_slot(&ledger.commitments(), account_config.commitment);
        check_min_context_slot(slot, account_config.min_context_slot)?;
        let found: Vec<_> = ledger
            .program_accounts(&program, |data| filters_allow(&filters, data))
            .into_iter()
            .map(|(key, account)| {
                let additional =
                    tokens::additional_data(&ledger, &account, account_config.encoding);
                (key, account, additional)
            })
            .collect();
        (slot, found)
    };
    // program_accounts() is sorted by key: sortResults (default true) holds.
    let matches = found
        .into_iter()
        .map(|(key, account, additional)| {
            Ok(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: encode_account_with(
                    &key,
                    &account,
                    account_config.encoding,
                    account_config.data_slice,
                    additional,
                )?,
            })
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    let text = if config.with_context == Some(true) {
        #[derive(serde::Serialize)]
        struct WithContext<T> {
            context: Value,
            value: T,
        }
        serde_json::to_string(&WithContext {
            context: json!({"slot": slot, "apiVersion": crate::SVM_VERSION}),
            value: matches,
        })
    } else {
        serde_json::to_string(&matches)
    };
    text.map_err(RpcError::internal)
}

// ---- SPL tokens (the answers are `tokens`') ----

/// A token method taking an address and a config: `answer` at the
/// config's commitment, its refusal as invalid params.
fn token_answer(
    chain: &Chain,
    params: &Value,
    answer: impl FnOnce(&Ledger, Pubkey) -> Result<Value, tokens::Refusal>,
) -> RpcResult {
    let key = pubkey_param(required(params, 0)?)?;
    let config: RpcAccountInfoConfig = config(params, 1)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    let value = answer(&ledger, key).map_err(RpcError::invalid_params)?;
    Ok(context(slot, value))
}

fn get_token_accounts_by_owner(chain: &Chain, params: &Value) -> RpcResult {
    let owner = pubkey_param(required(params, 0)?)?;
    let filter: RpcTokenAccountsFilter = serde_json::from_value(required(params, 1)?.clone())
        .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))?;
    let filter = match filter {
        RpcTokenAccountsFilter::Mint(mint) => {
            tokens::OwnerFilter::Mint(pubkey_param(&json!(mint))?)
        }
        RpcTokenAccountsFilter::ProgramId(program) => {
            tokens::OwnerFilter::Program(pubkey_param(&json!(program))?)
        }
    };
    let config: RpcAccountInfoConfig = config(params, 2)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    let accounts =
        tokens::owner_accounts(&ledger, &owner, filter).map_err(RpcError::invalid_params)?;
    let encoding = config.encoding.or(Some(UiAccountEncoding::Binary));
    let keyed = accounts
        .into_iter()
        .map(|(key, account)| {
            let extra = tokens::additional_data(&ledger, &account, encoding);
            Ok(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: encode_account_with(&key, &account, encoding, config.data_slice, extra)?,
            })
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    Ok(context(slot, json!(keyed)))
}

// ---- fees ----

fn get_fee_for_message(chain: &Chain, params: &Value) -> RpcResult {
    let encoded = required(params, 0)?
        .as_str()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected a message"))?;
    let bytes = BASE64
        .decode(encoded)
        .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e}")))?;
    let message: VersionedMessage = bincode::deserialize(&bytes)
        .map_err(|e| RpcError::invalid_params(format!("invalid message: {e}")))?;
    message
        .sanitize()
        .map_err(|e| RpcError::invalid_params(format!("invalid transaction message: {e}")))?;
    if let VersionedMessage::V0(m) = &message {
        if !m.address_table_lookups.is_empty() {
            return Err(RpcError::invalid_params(
                "Invalid params: address lookup tables are not supported on this chain",
            ));
        }
    }
    with_commitment_slot(chain, params, 1, |l, slot| {
        Ok(context(slot, json!(l.fee_for(&message))))
    })
}

fn get_recent_prioritization_fees(chain: &Chain, params: &Value) -> RpcResult {
    if let Some(keys) = param(params, 0) {
        let keys = keys
            .as_array()
            .ok_or_else(|| RpcError::invalid_params("Invalid params: expected an array of keys"))?;
        if keys.len() > 128 {
            return Err(RpcError::invalid_params(
                "Too many inputs provided; max 128",
            ));
        }
        for key in keys {
            pubkey_param(key)?;
        }
    }
    let ledger = chain.ledger();
    let confirmed = ledger.commitments().confirmed;
    // No transaction here pays a priority fee to get in: every recent
    // block's lowest landed price is zero.
    let fees: Vec<RpcPrioritizationFee> = ledger
        .block_slots(confirmed.saturating_sub(149), confirmed)
        .into_iter()
        .map(|slot| RpcPrioritizationFee {
            slot,
            prioritization_fee: 0,
        })
        .collect();
    Ok(json!(fees))
}

// ---- transactions ----

fn decode_transaction(
    params: &Value,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction, RpcError> {
    let encoded = required(params, 0)?.as_str().ok_or_else(|| {
        RpcError::invalid_params("Invalid params: expected an encoded transaction")
    })?;
    let bytes = match encoding.unwrap_or(UiTransactionEncoding::Base58) {
        UiTransactionEncoding::Base64 => BASE64
            .decode(encoded)
            .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e:?}")))?,
        UiTransactionEncoding::Base58 => bs58::decode(encoded)
            .into_vec()
            .map_err(|e| RpcError::invalid_params(format!("invalid base58 encoding: {e:?}")))?,
        other => {
            return Err(RpcError::invalid_params(format!(
                "unsupported encoding: {other}. Supported encodings: base58, base64"
            )))
        }
    };
    let tx: VersionedTransaction = bincode::deserialize(&bytes).map_err(|e| {
        RpcError::invalid_params(format!("failed to deserialize VersionedTransaction: {e}"))
    })?;
    tx.sanitize()
        .map_err(|e| RpcError::invalid_params(format!("invalid transaction: {e}")))?;
    if let VersionedMessage::V0(m) = &tx.message {
        if !m.address_table_lookups.is_empty() {
            return Err(RpcError::invalid_params(
                "invalid transaction: address lookup tables are not supported on this chain",
            ));
        }
    }
    Ok(tx)
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

pub(crate) fn ui_error(e: &TransactionError) -> UiTransactionError {
    UiTransactionError::from(e.clone())
}

fn simulation_result(
    tx: &VersionedTransaction,
    sim: &Simulation,
    inner: bool,
    accounts: Option<Vec<Option<UiAccount>>>,
    replacement: Option<RpcBlockhash>,
) -> RpcSimulateTransactionResult {
    let keys = tx.message.static_account_keys();
    let account_keys = solana_message::AccountKeys::new(keys, None);
    RpcSimulateTransactionResult {
        err: sim.result.as_ref().err().map(ui_error),
        logs: Some(sim.logs.clone()),
        accounts,
        units_consumed: Some(sim.units),
        // LiteSVM does not report the size it loaded; a transaction that
        // did not load loaded nothing.
        loaded_accounts_data_size: sim.balances.is_none().then_some(0),
        return_data: sim.return_data.as_ref().map(|(program_id, data)| {
            UiTransactionReturnData::from(solana_transaction_context::TransactionReturnData {
                program_id: *program_id,
                data: data.clone(),
            })
        }),
        inner_instructions: inner.then(|| {
            sim.inner_instructions
                .iter()
                .cloned()
                .map(|i| parse_ui_inner_instructions(i, &account_keys))
                .collect()
        }),
        replacement_blockhash: replacement,
        fee: sim.balances.as_ref().map(|_| sim.fee),
        pre_balances: sim.balances.as_ref().map(|(pre, _)| pre.clone()),
        post_balances: sim.balances.as_ref().map(|(_, post)| post.clone()),
        // No token program runs here, so no token balances to report;
        // no lookup tables, so no loaded addresses.
        pre_token_balances: sim.balances.as_ref().map(|_| Vec::new()),
        post_token_balances: sim.balances.as_ref().map(|_| Vec::new()),
        loaded_addresses: sim.balances.as_ref().map(|_| Default::default()),
    }
}

fn simulate_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let config: RpcSimulateTransactionConfig = config(params, 1)?;
    let mut tx = decode_transaction(params, config.encoding)?;
    if config.sig_verify && config.replace_recent_blockhash {
        return Err(RpcError::invalid_params(
            "sigVerify may not be used with replaceRecentBlockhash",
        ));
    }
    if config.sig_verify {
        verify_signatures(&tx)?;
    }
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    check_min_context_slot(slot, config.min_context_slot)?;
    let mut replacement = None;
    if config.replace_recent_blockhash {
        let (hash, last_valid) = ledger.latest_blockhash(ledger.commitments().processed);
        tx.message.set_recent_blockhash(hash);
        replacement = Some(RpcBlockhash {
            blockhash: hash.to_string(),
            last_valid_block_height: last_valid,
        });
    }
    let sim = ledger.simulate(&tx, false);
    let accounts = match &config.accounts {
        None => None,
        // As a validator: a failed simulation returns no account states.
        Some(wanted) if sim.result.is_err() => Some(vec![None; wanted.addresses.len()]),
        Some(wanted) => {
            let mut out = Vec::with_capacity(wanted.addresses.len());
            for address in &wanted.addresses {
                let key = pubkey_param(&json!(address))?;
                let account = sim
                    .post_accounts
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, a)| a.clone())
                    .or_else(|| ledger.account(&key))
                    .filter(|a| a.lamports > 0);
                out.push(match account {
                    Some(a) => Some(encode_account(
                        &key,
                        &a,
                        wanted.encoding.or(Some(UiAccountEncoding::Base64)),
                        None,
                    )?),
                    None => None,
                });
            }
            Some(out)
        }
    };
    let result = simulation_result(&tx, &sim, config.inner_instructions, accounts, replacement);
    Ok(context(slot, json!(result)))
}

fn send_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let config: RpcSendTransactionConfig = config(params, 1)?;
    let tx = decode_transaction(params, config.encoding)?;
    let signature = tx.signatures[0];
    if config.skip_preflight {
        // A validator answers with the signature and its signature
        // verification stage drops the transaction, leaving no status.
        if verify_signatures(&tx).is_err() {
            tracing::debug!(%signature, "transaction dropped: bad signature");
            return Ok(json!(signature.to_string()));
        }
    } else {
        let ledger = chain.ledger();
        let commitments = ledger.commitments();
        let slot = commitments.slot(config.preflight_commitment.unwrap_or_default());
        check_min_context_slot(slot, config.min_context_slot)?;
        // A validator verifies signatures as part of the preflight
        // simulation, so a bad one fails the preflight.
        let sim = if verify_signatures(&tx).is_err() {
            Simulation::failed(TransactionError::SignatureFailure)
        } else if ledger.record(&signature).is_some() {
            Simulation::failed(TransactionError::AlreadyProcessed)
        } else {
            ledger.simulate(&tx, false)
        };
        if let Err(e) = &sim.result {
            // A validator's preflight failure carries the simulation
            // without balances.
            let result = RpcSimulateTransactionResult {
                pre_balances: None,
                post_balances: None,
                pre_token_balances: None,
                post_token_balances: None,
                loaded_addresses: None,
                ..simulation_result(&tx, &sim, false, None, None)
            };
            return Err(RpcError {
                code: JSON_RPC_SERVER_ERROR_SEND_TRANSACTION_PREFLIGHT_FAILURE,
                message: format!("Transaction simulation failed: {e}"),
                data: Some(json!(result)),
            });
        }
    }
    // A transaction the bank rejects (expired blockhash, duplicate, fee
    // payer cannot pay) never lands; as on a validator, the caller still
    // gets its signature and finds no status for it.
    if let Err(rejected) = chain.process(tx) {
        tracing::debug!(%signature, "transaction dropped: {}", rejected.0);
    }
    Ok(json!(signature.to_string()))
}

fn request_airdrop(chain: &Chain, params: &Value) -> RpcResult {
    let to = pubkey_param(required(params, 0)?)?;
    let lamports = required(params, 1)?
        .as_u64()
        .ok_or_else(|| RpcError::invalid_params("Invalid params: expected lamports"))?;
    let _: solana_rpc_client_api::config::RpcRequestAirdropConfig = config(params, 2)?;
    match chain.airdrop(&to, lamports) {
        Ok(notice) => Ok(json!(notice.signature.to_string())),
        Err(rejected) => Err(RpcError::internal(format!(
            "airdrop failed: {}",
            rejected.0
        ))),
    }
}

fn confirmation_status(level: CommitmentLevel) -> TransactionConfirmationStatus {
    match level {
        CommitmentLevel::Processed => TransactionConfirmationStatus::Processed,
        CommitmentLevel::Confirmed => TransactionConfirmationStatus::Confirmed,
        CommitmentLevel::Finalized => TransactionConfirmationStatus::Finalized,
    }
}

fn get_signature_statuses(chain: &Chain, params: &Value) -> RpcResult {
    let signatures = required(params, 0)?.as_array().ok_or_else(|| {
        RpcError::invalid_params("Invalid params: expected an array of signatures")
    })?;
    if signatures.len() > MAX_SIGNATURE_STATUSES {
        return Err(RpcError::invalid_params(format!(
            "Too many inputs provided; max {MAX_SIGNATURE_STATUSES}"
        )));
    }
    let signatures: Vec<Signature> = signatures
        .iter()
        .map(signature_param)
        .collect::<Result<_, _>>()?;
    let search_history = match param(params, 1) {
        None => false,
        Some(v) => {
            serde_json::from_value::<RpcSignatureStatusConfig>(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))?
                .search_transaction_history
        }
    };
    let ledger = chain.ledger();
    let commitments = ledger.commitments();
    let statuses: Vec<Option<TransactionStatus>> = signatures
        .iter()
        .map(|s| {
            ledger.status(s, search_history).map(|r| {
                let level = commitments.level_of(r.slot);
                TransactionStatus {
                    slot: r.slot,
                    confirmations: (level != CommitmentLevel::Finalized)
                        .then(|| (commitments.processed - r.slot) as usize),
                    status: r.meta.status.clone(),
                    err: r.meta.status.clone().err(),
                    confirmation_status: Some(confirmation_status(level)),
                }
            })
        })
        .collect();
    Ok(context(commitments.processed, json!(statuses)))
}

fn unsupported_version(e: EncodeError) -> RpcError {
    match e {
        EncodeError::UnsupportedTransactionVersion(version) => RpcError::new(
            JSON_RPC_SERVER_ERROR_UNSUPPORTED_TRANSACTION_VERSION,
            format!(
                "Transaction version ({version}) is not supported by the requesting client. \
                 Please try the request again with the following configuration parameter: \
                 \"maxSupportedTransactionVersion\": {version}"
            ),
        ),
    }
}

fn get_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let signature = signature_param(required(params, 0)?)?;
    let config: RpcTransactionConfig = encoding_config(params, 1)?;
    confirmed_at_least(config.commitment)?;
    let ledger = chain.ledger();
    let slot = commitment_slot(&ledger.commitments(), config.commitment);
    let Some(record) = ledger.record(&signature).filter(|r| r.slot <= slot) else {
        return Ok(Value::Null);
    };
    let block_time = ledger.block(record.slot).map(|b| b.block_time);
    let confirmed = ConfirmedTransactionWithStatusMeta {
        slot: record.slot,
        tx_with_meta: TransactionWithStatusMeta::Complete(record.with_meta()),
        block_time,
    };
    let encoded = confirmed
        .encode(
            config.encoding.unwrap_or(UiTransactionEncoding::Json),
            config.max_supported_transaction_version,
        )
        .map_err(unsupported_version)?;
    let mut encoded = json!(encoded);
    // agave 4 reports where in its block the transaction sits; the 3.x
    // response type predates the field.
    encoded["transactionIndex"] = json!(ledger.transaction_index(record.slot, &signature));
    Ok(encoded)
}

fn get_signatures_for_address(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey_param(required(params, 0)?)?;
    let config: RpcSignaturesForAddressConfig = config(params, 1)?;
    confirmed_at_least(config.commitment)?;
    let limit = config.limit.unwrap_or(MAX_SIGNATURES_FOR_ADDRESS);
    if limit == 0 || limit > MAX_SIGNATURES_FOR_ADDRESS {
        return Err(RpcError::invalid_params(format!(
            "Invalid limit; max {MAX_SIGNATURES_FOR_ADDRESS}"
        )));
    }
    let before = config
        .before
        .as_ref()
        .map(|s| signature_param(&json!(s)))
        .transpose()?;
    let until = config
        .until
        .as_ref()
        .map(|s| signature_param(&json!(s)))
        .transpose()?;
    let ledger = chain.ledger();
    let commitments = ledger.commitments();
    let slot = commitment_slot(&commitments, config.commitment);
    check_min_context_slot(slot, config.min_context_slot)?;
    let mut list = Vec::new();
    // Newest first; `before` starts just past it, `until` stops short of it.
    let mut started = before.is_none();
    for signature in ledger.signatures_for(&address) {
        if !started {
            started = Some(*signature) == before;
            continue;
        }
        if Some(*signature) == until || list.len() == limit {
            break;
        }
        let Some(record) = ledger.record(signature).filter(|r| r.slot <= slot) else {
            continue;
        };
        let mut entry = json!(RpcConfirmedTransactionStatusWithSignature {
            signature: signature.to_string(),
            slot: record.slot,
            err: record.meta.status.as_ref().err().map(ui_error),
            memo: None,
            block_time: ledger.block(record.slot).map(|b| b.block_time),
            confirmation_status: Some(confirmation_status(commitments.level_of(record.slot))),
        });
        entry["transactionIndex"] = json!(ledger.transaction_index(record.slot, signature));
        list.push(entry);
    }
    Ok(json!(list))
}

fn block_not_available(slot: u64) -> RpcError {
    RpcError::new(
        JSON_RPC_SERVER_ERROR_BLOCK_NOT_AVAILABLE,
        format!("Block not available for slot {slot}"),
    )
}

fn get_block(chain: &Chain, params: &Value) -> RpcResult {
    let slot = slot_param(required(params, 0)?)?;
    let config: RpcBlockConfig = encoding_config(params, 1)?;
    confirmed_at_least(config.commitment)?;
    let ledger = chain.ledger();
    let limit = commitment_slot(&ledger.commitments(), config.commitment);
    let block = ledger
        .block(slot)
        .filter(|_| slot <= limit)
        .ok_or_else(|| block_not_available(slot))?;
    let details = config
        .transaction_details
        .unwrap_or(TransactionDetails::Full);
    let confirmed = ConfirmedBlock {
        previous_blockhash: block.previous_blockhash.to_string(),
        blockhash: block.blockhash.to_string(),
        parent_slot: block.parent_slot,
        transactions: ledger
            .block_transactions(block)
            .into_iter()
            .map(|r| TransactionWithStatusMeta::Complete(r.with_meta()))
            .collect(),
        rewards: Vec::new(),
        num_partitions: None,
        block_time: Some(block.block_time),
        block_height: Some(block.block_height),
    };
    let encoded = confirmed
        .encode_with_options(
            config.encoding.unwrap_or(UiTransactionEncoding::Json),
            BlockEncodingOptions {
                transaction_details: details,
                show_rewards: config.rewards.unwrap_or(true),
                max_supported_transaction_version: config.max_supported_transaction_version,
            },
        )
        .map_err(unsupported_version)?;
    Ok(json!(encoded))
}

fn get_block_time(chain: &Chain, params: &Value) -> RpcResult {
    let slot = slot_param(required(params, 0)?)?;
    let ledger = chain.ledger();
    // Confirmed blocks have a time; the working slot's block has none yet.
    ledger
        .block(slot)
        .filter(|_| slot <= ledger.commitments().confirmed)
        .map(|block| json!(block.block_time))
        .ok_or_else(|| block_not_available(slot))
}

fn get_blocks(chain: &Chain, params: &Value, with_limit: bool) -> RpcResult {
    let start = slot_param(required(params, 0)?)?;
    let (end, config_index) = match (with_limit, param(params, 1)) {
        (true, _) => {
            let limit = slot_param(required(params, 1)?)?;
            if limit > MAX_BLOCK_RANGE {
                return Err(RpcError::invalid_params(format!(
                    "Limit too large; max {MAX_BLOCK_RANGE}"
                )));
            }
            (Some(start.saturating_add(limit).saturating_sub(1)), 2)
        }
        (false, Some(Value::Number(n))) => (n.as_u64(), 2),
        (false, _) => (None, 1),
    };
    let config: RpcContextConfig = config(params, config_index)?;
    confirmed_at_least(config.commitment)?;
    let ledger = chain.ledger();
    let limit = commitment_slot(&ledger.commitments(), config.commitment);
    let end = end.unwrap_or(limit).min(limit);
    if !with_limit && end.saturating_sub(start) > MAX_BLOCK_RANGE {
        return Err(RpcError::invalid_params(format!(
            "Slot range too large; max {MAX_BLOCK_RANGE}"
        )));
    }
    if end < start {
        return Ok(json!([]));
    }
    Ok(json!(ledger.block_slots(start, end)))
}
