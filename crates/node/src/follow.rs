//! Event-driven reads: the accounts a node reads each tick (the task, its
//! stake, each live round, its submissions, what its audits locate) are
//! kept in memory and current through the endpoint's PubSub websocket —
//! `slotSubscribe` for the clock, `accountSubscribe` for each account, the
//! first time it is read — so a quiet tick costs no request at all.
//!
//! ```text
//! websocket ─▶ Follower (slot, accounts; wakes the pipelines)
//! tick ─▶ Followed (an AccountSource): cached ─▶ answered from memory
//!                                      missing ─▶ subscribe, then read once
//!                                      scans   ─▶ the RPC, as before
//! ```
//!
//! Polling is only the fallback: every `refresh` the followed accounts are
//! read again in one call (a notification the endpoint never sent cannot
//! hide a phase), a websocket whose slots stop is treated as dropped, and
//! while there is none (dropped, refused, or never served) every read goes
//! to the RPC as before, while reconnecting with backoff.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use futures::stream::{BoxStream, SelectAll};
use futures::StreamExt;
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding};
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::RpcAccountInfoConfig;
use solana_rpc_client_api::response::Response;
use tasknet_sdk::accounts::Memcmp;
use tasknet_sdk::chain::{websocket_url, ChainClient, ChainError};
use tokio::sync::{mpsc, oneshot, watch};

use crate::snapshot::AccountSource;

/// How the follower falls back to polling.
#[derive(Clone, Copy, Debug)]
pub struct FollowConfig {
    /// How often followed accounts are read again over RPC, and how long
    /// the slot may stand still before the websocket counts as dropped.
    pub refresh: Duration,
    /// An account nobody read for this long is no longer followed.
    pub forget_after: Duration,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        Self {
            refresh: Duration::from_secs(10),
            forget_after: Duration::from_secs(60),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// One followed account as last seen: its data (`None`: no account) and
/// the slot it is from.
struct Entry {
    data: Option<Vec<u8>>,
    slot: u64,
    used: Instant,
}

#[derive(Default)]
struct State {
    /// The websocket is connected and the slot subscription runs.
    live: bool,
    slot: Option<u64>,
    /// Subscribed accounts, by address: the subscription's id.
    subscribed: HashMap<Pubkey, u64>,
    accounts: HashMap<Pubkey, Entry>,
}

impl State {
    /// Takes `data` from `slot` unless something newer is known.
    fn offer(&mut self, key: Pubkey, data: Option<Vec<u8>>, slot: u64) {
        if !self.subscribed.contains_key(&key) {
            return;
        }
        let used = self
            .accounts
            .get(&key)
            .map_or_else(Instant::now, |e| e.used);
        if self.accounts.get(&key).is_none_or(|e| e.slot <= slot) {
            self.accounts.insert(key, Entry { data, slot, used });
        }
    }

    fn forget_all(&mut self) {
        self.live = false;
        self.subscribed.clear();
        self.accounts.clear();
    }
}

/// A request to follow accounts; answered once they are subscribed (or
/// could not be).
struct Follow {
    keys: Vec<Pubkey>,
    done: oneshot::Sender<()>,
}

/// The node's followed accounts and clock, shared by every task's pipeline.
pub struct Follower {
    state: Mutex<State>,
    requests: mpsc::UnboundedSender<Follow>,
    incoming: Mutex<Option<mpsc::UnboundedReceiver<Follow>>>,
    /// Bumped at every new slot and account change: wakes the pipelines.
    changes: watch::Sender<u64>,
    config: FollowConfig,
}

/// A notification: the account, its subscription id, and the update
/// (`None`: the subscription ended).
type Update = (Pubkey, u64, Option<Response<UiAccount>>);

impl Follower {
    pub fn new(config: FollowConfig) -> Self {
        let (requests, incoming) = mpsc::unbounded_channel();
        Self {
            state: Mutex::new(State::default()),
            requests,
            incoming: Mutex::new(Some(incoming)),
            changes: watch::channel(0).0,
            config,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Woken at every new slot and followed account change.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Whether reads come from memory (the websocket is up).
    pub fn is_live(&self) -> bool {
        self.state().live
    }

    /// Reads through `chain`, from memory where followed.
    pub fn source<'a>(&'a self, chain: &'a ChainClient) -> Followed<'a> {
        Followed {
            chain,
            follower: self,
        }
    }

    /// Follows the chain behind `chain` for as long as it runs: connects,
    /// reconnects with backoff when the websocket drops; returns at once
    /// when the endpoint has no websocket URL (then every read polls).
    pub async fn run(&self, chain: &ChainClient) {
        let Some(mut incoming) = self.incoming.lock().ok().and_then(|mut i| i.take()) else {
            return;
        };
        let Some(url) = websocket_url(&chain.url()) else {
            return;
        };
        let mut backoff = Duration::from_millis(250);
        loop {
            let connected =
                tokio::time::timeout(Duration::from_secs(5), PubsubClient::new(&url)).await;
            if let Ok(Ok(client)) = connected {
                let began = Instant::now();
                let ended = self.session(&client, chain, &mut incoming).await;
                tracing::info!(%url, "websocket dropped ({ended}): polling until it is back");
                // Ends its connection, if the endpoint did not.
                let _ = tokio::time::timeout(Duration::from_secs(1), client.shutdown()).await;
                if began.elapsed() > self.config.refresh {
                    backoff = Duration::from_millis(250);
                }
            }
            self.state().forget_all();
            // Requests while down are answered unfollowed: they read through.
            let retry = tokio::time::sleep(backoff);
            tokio::pin!(retry);
            loop {
                tokio::select! {
                    _ = &mut retry => break,
                    request = incoming.recv() => match request {
                        Some(request) => { let _ = request.done.send(()); }
                        None => return,
                    },
                }
            }
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }

    /// One websocket's life: the slot subscription, an account
    /// subscription per followed account, the slow refresh. Returns why it
    /// ended.
    async fn session(
        &self,
        client: &PubsubClient,
        chain: &ChainClient,
        incoming: &mut mpsc::UnboundedReceiver<Follow>,
    ) -> String {
        let Ok((mut slots, _unsubscribe_slots)) = client.slot_subscribe().await else {
            return "slot subscription refused".into();
        };
        let mut updates: SelectAll<BoxStream<'_, Update>> = SelectAll::new();
        let mut unsubscribes = HashMap::new();
        let mut next_id = 0u64;
        self.state().live = true;
        let mut refresh = tokio::time::interval(self.config.refresh);
        refresh.tick().await;
        let mut slot_at_refresh = None;
        loop {
            tokio::select! {
                slot = slots.next() => {
                    let Some(info) = slot else { return "slot stream ended".into() };
                    // The newest slot's parent: the confirmed slot on a lone
                    // validator, what the accounts' commitment has reached.
                    self.note_slot(info.parent);
                }
                Some((key, id, update)) = updates.next(), if !updates.is_empty() => {
                    self.note_update(key, id, update);
                }
                request = incoming.recv() => {
                    let Some(request) = request else { return "node stopped".into() };
                    for key in request.keys {
                        if self.state().subscribed.contains_key(&key) {
                            continue;
                        }
                        let Ok((stream, unsubscribe)) = client.account_subscribe(&key, Some(account_config(chain))).await else {
                            return "account subscription refused".into();
                        };
                        next_id += 1;
                        let id = next_id;
                        let ended = futures::stream::once(async move { (key, id, None) });
                        updates.push(stream.map(move |u| (key, id, Some(u))).chain(ended).boxed());
                        unsubscribes.insert(key, unsubscribe);
                        self.state().subscribed.insert(key, id);
                    }
                    let _ = request.done.send(());
                }
                _ = refresh.tick() => {
                    let slot = self.state().slot;
                    if slot.is_some() && slot == slot_at_refresh {
                        return "no new slot for a whole refresh interval".into();
                    }
                    slot_at_refresh = slot;
                    if let Err(e) = self.refresh(chain).await {
                        tracing::debug!("refresh failed: {e}");
                    }
                    for key in self.idle() {
                        if let Some(unsubscribe) = unsubscribes.remove(&key) {
                            unsubscribe().await;
                        }
                    }
                }
            }
        }
    }

    fn note_slot(&self, slot: u64) {
        let mut state = self.state();
        if state.slot.is_none_or(|s| s < slot) {
            state.slot = Some(slot);
            drop(state);
            self.changes.send_modify(|n| *n += 1);
        }
    }

    fn note_update(&self, key: Pubkey, id: u64, update: Option<Response<UiAccount>>) {
        let mut state = self.state();
        if state.subscribed.get(&key) != Some(&id) {
            return; // an older subscription of the same account
        }
        match update {
            Some(response) => {
                // A closed account is reported empty, with no lamports.
                let account = response.value;
                let data = (account.lamports > 0)
                    .then(|| account.data.decode())
                    .flatten();
                state.offer(key, data, response.context.slot);
                drop(state);
                self.changes.send_modify(|n| *n += 1);
            }
            None => {
                // The endpoint ended it: read through, and follow again.
                state.subscribed.remove(&key);
                state.accounts.remove(&key);
            }
        }
    }

    /// Reads every followed account again: one call per 100.
    async fn refresh(&self, chain: &ChainClient) -> Result<(), ChainError> {
        let keys: Vec<Pubkey> = self.state().subscribed.keys().copied().collect();
        if keys.is_empty() {
            return Ok(());
        }
        let (slot, found) = chain.raw_accounts_at(&keys).await?;
        let mut state = self.state();
        for (key, account) in keys.into_iter().zip(found) {
            state.offer(key, account.map(|a| a.data), slot);
        }
        Ok(())
    }

    /// Stops following accounts nobody read for a while.
    fn idle(&self) -> Vec<Pubkey> {
        let mut state = self.state();
        let forget_after = self.config.forget_after;
        let idle: Vec<Pubkey> = state
            .accounts
            .iter()
            .filter(|(_, e)| e.used.elapsed() > forget_after)
            .map(|(k, _)| *k)
            .collect();
        for key in &idle {
            state.accounts.remove(key);
            state.subscribed.remove(key);
        }
        idle
    }

    /// The followed accounts among `keys` (`Some`: known, `None`: not),
    /// marked as read; `None` altogether while there is no websocket.
    fn cached(&self, keys: &[Pubkey]) -> Option<Vec<Option<Option<Vec<u8>>>>> {
        let mut state = self.state();
        if !state.live {
            return None;
        }
        let now = Instant::now();
        Some(
            keys.iter()
                .map(|key| {
                    state.accounts.get_mut(key).map(|e| {
                        e.used = now;
                        e.data.clone()
                    })
                })
                .collect(),
        )
    }

    /// Subscribes to `keys` (waits at most 5 s for the websocket); what
    /// is not subscribed after that is read without being kept.
    async fn follow(&self, keys: Vec<Pubkey>) {
        let (done, answered) = oneshot::channel();
        if self.requests.send(Follow { keys, done }).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), answered).await;
        }
    }
}

/// Accounts are followed whole, base64, at the client's commitment.
fn account_config(chain: &ChainClient) -> RpcAccountInfoConfig {
    RpcAccountInfoConfig {
        encoding: Some(UiAccountEncoding::Base64),
        data_slice: None,
        commitment: Some(chain.config.commitment),
        min_context_slot: None,
    }
}

/// The node's account source: memory for what is followed, the RPC for
/// the rest (and for everything while the websocket is down).
pub struct Followed<'a> {
    chain: &'a ChainClient,
    follower: &'a Follower,
}

impl AccountSource for Followed<'_> {
    async fn slot(&self) -> Result<u64, ChainError> {
        let slot = {
            let state = self.follower.state();
            state.slot.filter(|_| state.live)
        };
        match slot {
            Some(slot) => Ok(slot),
            None => self.chain.slot().await,
        }
    }

    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        let Some(mut cached) = self.follower.cached(addresses) else {
            return AccountSource::accounts(self.chain, addresses).await;
        };
        let missing: Vec<Pubkey> = addresses
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|(k, _)| *k)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(cached.into_iter().map(Option::flatten).collect());
        }
        // Subscribed first, then read: a change after the read is notified.
        // (What could not be subscribed is read all the same, not kept.)
        self.follower.follow(missing.clone()).await;
        let (slot, found) = self.chain.raw_accounts_at(&missing).await?;
        let found: HashMap<Pubkey, Option<Vec<u8>>> = missing
            .into_iter()
            .zip(found.into_iter().map(|a| a.map(|a| a.data)))
            .collect();
        {
            let mut state = self.follower.state();
            for (key, data) in &found {
                state.offer(*key, data.clone(), slot);
            }
        }
        for (key, entry) in addresses.iter().zip(cached.iter_mut()) {
            if entry.is_none() {
                *entry = found.get(key).cloned();
            }
        }
        Ok(cached.into_iter().map(Option::flatten).collect())
    }

    async fn program_accounts(
        &self,
        filters: &[Memcmp],
        data_size: usize,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        self.chain.raw_program_accounts(filters, data_size).await
    }
}
