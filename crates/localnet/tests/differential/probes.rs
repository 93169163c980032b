//! The probe script: one fixed sequence of JSON-RPC calls, websocket
//! subscriptions and transactions, run the same way against any endpoint
//! pair, and what each one answered, reduced (`shape.rs`) to what two
//! endpoints must agree on. Raw HTTP and a raw websocket, so nothing a
//! client library fills in or drops hides a difference.

use std::collections::VecDeque;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::Discriminator;
use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::{v0, VersionedMessage};
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use tasknet::state::Task;
use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::open_plain_task;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::shape::{error_facts, normalise_logs, response_shape, shape, Observations};

/// Every method of a validator's JSON-RPC API (agave 4.2, `rpc.rs`), to
/// list which of them an endpoint does not serve at all.
const VALIDATOR_METHODS: &[&str] = &[
    "getAccountInfo",
    "getBalance",
    "getBlock",
    "getBlockCommitment",
    "getBlockHeight",
    "getBlockProduction",
    "getBlockTime",
    "getBlocks",
    "getBlocksWithLimit",
    "getClusterNodes",
    "getEpochInfo",
    "getEpochSchedule",
    "getFeeForMessage",
    "getFirstAvailableBlock",
    "getGenesisHash",
    "getHealth",
    "getHighestSnapshotSlot",
    "getIdentity",
    "getInflationGovernor",
    "getInflationRate",
    "getInflationReward",
    "getLargestAccounts",
    "getLatestBlockhash",
    "getLeaderSchedule",
    "getMaxRetransmitSlot",
    "getMaxShredInsertSlot",
    "getMinimumBalanceForRentExemption",
    "getMultipleAccounts",
    "getProgramAccounts",
    "getRecentPerformanceSamples",
    "getRecentPrioritizationFees",
    "getSignatureStatuses",
    "getSignaturesForAddress",
    "getSlot",
    "getSlotLeader",
    "getSlotLeaders",
    "getStakeMinimumDelegation",
    "getSupply",
    "getTokenAccountBalance",
    "getTokenAccountsByDelegate",
    "getTokenAccountsByOwner",
    "getTokenLargestAccounts",
    "getTokenSupply",
    "getTransaction",
    "getTransactionCount",
    "getVersion",
    "getVoteAccounts",
    "isBlockhashValid",
    "minimumLedgerSlot",
    "requestAirdrop",
    "sendTransaction",
    "simulateTransaction",
];

const METHOD_NOT_FOUND: i64 = -32601;

/// One endpoint pair: JSON-RPC over HTTP and PubSub over a websocket.
pub struct Target {
    pub http: String,
    pub ws: String,
    client: reqwest::Client,
}

impl Target {
    pub fn new(http: String, ws: String) -> Self {
        Self {
            http,
            ws,
            client: reqwest::Client::new(),
        }
    }

    /// The whole response object of one call (`result` or `error`).
    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.post(&body).await
    }

    async fn post(&self, body: &Value) -> Value {
        self.client
            .post(&self.http)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} unreachable: {e}", self.http))
            .json()
            .await
            .expect("a JSON answer")
    }

    /// The result of a call that must succeed.
    async fn result(&self, method: &str, params: Value) -> Value {
        let response = self.call(method, params).await;
        assert!(
            response.get("error").is_none(),
            "{method} failed on {}: {response}",
            self.http
        );
        response["result"].clone()
    }

    /// Several calls in one JSON-RPC batch (read together, so they see one
    /// moment of the chain as closely as HTTP allows).
    async fn batch(&self, calls: &[(&str, Value)]) -> Vec<Value> {
        let body: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(id, (method, params))| {
                json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            })
            .collect();
        let answers = self.post(&Value::Array(body)).await;
        let mut answers = answers.as_array().expect("a batch answer").clone();
        answers.sort_by_key(|a| a["id"].as_u64());
        answers.into_iter().map(|a| a["result"].clone()).collect()
    }

    async fn blockhash(&self) -> Hash {
        let latest = self
            .result("getLatestBlockhash", json!([{"commitment": "confirmed"}]))
            .await;
        latest["value"]["blockhash"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn slot(&self, commitment: &str) -> u64 {
        self.result("getSlot", json!([{ "commitment": commitment }]))
            .await
            .as_u64()
            .unwrap()
    }

    async fn send(&self, transaction: &[u8], config: Value) -> Value {
        let encoded = base64::engine::general_purpose::STANDARD.encode(transaction);
        self.call("sendTransaction", json!([encoded, config])).await
    }

    /// Sends and waits until the transaction reaches `confirmed`; its
    /// signature.
    async fn land(&self, transaction: &[u8], skip_preflight: bool) -> String {
        let response = self
            .send(
                transaction,
                json!({"encoding": "base64", "skipPreflight": skip_preflight,
                       "preflightCommitment": "confirmed"}),
            )
            .await;
        let signature = response["result"]
            .as_str()
            .unwrap_or_else(|| panic!("send failed: {response}"))
            .to_string();
        self.wait_for_status(&signature, "confirmed").await;
        signature
    }

    /// The status of `signature` once it reached `level`.
    async fn wait_for_status(&self, signature: &str, level: &str) -> Value {
        let rank = |l: &str| {
            ["processed", "confirmed", "finalized"]
                .iter()
                .position(|x| *x == l)
        };
        for _ in 0..600 {
            let statuses = self
                .result(
                    "getSignatureStatuses",
                    json!([[signature], {"searchTransactionHistory": true}]),
                )
                .await;
            let status = &statuses["value"][0];
            if let Some(reached) = status["confirmationStatus"].as_str() {
                if rank(reached) >= rank(level) {
                    return status.clone();
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{signature} did not reach {level} within 60 s on {}",
            self.http
        );
    }

    async fn socket(&self) -> Socket {
        let (stream, _) = tokio_tungstenite::connect_async(&self.ws)
            .await
            .unwrap_or_else(|e| panic!("{} unreachable: {e}", self.ws));
        Socket {
            stream,
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }
}

/// A raw PubSub connection: requests answered by id, notifications queued.
struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    notifications: VecDeque<Value>,
}

impl Socket {
    async fn receive(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.stream.next())
                .await
                .expect("a websocket message within 30 s")
                .expect("the websocket is open")
                .expect("a websocket frame");
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).expect("JSON on the websocket");
            }
        }
    }

    /// The whole response to one request.
    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.stream
            .send(Message::Text(request.to_string().into()))
            .await
            .expect("the websocket takes a request");
        loop {
            let message = self.receive().await;
            if message.get("method").is_some() {
                self.notifications.push_back(message);
            } else if message["id"] == json!(id) {
                return message;
            }
        }
    }

    /// The next notification of one subscription; others stay queued.
    async fn notification_of(&mut self, subscription: &Value) -> Value {
        let matches = |m: &Value| m["params"]["subscription"] == *subscription;
        if let Some(at) = self.notifications.iter().position(matches) {
            return self
                .notifications
                .remove(at)
                .expect("a queued notification");
        }
        loop {
            let message = self.receive().await;
            if message.get("method").is_some() {
                if matches(&message) {
                    return message;
                }
                self.notifications.push_back(message);
            }
        }
    }
}

/// A notification's method name and the shape of its parameters.
fn notification_shape(message: &Value) -> Value {
    json!({"method": message["method"], "params": shape(&message["params"])})
}

fn signed(
    instructions: &[anchor_lang::solana_program::instruction::Instruction],
    payer: &Keypair,
    blockhash: Hash,
) -> Vec<u8> {
    let transaction = Transaction::new_signed_with_payer(
        instructions,
        Some(&payer.pubkey()),
        &[payer],
        blockhash,
    );
    bincode::serialize(&transaction).unwrap()
}

fn min_of(values: impl Iterator<Item = i64>) -> i64 {
    values.min().unwrap_or(i64::MAX)
}

/// Runs every probe against `target`; what each observed.
pub async fn observe(target: &Target) -> Observations {
    let mut obs = Observations::new();

    // Probe a chain in its steady state: old enough to have a root.
    for _ in 0..600 {
        if target.slot("finalized").await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // ---- a funded payer, through the faucet
    let payer = Keypair::new();
    let airdrop = target
        .call(
            "requestAirdrop",
            json!([payer.pubkey().to_string(), 100 * SOL]),
        )
        .await;
    obs.insert("requestAirdrop".into(), response_shape(&airdrop));
    let airdrop_signature = airdrop["result"]
        .as_str()
        .expect("an airdrop signature")
        .to_string();
    target
        .wait_for_status(&airdrop_signature, "confirmed")
        .await;

    observe_cluster(target, &mut obs).await;
    observe_http(target, &mut obs).await;

    // ---- blockhashes and fees
    let answers = target
        .batch(&[
            ("getLatestBlockhash", json!([{"commitment": "confirmed"}])),
            ("getBlockHeight", json!([{"commitment": "confirmed"}])),
        ])
        .await;
    obs.insert(
        "getLatestBlockhash".into(),
        json!({
            "shape": shape(&answers[0]),
            "lastValidBlockHeight_minus_blockHeight":
                answers[0]["value"]["lastValidBlockHeight"].as_i64().unwrap()
                    - answers[1].as_i64().unwrap(),
        }),
    );
    let blockhash: Hash = answers[0]["value"]["blockhash"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let valid = target
        .call(
            "isBlockhashValid",
            json!([blockhash.to_string(), {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "isBlockhashValid.fresh".into(),
        json!({"shape": response_shape(&valid), "value": valid["result"]["value"]}),
    );
    let unknown = target
        .call(
            "isBlockhashValid",
            json!([Hash::new_unique().to_string(), {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "isBlockhashValid.unknown".into(),
        json!({"value": unknown["result"]["value"]}),
    );

    let receiver = Keypair::new();
    let transfer = system_instruction::transfer(&payer.pubkey(), &receiver.pubkey(), SOL);
    let legacy = solana_message::Message::new_with_blockhash(
        std::slice::from_ref(&transfer),
        Some(&payer.pubkey()),
        &blockhash,
    );
    let v0_message = v0::Message::try_compile(
        &payer.pubkey(),
        std::slice::from_ref(&transfer),
        &[],
        blockhash,
    )
    .unwrap();
    for (name, message) in [
        (
            "getFeeForMessage.legacy",
            VersionedMessage::Legacy(legacy.clone()),
        ),
        (
            "getFeeForMessage.v0",
            VersionedMessage::V0(v0_message.clone()),
        ),
    ] {
        let encoded = base64::engine::general_purpose::STANDARD.encode(message.serialize());
        let fee = target
            .call(
                "getFeeForMessage",
                json!([encoded, {"commitment": "confirmed"}]),
            )
            .await;
        obs.insert(
            name.into(),
            json!({"shape": response_shape(&fee), "value": fee["result"]["value"]}),
        );
    }
    let mut stale = legacy.clone();
    stale.recent_blockhash = Hash::new_unique();
    let encoded = base64::engine::general_purpose::STANDARD.encode(stale.serialize());
    let fee = target
        .call(
            "getFeeForMessage",
            json!([encoded, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getFeeForMessage.unknownBlockhash".into(),
        json!({"value": fee["result"]["value"]}),
    );
    let fees = target.call("getRecentPrioritizationFees", json!([])).await;
    obs.insert("getRecentPrioritizationFees".into(), response_shape(&fees));
    let rent = target
        .call("getMinimumBalanceForRentExemption", json!([100]))
        .await;
    obs.insert(
        "getMinimumBalanceForRentExemption".into(),
        json!({"result": rent["result"]}),
    );

    // ---- transactions: a task created, a failing fund, a v0 transfer
    let start = target.slot("confirmed").await + 10;
    let create = sdk::ix::create_task(&payer.pubkey(), open_plain_task(1, start));
    let task = pda::task(&payer.pubkey(), 1);
    let create_signature = target
        .land(&signed(&[create], &payer, blockhash), false)
        .await;

    let fund_zero = sdk::ix::fund_task(&payer.pubkey(), &task, 0);
    let blockhash = target.blockhash().await;
    let failing = signed(std::slice::from_ref(&fund_zero), &payer, blockhash);
    let preflight = target
        .send(
            &failing,
            json!({"encoding": "base64", "preflightCommitment": "confirmed"}),
        )
        .await;
    obs.insert(
        "sendTransaction.preflightFailure".into(),
        response_shape(&preflight),
    );
    obs.insert(
        "sendTransaction.preflightFailure.facts".into(),
        json!({
            "err": preflight["error"]["data"]["err"],
            "logs": normalise_logs(&preflight["error"]["data"]["logs"]),
        }),
    );
    let failed_signature = target.land(&failing, true).await;

    let mut forged: Transaction = bincode::deserialize(&failing).unwrap();
    forged.message.recent_blockhash = target.blockhash().await;
    forged.signatures[0] = solana_signature::Signature::from([7; 64]);
    let forged = target
        .send(
            &bincode::serialize(&forged).unwrap(),
            json!({"encoding": "base64"}),
        )
        .await;
    obs.insert(
        "sendTransaction.badSignature".into(),
        response_shape(&forged),
    );
    let mut forged: Transaction = bincode::deserialize(&failing).unwrap();
    forged.signatures[0] = solana_signature::Signature::from([8; 64]);
    let forged = target
        .send(
            &bincode::serialize(&forged).unwrap(),
            json!({"encoding": "base64", "skipPreflight": true}),
        )
        .await;
    obs.insert(
        "sendTransaction.badSignatureSkipPreflight".into(),
        response_shape(&forged),
    );

    let blockhash = target.blockhash().await;
    let v0_message = v0::Message::try_compile(
        &payer.pubkey(),
        std::slice::from_ref(&transfer),
        &[],
        blockhash,
    )
    .unwrap();
    let v0_transaction =
        VersionedTransaction::try_new(VersionedMessage::V0(v0_message), &[&payer]).unwrap();
    let v0_signature = target
        .land(&bincode::serialize(&v0_transaction).unwrap(), false)
        .await;

    observe_simulation(target, &payer, &task, &mut obs).await;
    observe_accounts(target, &payer, &receiver, &task, &mut obs).await;
    observe_tokens(target, &payer, &mut obs).await;

    // ---- statuses
    let statuses = target
        .call(
            "getSignatureStatuses",
            json!([[create_signature, failed_signature], {"searchTransactionHistory": true}]),
        )
        .await;
    obs.insert(
        "getSignatureStatuses.landed".into(),
        response_shape(&statuses),
    );
    obs.insert(
        "getSignatureStatuses.failedErr".into(),
        json!({"err": statuses["result"]["value"][1]["err"], "status": statuses["result"]["value"][1]["status"]}),
    );
    let unknown = target
        .call(
            "getSignatureStatuses",
            json!([[solana_signature::Signature::from([1; 64]).to_string()]]),
        )
        .await;
    obs.insert(
        "getSignatureStatuses.unknown".into(),
        json!({"value": unknown["result"]["value"]}),
    );

    // ---- history
    for encoding in ["json", "jsonParsed", "base64", "base58"] {
        let transaction = target
            .call(
                "getTransaction",
                json!([create_signature, {"encoding": encoding, "commitment": "confirmed",
                                          "maxSupportedTransactionVersion": 0}]),
            )
            .await;
        obs.insert(
            format!("getTransaction.{encoding}"),
            response_shape(&transaction),
        );
        if encoding == "json" {
            let meta = &transaction["result"]["meta"];
            obs.insert(
                "getTransaction.json.facts".into(),
                json!({
                    "version": transaction["result"]["version"],
                    "err": meta["err"],
                    "logs": normalise_logs(&meta["logMessages"]),
                    "innerInstructions": meta["innerInstructions"].as_array().map(|i| i.len()),
                    "innerInstructionCount": meta["innerInstructions"][0]["instructions"].as_array().map(|i| i.len()),
                    "fee": meta["fee"],
                    "blockTimeIsSet": transaction["result"]["blockTime"].is_i64(),
                }),
            );
        }
    }
    let failed = target
        .call(
            "getTransaction",
            json!([failed_signature, {"encoding": "json", "commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getTransaction.failed".into(),
        json!({"err": failed["result"]["meta"]["err"], "status": failed["result"]["meta"]["status"],
               "logs": normalise_logs(&failed["result"]["meta"]["logMessages"]),
               "versionAbsent": failed["result"].get("version").is_none()}),
    );
    let unsupported = target
        .call(
            "getTransaction",
            json!([v0_signature, {"encoding": "json", "commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getTransaction.v0WithoutMaxVersion".into(),
        response_shape(&unsupported),
    );
    let v0 = target
        .call(
            "getTransaction",
            json!([v0_signature, {"encoding": "json", "commitment": "confirmed",
                                  "maxSupportedTransactionVersion": 0}]),
        )
        .await;
    obs.insert(
        "getTransaction.v0".into(),
        json!({"shape": response_shape(&v0), "version": v0["result"]["version"]}),
    );
    let processed = target
        .call(
            "getTransaction",
            json!([v0_signature, {"commitment": "processed"}]),
        )
        .await;
    obs.insert(
        "getTransaction.processed".into(),
        response_shape(&processed),
    );
    let missing = target
        .call(
            "getTransaction",
            json!([solana_signature::Signature::from([1; 64]).to_string(), {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert("getTransaction.unknown".into(), response_shape(&missing));

    let history = target
        .result(
            "getSignaturesForAddress",
            json!([payer.pubkey().to_string(), {"commitment": "confirmed", "limit": 10}]),
        )
        .await;
    let signatures: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["signature"].as_str().unwrap())
        .collect();
    let before = target
        .result(
            "getSignaturesForAddress",
            json!([payer.pubkey().to_string(), {"commitment": "confirmed", "before": signatures[0], "limit": 2}]),
        )
        .await;
    let until = target
        .result(
            "getSignaturesForAddress",
            json!([payer.pubkey().to_string(), {"commitment": "confirmed", "until": signatures[2]}]),
        )
        .await;
    obs.insert(
        "getSignaturesForAddress".into(),
        json!({
            "shape": shape(&history),
            "newest_first": signatures == [v0_signature.as_str(), failed_signature.as_str(),
                                           create_signature.as_str(), airdrop_signature.as_str()],
            "failed_entry_err": history[1]["err"],
            "before_then_limit": before.as_array().unwrap().iter()
                .map(|e| e["signature"].as_str() == Some(signatures[1]) || e["signature"].as_str() == Some(signatures[2]))
                .collect::<Vec<_>>(),
            "until_len": until.as_array().unwrap().len(),
        }),
    );

    observe_blocks(target, &create_signature, &mut obs).await;
    observe_pubsub(target, &payer, &mut obs).await;
    obs
}

async fn observe_cluster(target: &Target, obs: &mut Observations) {
    for method in [
        "getVersion",
        "getGenesisHash",
        "getEpochInfo",
        "getTransactionCount",
    ] {
        let response = target.call(method, json!([])).await;
        obs.insert(method.into(), response_shape(&response));
    }
    for method in [
        "getHealth",
        "getEpochSchedule",
        "getFirstAvailableBlock",
        "minimumLedgerSlot",
    ] {
        let response = target.call(method, json!([])).await;
        obs.insert(
            method.into(),
            json!({"result": response["result"], "error": response.get("error").map(error_facts)}),
        );
    }
    let height = target
        .call("getBlockHeight", json!([{"commitment": "confirmed"}]))
        .await;
    obs.insert("getBlockHeight".into(), response_shape(&height));

    // Commitment levels, sampled in one batch a few times (a sample can
    // straddle a slot boundary; the smallest gap is the steady one).
    let mut samples = Vec::new();
    for _ in 0..6 {
        let slots = target
            .batch(&[
                ("getSlot", json!([{"commitment": "processed"}])),
                ("getSlot", json!([{"commitment": "confirmed"}])),
                ("getSlot", json!([{"commitment": "finalized"}])),
            ])
            .await;
        let slots: Vec<i64> = slots.iter().map(|s| s.as_i64().unwrap()).collect();
        samples.push(slots);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    // A lone validator's root trails by 31 slots, give or take the moment
    // a sample catches (30 and 31 were both recorded): the median lag.
    let mut lags: Vec<i64> = samples.iter().map(|s| s[1] - s[2]).collect();
    lags.sort_unstable();
    let root_lag = lags[lags.len() / 2];
    obs.insert(
        "getSlot.commitments".into(),
        json!({
            "ordered": samples.iter().all(|s| s[0] >= s[1] && s[1] >= s[2]),
            "processed_minus_confirmed": min_of(samples.iter().map(|s| s[0] - s[1])),
            "confirmed_minus_finalized_is_about_31": (29..=33).contains(&root_lag),
        }),
    );
    let unknown = target
        .call("getSlot", json!([{"commitment": "bogus"}]))
        .await;
    obs.insert("getSlot.unknownCommitment".into(), response_shape(&unknown));
    let default = target
        .batch(&[
            ("getSlot", json!([])),
            ("getSlot", json!([{"commitment": "finalized"}])),
        ])
        .await;
    obs.insert(
        "getSlot.defaultIsFinalized".into(),
        json!(default[0].as_i64().unwrap() - default[1].as_i64().unwrap() <= 0),
    );

    let mut not_served = Vec::new();
    for method in VALIDATOR_METHODS {
        let response = target.call(method, json!([])).await;
        if response["error"]["code"].as_i64() == Some(METHOD_NOT_FOUND) {
            not_served.push(*method);
        }
    }
    obs.insert("methods.notServed".into(), json!(not_served));

    let ms = target
        .call(
            "getAccountInfo",
            json!([Pubkey::new_unique().to_string(), {"minContextSlot": u64::MAX / 2}]),
        )
        .await;
    obs.insert("error.minContextSlot".into(), response_shape(&ms));
    let not_found = target.call("getNothing", json!([])).await;
    obs.insert("error.methodNotFound".into(), response_shape(&not_found));
    let invalid = target.call("getBalance", json!(["not-a-key"])).await;
    obs.insert("error.invalidPubkey".into(), response_shape(&invalid));
    let missing = target.call("getBalance", json!([])).await;
    obs.insert("error.missingParams".into(), response_shape(&missing));
    let no_method = target.post(&json!({"jsonrpc": "2.0", "id": 1})).await;
    obs.insert("error.noMethod".into(), response_shape(&no_method));
}

async fn observe_http(target: &Target, obs: &mut Observations) {
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/health", target.http.trim_end_matches('/')))
        .send()
        .await
        .unwrap();
    obs.insert(
        "http.health".into(),
        json!({"status": health.status().as_u16(), "body": health.text().await.unwrap()}),
    );
    let garbage = client
        .post(&target.http)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let status = garbage.status().as_u16();
    let body: Value = garbage.json().await.unwrap_or(Value::Null);
    obs.insert(
        "http.parseError".into(),
        json!({"status": status, "response": response_shape(&body)}),
    );
    let preflight = client
        .request(reqwest::Method::OPTIONS, &target.http)
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    obs.insert(
        "http.corsPreflight".into(),
        json!({
            "success": preflight.status().is_success(),
            "allowOrigin": preflight.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string()),
        }),
    );
    let batch = target
        .post(&json!([
            {"jsonrpc": "2.0", "id": 1, "method": "getSlot"},
            {"jsonrpc": "2.0", "id": 2, "method": "getNothing"},
        ]))
        .await;
    obs.insert("http.batch".into(), shape(&batch));
    let call = client
        .post(&target.http)
        .header("origin", "http://example.com")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "getSlot"}))
        .send()
        .await
        .unwrap();
    obs.insert(
        "http.corsCall".into(),
        json!({"allowOrigin": call.headers().get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())}),
    );
}

async fn observe_simulation(
    target: &Target,
    payer: &Keypair,
    task: &Pubkey,
    obs: &mut Observations,
) {
    let blockhash = target.blockhash().await;
    let start = target.slot("confirmed").await + 10;
    let create = sdk::ix::create_task(&payer.pubkey(), open_plain_task(2, start));
    let fund_zero = sdk::ix::fund_task(&payer.pubkey(), task, 0);
    for (name, instruction) in [("success", create), ("failure", fund_zero)] {
        let transaction = signed(&[instruction], payer, blockhash);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&transaction);
        let simulated = target
            .call(
                "simulateTransaction",
                json!([encoded, {"encoding": "base64", "commitment": "confirmed", "sigVerify": true,
                                 "innerInstructions": true,
                                 "accounts": {"encoding": "base64", "addresses": [task.to_string()]}}]),
            )
            .await;
        obs.insert(
            format!("simulateTransaction.{name}"),
            response_shape(&simulated),
        );
        let value = &simulated["result"]["value"];
        obs.insert(
            format!("simulateTransaction.{name}.facts"),
            json!({"err": value["err"], "logs": normalise_logs(&value["logs"]),
                   "innerInstructions": value["innerInstructions"].as_array().map(|i| i.len())}),
        );
    }
    let replaced = {
        let transaction = signed(
            &[system_instruction::transfer(&payer.pubkey(), task, 1)],
            payer,
            Hash::new_unique(),
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(&transaction);
        target
            .call(
                "simulateTransaction",
                json!([encoded, {"encoding": "base64", "replaceRecentBlockhash": true}]),
            )
            .await
    };
    obs.insert(
        "simulateTransaction.replaceRecentBlockhash".into(),
        response_shape(&replaced),
    );
}

async fn observe_accounts(
    target: &Target,
    payer: &Keypair,
    receiver: &Keypair,
    task: &Pubkey,
    obs: &mut Observations,
) {
    let balance = target
        .call(
            "getBalance",
            json!([receiver.pubkey().to_string(), {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getBalance".into(),
        json!({"shape": response_shape(&balance), "value": balance["result"]["value"]}),
    );
    let missing = target
        .call(
            "getAccountInfo",
            json!([Pubkey::new_unique().to_string(), {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert("getAccountInfo.missing".into(), response_shape(&missing));
    let system = target
        .call(
            "getAccountInfo",
            json!([payer.pubkey().to_string(), {"commitment": "confirmed", "encoding": "base64"}]),
        )
        .await;
    obs.insert("getAccountInfo.system".into(), response_shape(&system));
    for encoding in ["base64", "base58", "jsonParsed", "base64+zstd"] {
        let account = target
            .call(
                "getAccountInfo",
                json!([task.to_string(), {"commitment": "confirmed", "encoding": encoding}]),
            )
            .await;
        obs.insert(
            format!("getAccountInfo.task.{encoding}"),
            response_shape(&account),
        );
        if encoding == "base64" {
            let value = &account["result"]["value"];
            obs.insert(
                "getAccountInfo.task.facts".into(),
                json!({"owner": value["owner"], "executable": value["executable"],
                       "space": value["space"], "rentEpoch": value["rentEpoch"]}),
            );
        }
    }
    let slice = target
        .result(
            "getAccountInfo",
            json!([task.to_string(), {"commitment": "confirmed", "encoding": "base64",
                                      "dataSlice": {"offset": 0, "length": 8}}]),
        )
        .await;
    obs.insert(
        "getAccountInfo.dataSlice".into(),
        json!({"data": slice["value"]["data"],
               "discriminator": base64::engine::general_purpose::STANDARD.encode(Task::DISCRIMINATOR)}),
    );
    let program = target
        .call(
            "getAccountInfo",
            json!([tasknet::ID.to_string(), {"commitment": "confirmed", "encoding": "jsonParsed"}]),
        )
        .await;
    let value = &program["result"]["value"];
    obs.insert(
        "getAccountInfo.program".into(),
        json!({"shape": response_shape(&program), "owner": value["owner"], "executable": value["executable"],
               "parsedType": value["data"]["parsed"]["type"]}),
    );
    let multiple = target
        .call(
            "getMultipleAccounts",
            json!([[task.to_string(), Pubkey::new_unique().to_string()], {"commitment": "confirmed", "encoding": "base64"}]),
        )
        .await;
    obs.insert("getMultipleAccounts".into(), response_shape(&multiple));
    let discriminator = bs58::encode(Task::DISCRIMINATOR).into_string();
    let filters = json!([{"memcmp": {"offset": 0, "bytes": discriminator}}]);
    for with_context in [false, true] {
        let accounts = target
            .call(
                "getProgramAccounts",
                json!([tasknet::ID.to_string(), {"commitment": "confirmed", "encoding": "base64",
                                                 "filters": filters, "withContext": with_context}]),
            )
            .await;
        obs.insert(
            format!("getProgramAccounts.withContext={with_context}"),
            response_shape(&accounts),
        );
    }
    let too_many = target
        .call(
            "getProgramAccounts",
            json!([tasknet::ID.to_string(), {"filters": [{"dataSize": 1}, {"dataSize": 1}, {"dataSize": 1},
                                                         {"dataSize": 1}, {"dataSize": 1}]}]),
        )
        .await;
    obs.insert(
        "getProgramAccounts.fiveFilters".into(),
        response_shape(&too_many),
    );
}

/// The SPL Token methods over a mint of the real Token program: two
/// holders (one of them twice over), the balances, the supply, the largest
/// holders, an owner's accounts raw and `jsonParsed`, and each method's
/// refusals.
async fn observe_tokens(target: &Target, payer: &Keypair, obs: &mut Observations) {
    use anchor_spl::token::spl_token::instruction as token_ix;
    use tasknet_sdk::tokens::{TokenAsset, TOKEN_PROGRAM_ID};

    let mint = Keypair::new();
    let asset = TokenAsset::new(mint.pubkey(), TOKEN_PROGRAM_ID);
    let holder = Keypair::new().pubkey();
    let me = payer.pubkey();
    let rent = target
        .result("getMinimumBalanceForRentExemption", json!([82]))
        .await
        .as_u64()
        .unwrap();
    let create = [
        system_instruction::create_account(&me, &mint.pubkey(), rent, 82, &TOKEN_PROGRAM_ID),
        token_ix::initialize_mint2(&TOKEN_PROGRAM_ID, &mint.pubkey(), &me, None, 6).unwrap(),
        asset.create_ata(&me, &me),
        asset.create_ata(&me, &holder),
        token_ix::mint_to(
            &TOKEN_PROGRAM_ID,
            &mint.pubkey(),
            &asset.ata(&me),
            &me,
            &[],
            1_500_000,
        )
        .unwrap(),
        token_ix::mint_to(
            &TOKEN_PROGRAM_ID,
            &mint.pubkey(),
            &asset.ata(&holder),
            &me,
            &[],
            7,
        )
        .unwrap(),
    ];
    let blockhash = target.blockhash().await;
    let transaction =
        Transaction::new_signed_with_payer(&create, Some(&me), &[payer, &mint], blockhash);
    target
        .land(&bincode::serialize(&transaction).unwrap(), false)
        .await;
    let confirmed = json!({"commitment": "confirmed"});

    let balance = target
        .call(
            "getTokenAccountBalance",
            json!([asset.ata(&me).to_string(), confirmed]),
        )
        .await;
    obs.insert(
        "getTokenAccountBalance".into(),
        json!({"shape": response_shape(&balance), "value": balance["result"]["value"]}),
    );
    for (name, address) in [("wallet", me), ("missing", Pubkey::new_unique())] {
        let refused = target
            .call(
                "getTokenAccountBalance",
                json!([address.to_string(), confirmed]),
            )
            .await;
        obs.insert(
            format!("getTokenAccountBalance.{name}"),
            response_shape(&refused),
        );
    }
    let supply = target
        .call(
            "getTokenSupply",
            json!([mint.pubkey().to_string(), confirmed]),
        )
        .await;
    obs.insert(
        "getTokenSupply".into(),
        json!({"shape": response_shape(&supply), "value": supply["result"]["value"]}),
    );
    let not_a_mint = target
        .call("getTokenSupply", json!([me.to_string(), confirmed]))
        .await;
    obs.insert("getTokenSupply.wallet".into(), response_shape(&not_a_mint));
    let largest = target
        .call(
            "getTokenLargestAccounts",
            json!([mint.pubkey().to_string(), confirmed]),
        )
        .await;
    let amounts: Vec<Value> = largest["result"]["value"]
        .as_array()
        .map(|l| l.iter().map(|a| a["amount"].clone()).collect())
        .unwrap_or_default();
    obs.insert(
        "getTokenLargestAccounts".into(),
        json!({"shape": response_shape(&largest), "amounts": amounts}),
    );
    let not_a_mint = target
        .call(
            "getTokenLargestAccounts",
            json!([me.to_string(), confirmed]),
        )
        .await;
    obs.insert(
        "getTokenLargestAccounts.wallet".into(),
        response_shape(&not_a_mint),
    );

    for (name, filter) in [
        ("mint", json!({"mint": mint.pubkey().to_string()})),
        (
            "programId",
            json!({"programId": TOKEN_PROGRAM_ID.to_string()}),
        ),
    ] {
        for encoding in ["base64", "jsonParsed"] {
            let config = json!({"commitment": "confirmed", "encoding": encoding});
            let accounts = target
                .call(
                    "getTokenAccountsByOwner",
                    json!([me.to_string(), filter, config]),
                )
                .await;
            let value = &accounts["result"]["value"];
            obs.insert(
                format!("getTokenAccountsByOwner.{name}.{encoding}"),
                json!({"shape": response_shape(&accounts),
                       "count": value.as_array().map(Vec::len),
                       "parsed": value[0]["account"]["data"]["parsed"]["info"]["tokenAmount"]}),
            );
        }
    }
    for (name, filter) in [
        (
            "unknownMint",
            json!({"mint": Pubkey::new_unique().to_string()}),
        ),
        ("notAMint", json!({"mint": me.to_string()})),
        (
            "notATokenProgram",
            json!({"programId": tasknet::ID.to_string()}),
        ),
    ] {
        let refused = target
            .call(
                "getTokenAccountsByOwner",
                json!([me.to_string(), filter, confirmed]),
            )
            .await;
        obs.insert(
            format!("getTokenAccountsByOwner.{name}"),
            response_shape(&refused),
        );
    }
    for (name, address) in [("account", asset.ata(&me)), ("mint", mint.pubkey())] {
        let parsed = target
            .call(
                "getAccountInfo",
                json!([address.to_string(), {"commitment": "confirmed", "encoding": "jsonParsed"}]),
            )
            .await;
        let data = &parsed["result"]["value"]["data"];
        obs.insert(
            format!("getAccountInfo.token.{name}.jsonParsed"),
            json!({"shape": response_shape(&parsed), "program": data["program"],
                   "type": data["parsed"]["type"]}),
        );
    }
}

async fn observe_blocks(target: &Target, signature: &str, obs: &mut Observations) {
    let transaction = target
        .result(
            "getTransaction",
            json!([signature, {"commitment": "confirmed"}]),
        )
        .await;
    let slot = transaction["slot"].as_u64().unwrap();
    let full = target
        .call(
            "getBlock",
            json!([slot, {"commitment": "confirmed", "maxSupportedTransactionVersion": 0}]),
        )
        .await;
    let contains = full["result"]["transactions"].as_array().map(|ts| {
        ts.iter()
            .any(|t| t["transaction"]["signatures"][0] == json!(signature))
    });
    obs.insert(
        "getBlock.full".into(),
        json!({"shape": response_shape(&full), "containsOurs": contains,
               "parentSlot_is_slot_minus_1": full["result"]["parentSlot"].as_u64() == Some(slot - 1)}),
    );
    for details in ["signatures", "none", "accounts"] {
        let block = target
            .call(
                "getBlock",
                json!([slot, {"commitment": "confirmed", "transactionDetails": details,
                              "rewards": false, "maxSupportedTransactionVersion": 0}]),
            )
            .await;
        obs.insert(format!("getBlock.{details}"), response_shape(&block));
    }
    let processed = target
        .call("getBlock", json!([slot, {"commitment": "processed"}]))
        .await;
    obs.insert("getBlock.processed".into(), response_shape(&processed));
    let future = target
        .call(
            "getBlock",
            json!([slot + 100_000, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert("getBlock.future".into(), response_shape(&future));
    let time = target.call("getBlockTime", json!([slot])).await;
    obs.insert("getBlockTime".into(), response_shape(&time));
    let blocks = target
        .call(
            "getBlocks",
            json!([slot.saturating_sub(3), slot, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getBlocks".into(),
        json!({"shape": response_shape(&blocks),
               "len": blocks["result"].as_array().map(|b| b.len())}),
    );
    let limited = target
        .call(
            "getBlocksWithLimit",
            json!([slot.saturating_sub(3), 2, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert(
        "getBlocksWithLimit".into(),
        json!({"shape": response_shape(&limited),
               "len": limited["result"].as_array().map(|b| b.len())}),
    );
}

async fn observe_pubsub(target: &Target, payer: &Keypair, obs: &mut Observations) {
    let mut socket = target.socket().await;

    let slot_sub = socket.request("slotSubscribe", json!([])).await;
    obs.insert("slotSubscribe".into(), response_shape(&slot_sub));
    let id = slot_sub["result"].clone();
    let first = socket.notification_of(&id).await;
    let second = socket.notification_of(&id).await;
    obs.insert(
        "slotSubscribe.notification".into(),
        notification_shape(&second),
    );
    let (s1, s2) = (&first["params"]["result"], &second["params"]["result"]);
    obs.insert(
        "slotSubscribe.facts".into(),
        json!({
            "consecutive": s2["slot"].as_u64() == s1["slot"].as_u64().map(|s| s + 1),
            "parent_is_previous": s2["parent"] == s1["slot"],
            "slot_minus_root": s2["slot"].as_i64().unwrap() - s2["root"].as_i64().unwrap(),
        }),
    );
    let unsubscribed = socket.request("slotUnsubscribe", json!([id])).await;
    obs.insert(
        "slotUnsubscribe".into(),
        json!({"result": unsubscribed["result"]}),
    );
    let again = socket.request("slotUnsubscribe", json!([id])).await;
    obs.insert("slotUnsubscribe.unknown".into(), response_shape(&again));

    let root_sub = socket.request("rootSubscribe", json!([])).await;
    let id = root_sub["result"].clone();
    let first = socket.notification_of(&id).await;
    obs.insert(
        "rootSubscribe.notification".into(),
        notification_shape(&first),
    );
    socket.request("rootUnsubscribe", json!([id])).await;

    // One transfer watched four ways: its signature (with and without the
    // received notification), the receiving account, and the logs.
    let receiver = Keypair::new();
    let blockhash = target.blockhash().await;
    let transfer = signed(
        &[system_instruction::transfer(
            &payer.pubkey(),
            &receiver.pubkey(),
            SOL,
        )],
        payer,
        blockhash,
    );
    let signature = bincode::deserialize::<Transaction>(&transfer)
        .unwrap()
        .signatures[0]
        .to_string();
    let confirmed = socket
        .request(
            "signatureSubscribe",
            json!([signature, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert("signatureSubscribe".into(), response_shape(&confirmed));
    let received = socket
        .request(
            "signatureSubscribe",
            json!([signature, {"commitment": "confirmed", "enableReceivedNotification": true}]),
        )
        .await;
    let account = socket
        .request(
            "accountSubscribe",
            json!([receiver.pubkey().to_string(), {"commitment": "confirmed", "encoding": "base64"}]),
        )
        .await;
    obs.insert("accountSubscribe".into(), response_shape(&account));
    let logs = socket
        .request(
            "logsSubscribe",
            json!([{"mentions": [receiver.pubkey().to_string()]}, {"commitment": "confirmed"}]),
        )
        .await;
    obs.insert("logsSubscribe".into(), response_shape(&logs));
    let sent = target
        .send(
            &transfer,
            json!({"encoding": "base64", "preflightCommitment": "confirmed"}),
        )
        .await;
    assert!(
        sent["result"].is_string(),
        "the watched transfer was refused: {sent}"
    );

    let notified = socket.notification_of(&confirmed["result"]).await;
    obs.insert(
        "signatureSubscribe.notification".into(),
        notification_shape(&notified),
    );
    // The received notification, then the confirmed one: whatever of
    // them comes within a few seconds.
    let mut received_notifications = Vec::new();
    while let Ok(notification) = tokio::time::timeout(
        Duration::from_secs(5),
        socket.notification_of(&received["result"]),
    )
    .await
    {
        received_notifications.push(notification_shape(&notification));
        if received_notifications.len() == 2 {
            break;
        }
    }
    obs.insert(
        "signatureSubscribe.received".into(),
        json!(received_notifications),
    );
    let account_change = socket.notification_of(&account["result"]).await;
    obs.insert(
        "accountSubscribe.notification".into(),
        json!({"shape": notification_shape(&account_change),
               "lamports": account_change["params"]["result"]["value"]["lamports"]}),
    );
    let logged = socket.notification_of(&logs["result"]).await;
    obs.insert(
        "logsSubscribe.notification".into(),
        json!({"shape": notification_shape(&logged),
               "logs": normalise_logs(&logged["params"]["result"]["value"]["logs"])}),
    );
    let closed = socket
        .request("signatureUnsubscribe", json!([confirmed["result"]]))
        .await;
    obs.insert(
        "signatureUnsubscribe.afterNotification".into(),
        response_shape(&closed),
    );
    for (method, id) in [
        ("accountUnsubscribe", &account["result"]),
        ("logsUnsubscribe", &logs["result"]),
    ] {
        let answer = socket.request(method, json!([id])).await;
        obs.insert(method.to_string(), json!({"result": answer["result"]}));
    }

    // A new task seen by a filtered program subscription.
    let program = socket
        .request(
            "programSubscribe",
            json!([tasknet::ID.to_string(), {"commitment": "confirmed", "encoding": "base64",
                   "filters": [{"memcmp": {"offset": 0, "bytes": bs58::encode(Task::DISCRIMINATOR).into_string()}}]}]),
        )
        .await;
    obs.insert("programSubscribe".into(), response_shape(&program));
    let start = target.slot("confirmed").await + 10;
    let create = sdk::ix::create_task(&payer.pubkey(), open_plain_task(3, start));
    target
        .land(&signed(&[create], payer, target.blockhash().await), false)
        .await;
    let created = socket.notification_of(&program["result"]).await;
    obs.insert(
        "programSubscribe.notification".into(),
        notification_shape(&created),
    );
    socket
        .request("programUnsubscribe", json!([program["result"]]))
        .await;

    let bad = socket
        .request("accountSubscribe", json!(["not-a-key"]))
        .await;
    obs.insert(
        "accountSubscribe.invalidParams".into(),
        response_shape(&bad),
    );
    let unknown = socket.request("nothingSubscribe", json!([])).await;
    obs.insert("pubsub.methodNotFound".into(), response_shape(&unknown));
}
