//! The PubSub websocket, on the RPC port + 1 as a validator serves it,
//! built on jsonrpsee. Each subscription is a task that follows the
//! chain's event feed: a processed transaction, or a new slot (which
//! confirms the previous one and may move the root). Notifications at
//! `confirmed` or `finalized` wait for their slot to get there, as on a
//! validator.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use jsonrpsee::core::middleware::{Batch, Notification, RpcServiceBuilder, RpcServiceT};
use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::core::SubscriptionError;
use jsonrpsee::server::{
    MethodResponse, PendingSubscriptionSink, RpcModule, Server, ServerConfig, ServerHandle,
    SubscriptionMessage, SubscriptionSink,
};
use jsonrpsee::types::{ErrorObjectOwned, Params, Request, SubscriptionId};
use serde::Serialize;
use serde_json::{json, Value};
use solana_account::Account;
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig,
    RpcTransactionLogsConfig,
};
use solana_rpc_client_api::filter::RpcFilterType;
use solana_rpc_client_api::response::{
    ProcessedSignatureResult, RpcKeyedAccount, RpcLogsResponse, RpcSignatureResult, SlotInfo,
};
use tokio::sync::broadcast::error::RecvError;

use crate::ledger::{Commitments, SlotUpdate, TxNotice};
use crate::rpc::{
    check_filters, config, encode_account, encode_account_with, filters_allow,
    token_additional_data, ui_error, RpcError,
};
use crate::{Chain, Event};

/// A running PubSub server.
pub(crate) struct Handle(Option<ServerHandle>);

impl Handle {
    pub fn stop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.stop();
        }
    }

    /// Stops the server and waits (a moment at most) until it has let go
    /// of its port, so a new chain can bind it.
    pub async fn stop_and_wait(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.stop();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), handle.stopped()).await;
        }
    }
}

/// Subscription ids count up from 0, as a validator's do (small integers
/// every client, JavaScript included, reads exactly).
#[derive(Debug, Default)]
struct CountingIds(AtomicU64);

impl IdProvider for CountingIds {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Num(self.0.fetch_add(1, Ordering::Relaxed))
    }
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    chain: Arc<Chain>,
) -> std::io::Result<Handle> {
    let config = ServerConfig::builder()
        .ws_only()
        .set_id_provider(CountingIds::default())
        .build();
    let server = Server::builder()
        .set_config(config)
        .set_rpc_middleware(RpcServiceBuilder::new().layer_fn(UnknownSubscriptionIsAnError))
        .build_from_tcp(listener.into_std()?)?;
    let mut module = RpcModule::from_arc(chain);
    register(&mut module).map_err(std::io::Error::other)?;
    Ok(Handle(Some(server.start(module))))
}

/// jsonrpsee answers an unsubscribe of an unknown (or finished)
/// subscription with `false`; a validator refuses it with -32602, and so
/// does this chain.
#[derive(Clone)]
struct UnknownSubscriptionIsAnError<S>(S);

impl<S> RpcServiceT for UnknownSubscriptionIsAnError<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type BatchResponse = MethodResponse;
    type NotificationResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        let service = self.0.clone();
        async move {
            let unsubscribe = request.method_name().ends_with("Unsubscribe");
            let id = request.id().into_owned();
            let response = service.call(request).await;
            let unknown = unsubscribe
                && serde_json::from_str::<Value>(response.as_json().get())
                    .is_ok_and(|r| r["result"] == json!(false));
            if unknown {
                MethodResponse::error(
                    id,
                    ErrorObjectOwned::owned(-32602, "Invalid subscription id.", None::<()>),
                )
            } else {
                response
            }
        }
    }

    fn batch<'a>(
        &self,
        requests: Batch<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        self.0.batch(requests)
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl std::future::Future<Output = MethodResponse> + Send + 'a {
        self.0.notification(notification)
    }
}

type Module = RpcModule<Chain>;

fn register(module: &mut Module) -> Result<(), jsonrpsee::core::RegisterMethodError> {
    module.register_subscription(
        "signatureSubscribe",
        "signatureNotification",
        "signatureUnsubscribe",
        |params, pending, chain, _| async move { signature_subscription(params, pending, chain).await },
    )?;
    module.register_subscription(
        "accountSubscribe",
        "accountNotification",
        "accountUnsubscribe",
        |params, pending, chain, _| async move { account_subscription(params, pending, chain).await },
    )?;
    module.register_subscription(
        "programSubscribe",
        "programNotification",
        "programUnsubscribe",
        |params, pending, chain, _| async move { program_subscription(params, pending, chain).await },
    )?;
    module.register_subscription(
        "logsSubscribe",
        "logsNotification",
        "logsUnsubscribe",
        |params, pending, chain, _| async move { logs_subscription(params, pending, chain).await },
    )?;
    module.register_subscription(
        "slotSubscribe",
        "slotNotification",
        "slotUnsubscribe",
        |params, pending, chain, _| async move { slot_subscription(params, pending, chain).await },
    )?;
    module.register_subscription(
        "rootSubscribe",
        "rootNotification",
        "rootUnsubscribe",
        |params, pending, chain, _| async move { root_subscription(params, pending, chain).await },
    )?;
    Ok(())
}

/// How a subscription ends: `Err` only when the subscriber is gone or a
/// notification could not be built.
type Outcome = Result<(), SubscriptionError>;

fn params_array(params: &Params<'static>) -> Value {
    params
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Array(Vec::new()))
}

/// An address parameter, refused in the validator's PubSub words.
fn pubkey_param(value: &Value) -> Result<Pubkey, RpcError> {
    crate::rpc::pubkey_param(value)
        .map_err(|_| RpcError::invalid_params("Invalid Request: Invalid pubkey provided"))
}

fn signature_param(value: &Value) -> Result<solana_signature::Signature, RpcError> {
    crate::rpc::signature_param(value)
        .map_err(|_| RpcError::invalid_params("Invalid Request: Invalid signature provided"))
}

fn error_object(e: RpcError) -> ErrorObjectOwned {
    let json = e.to_json();
    ErrorObjectOwned::owned(
        json["code"].as_i64().unwrap_or(-32602) as i32,
        json["message"]
            .as_str()
            .unwrap_or("Invalid params")
            .to_string(),
        json.get("data").cloned(),
    )
}

/// Parses the parameters, or answers the subscribe call with the error.
async fn parse<T>(
    pending: PendingSubscriptionSink,
    parsed: Result<T, RpcError>,
) -> Option<(T, PendingSubscriptionSink)> {
    match parsed {
        Ok(v) => Some((v, pending)),
        Err(e) => {
            pending.reject(error_object(e)).await;
            None
        }
    }
}

/// Accepts the subscription, following the chain's feed from before the
/// answer, so nothing falls between a look at the ledger and the follow.
async fn accept(
    pending: PendingSubscriptionSink,
    chain: &Chain,
) -> Result<(SubscriptionSink, tokio::sync::broadcast::Receiver<Event>), SubscriptionError> {
    let events = chain.events.subscribe();
    let sink = pending
        .accept()
        .await
        .map_err(|e| SubscriptionError::from(e.to_string()))?;
    Ok((sink, events))
}

async fn send(sink: &SubscriptionSink, result: &impl Serialize) -> Outcome {
    let message = SubscriptionMessage::new(sink.method_name(), sink.subscription_id(), result)
        .map_err(|e| SubscriptionError::from(e.to_string()))?;
    sink.send(message)
        .await
        .map_err(|e| SubscriptionError::from(e.to_string()))
}

fn response(slot: u64, value: impl Serialize) -> Value {
    json!({"context": {"slot": slot}, "value": value})
}

/// The commitment slots after a new working slot opens.
fn commitments_after(update: &SlotUpdate) -> Commitments {
    Commitments {
        processed: update.slot,
        confirmed: update.parent,
        finalized: update.root,
    }
}

fn level(commitment: Option<CommitmentConfig>) -> CommitmentLevel {
    commitment.unwrap_or_default().commitment
}

/// The next event, or `None` when the subscriber left or the chain stopped.
async fn next_event(
    sink: &SubscriptionSink,
    events: &mut tokio::sync::broadcast::Receiver<Event>,
) -> Option<Event> {
    loop {
        tokio::select! {
            _ = sink.closed() => return None,
            event = events.recv() => match event {
                Ok(event) => return Some(event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "a PubSub subscriber fell behind the chain");
                }
                Err(RecvError::Closed) => return None,
            },
        }
    }
}

// ---- signatureSubscribe ----

async fn signature_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let params = params_array(&params);
    let parsed = (|| {
        let signature = signature_param(params.get(0).unwrap_or(&Value::Null))?;
        let config: RpcSignatureSubscribeConfig = config(&params, 1)?;
        Ok((signature, config))
    })();
    let Some(((signature, config), pending)) = parse(pending, parsed).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    let wanted = level(config.commitment);
    let notify = |slot: u64, err: Option<solana_transaction_error::TransactionError>| {
        response(
            slot,
            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult {
                err: err.as_ref().map(ui_error),
            }),
        )
    };
    // Already processed: notify now if it has reached the commitment.
    let (mut landed, at) = {
        let ledger = chain.ledger();
        let landed = ledger
            .record(&signature)
            .map(|r| (r.slot, r.meta.status.clone().err()));
        (landed, ledger.commitments().slot(wanted))
    };
    if let Some((slot, err)) = &landed {
        if *slot <= at {
            return send(&sink, &notify(at, err.clone())).await;
        }
    }
    while let Some(event) = next_event(&sink, &mut events).await {
        match event {
            Event::Transaction(notice) if notice.signature == signature => {
                if wanted == CommitmentLevel::Processed {
                    return send(&sink, &notify(notice.slot, notice.err.clone())).await;
                }
                landed = Some((notice.slot, notice.err.clone()));
            }
            Event::Slot(update) => {
                let at = commitments_after(&update).slot(wanted);
                if let Some((slot, err)) = &landed {
                    if *slot <= at {
                        return send(&sink, &notify(at, err.clone())).await;
                    }
                }
            }
            Event::Transaction(_) => {}
        }
    }
    Ok(())
}

// ---- accountSubscribe and programSubscribe ----

/// Writes waiting for their slot to reach the subscription's commitment:
/// slot -> accounts written in it.
#[derive(Default)]
struct Pending(BTreeMap<u64, Vec<Pubkey>>);

impl Pending {
    fn add(&mut self, slot: u64, keys: impl IntoIterator<Item = Pubkey>) {
        self.0.entry(slot).or_default().extend(keys);
    }

    /// The accounts whose writes have reached slot `at`, each once.
    fn due(&mut self, at: u64) -> Vec<Pubkey> {
        let later = self.0.split_off(&(at + 1));
        let due = std::mem::replace(&mut self.0, later);
        let mut keys: Vec<Pubkey> = due.into_values().flatten().collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

struct AccountView {
    encoding: Option<UiAccountEncoding>,
    data_slice: Option<UiDataSliceConfig>,
}

impl AccountView {
    fn of(config: &RpcAccountInfoConfig) -> Self {
        Self {
            encoding: config.encoding,
            data_slice: config.data_slice,
        }
    }
}

async fn account_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let params = params_array(&params);
    let parsed = (|| {
        let address = pubkey_param(params.get(0).unwrap_or(&Value::Null))?;
        let config: RpcAccountInfoConfig = config(&params, 1)?;
        // Refuse an encoding the account could never be sent in now.
        encode_account(
            &address,
            &Account::default(),
            config.encoding,
            config.data_slice,
        )?;
        Ok((address, config))
    })();
    let Some(((address, config), pending)) = parse(pending, parsed).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    let wanted = level(config.commitment);
    let view = AccountView::of(&config);
    let mut waiting = Pending::default();
    while let Some(event) = next_event(&sink, &mut events).await {
        let due_at = match event {
            Event::Transaction(notice) => {
                if notice.writable.contains(&address) {
                    waiting.add(notice.slot, [address]);
                }
                (wanted == CommitmentLevel::Processed).then_some(notice.slot)
            }
            Event::Slot(update) => Some(commitments_after(&update).slot(wanted)),
        };
        let Some(at) = due_at else { continue };
        if waiting.due(at).is_empty() {
            continue;
        }
        // A deleted account is reported empty, owned by the system program.
        let ui = {
            let ledger = chain.ledger();
            let account = ledger.account(&address).unwrap_or_default();
            let extra = token_additional_data(&ledger, &account, view.encoding);
            encode_account_with(&address, &account, view.encoding, view.data_slice, extra)
        }
        .map_err(|e| SubscriptionError::from(format!("{e:?}")))?;
        send(&sink, &response(at, ui)).await?;
    }
    Ok(())
}

async fn program_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let params = params_array(&params);
    let parsed = (|| {
        let program = pubkey_param(params.get(0).unwrap_or(&Value::Null))?;
        let config: RpcProgramAccountsConfig = config(&params, 1)?;
        let filters: Vec<RpcFilterType> = config.filters.clone().unwrap_or_default();
        check_filters(&filters)?;
        encode_account(
            &program,
            &Account::default(),
            config.account_config.encoding,
            config.account_config.data_slice,
        )?;
        Ok((program, config, filters))
    })();
    let Some(((program, config, filters), pending)) = parse(pending, parsed).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    let wanted = level(config.account_config.commitment);
    let view = AccountView::of(&config.account_config);
    let mut waiting = Pending::default();
    while let Some(event) = next_event(&sink, &mut events).await {
        let due_at = match event {
            Event::Transaction(notice) => {
                waiting.add(notice.slot, notice.writable.iter().copied());
                (wanted == CommitmentLevel::Processed).then_some(notice.slot)
            }
            Event::Slot(update) => Some(commitments_after(&update).slot(wanted)),
        };
        let Some(at) = due_at else { continue };
        for key in waiting.due(at) {
            let ui = {
                let ledger = chain.ledger();
                let Some(account) = ledger.account(&key) else {
                    continue;
                };
                if account.owner != program || !filters_allow(&filters, &account.data) {
                    continue;
                }
                let extra = token_additional_data(&ledger, &account, view.encoding);
                encode_account_with(&key, &account, view.encoding, view.data_slice, extra)
            }
            .map_err(|e| SubscriptionError::from(format!("{e:?}")))?;
            let keyed = RpcKeyedAccount {
                pubkey: key.to_string(),
                account: ui,
            };
            send(&sink, &response(at, keyed)).await?;
        }
    }
    Ok(())
}

// ---- logsSubscribe ----

enum LogsFilter {
    All,
    Mentions(Pubkey),
}

fn logs_filter(value: &Value) -> Result<LogsFilter, RpcError> {
    match value {
        // Without vote transactions on this chain, both mean every
        // transaction.
        Value::String(s) if s == "all" || s == "allWithVotes" => Ok(LogsFilter::All),
        Value::Object(o) if o.contains_key("mentions") => {
            let list = o["mentions"].as_array().ok_or_else(|| {
                RpcError::invalid_params("Invalid params: mentions must be an array")
            })?;
            match list.as_slice() {
                [one] => Ok(LogsFilter::Mentions(pubkey_param(one)?)),
                _ => Err(RpcError::invalid_params(
                    "Invalid Request: Only 1 address supported",
                )),
            }
        }
        _ => Err(RpcError::invalid_params(
            "Invalid params: expected \"all\", \"allWithVotes\" or {\"mentions\": [address]}",
        )),
    }
}

async fn logs_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let params = params_array(&params);
    let parsed = (|| {
        let filter = logs_filter(params.get(0).unwrap_or(&Value::Null))?;
        let config: RpcTransactionLogsConfig = match params.get(1) {
            None | Some(Value::Null) => RpcTransactionLogsConfig { commitment: None },
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| RpcError::invalid_params(format!("Invalid params: {e}")))?,
        };
        Ok((filter, config))
    })();
    let Some(((filter, config), pending)) = parse(pending, parsed).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    let wanted = level(config.commitment);
    let mut waiting: Vec<Arc<TxNotice>> = Vec::new();
    while let Some(event) = next_event(&sink, &mut events).await {
        let at = match event {
            Event::Transaction(notice) => {
                let wanted_tx = match &filter {
                    LogsFilter::All => true,
                    LogsFilter::Mentions(key) => notice.accounts.contains(key),
                };
                if wanted_tx {
                    waiting.push(notice.clone());
                }
                if wanted != CommitmentLevel::Processed {
                    continue;
                }
                notice.slot
            }
            Event::Slot(update) => commitments_after(&update).slot(wanted),
        };
        let (due, later): (Vec<_>, Vec<_>) = waiting.drain(..).partition(|n| n.slot <= at);
        waiting = later;
        for notice in due {
            let logs = RpcLogsResponse {
                signature: notice.signature.to_string(),
                err: notice.err.as_ref().map(ui_error),
                logs: notice.logs.clone(),
            };
            send(&sink, &response(notice.slot.max(at), logs)).await?;
        }
    }
    Ok(())
}

// ---- slotSubscribe and rootSubscribe ----

fn no_params(params: &Params<'static>) -> Result<(), RpcError> {
    match params_array(params) {
        Value::Array(a) if a.is_empty() => Ok(()),
        _ => Err(RpcError::invalid_params(
            "Invalid params: this method takes none",
        )),
    }
}

async fn slot_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let Some(((), pending)) = parse(pending, no_params(&params)).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    while let Some(event) = next_event(&sink, &mut events).await {
        if let Event::Slot(update) = event {
            let info = SlotInfo {
                slot: update.slot,
                parent: update.parent,
                root: update.root,
            };
            send(&sink, &info).await?;
        }
    }
    Ok(())
}

async fn root_subscription(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    chain: Arc<Chain>,
) -> Outcome {
    let Some(((), pending)) = parse(pending, no_params(&params)).await else {
        return Ok(());
    };
    let (sink, mut events) = accept(pending, &chain).await?;
    let mut last_root = chain.ledger().commitments().finalized;
    while let Some(event) = next_event(&sink, &mut events).await {
        if let Event::Slot(update) = event {
            if update.root > last_root {
                last_root = update.root;
                send(&sink, &update.root).await?;
            }
        }
    }
    Ok(())
}
