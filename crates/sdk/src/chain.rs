//! Chain access over Solana JSON-RPC: the one production path of the node
//! and the CLI. Sending a transaction: simulate (for the error and the
//! compute units), set the compute-unit limit and an optional priority fee,
//! sign with a fresh blockhash, send, wait for it, re-broadcast the same
//! bytes until the blockhash expires, and only then sign anew. Waiting uses
//! the endpoint's PubSub websocket (a signature notification) when it
//! serves one, and polls otherwise. Transport errors are retried with
//! backoff.

use std::future::Future;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::AccountDeserialize;
use futures::StreamExt;
use solana_account::Account;
use solana_commitment_config::CommitmentConfig;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind as ClientErrorKind};
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
    RpcSignatureSubscribeConfig, RpcSimulateTransactionConfig,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::request::{RpcError, RpcRequest};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::accounts::{decode, Memcmp as Filter};
use crate::errors::{program_error, ProgramError};
use crate::{ix, pda, PROGRAM_ID};

/// Most compute units one transaction may ask for.
const MAX_COMPUTE_UNITS: u32 = 1_400_000;
/// Addresses a validator answers in one `getMultipleAccounts` call.
pub const MAX_MULTIPLE_ACCOUNTS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(
        "cannot reach the cluster's RPC at {url} (is it running, and is --url right?): {detail}"
    )]
    Transport { url: String, detail: String },
    #[error("RPC error: {0}")]
    Rpc(String),
    #[error("{0}")]
    Program(ProgramError),
    /// Refused before it ran (in simulation or preflight), or, inside
    /// [`ChainError::Failed`], what a sent transaction failed with.
    #[error("{0}")]
    Transaction(TransactionError),
    /// A transaction that was sent and executed, and failed.
    #[error("transaction {signature} failed: {source}")]
    Failed {
        signature: Signature,
        source: Box<ChainError>,
    },
    #[error("transaction not confirmed before its blockhash expired")]
    Expired,
    #[error("account {address} is not a valid {kind}: {detail}")]
    Decode {
        address: Pubkey,
        kind: &'static str,
        detail: String,
    },
}

impl ChainError {
    fn from_transaction(e: TransactionError) -> Self {
        match program_error(&e) {
            Some(p) => Self::Program(p),
            None => Self::Transaction(e),
        }
    }

    /// The program error, if this is one (refused in simulation, or in a
    /// transaction that was sent).
    pub fn program_error(&self) -> Option<&ProgramError> {
        match self {
            Self::Program(p) => Some(p),
            Self::Failed { source, .. } => source.program_error(),
            _ => None,
        }
    }
}

/// How the chain client sends.
#[derive(Clone, Debug)]
pub struct SendConfig {
    pub commitment: CommitmentConfig,
    /// Micro-lamports per compute unit; `None` sends no priority fee.
    pub priority_fee: Option<u64>,
    /// How often to poll for confirmation.
    pub poll_interval: Duration,
    /// How often to re-broadcast an unconfirmed transaction.
    pub rebroadcast_interval: Duration,
    /// How many fresh blockhashes to try before giving up.
    pub max_blockhash_attempts: u32,
    /// Transport retries (with exponential backoff) before an RPC call
    /// gives up.
    pub transport_retries: u32,
}

impl Default for SendConfig {
    fn default() -> Self {
        Self {
            commitment: CommitmentConfig::confirmed(),
            priority_fee: None,
            poll_interval: Duration::from_millis(250),
            rebroadcast_interval: Duration::from_secs(2),
            max_blockhash_attempts: 3,
            transport_retries: 6,
        }
    }
}

impl SendConfig {
    /// Polls every 50 ms: for chains with fast slots (the embedded chain
    /// the demo and the tests run), where 250 ms would be five slots.
    pub fn fast_polling() -> Self {
        Self {
            poll_interval: Duration::from_millis(50),
            ..Self::default()
        }
    }
}

/// A signed transaction, and the block height after which it can no longer
/// land.
#[derive(Clone, Debug)]
pub struct PreparedTx {
    pub transaction: Transaction,
    pub last_valid_block_height: u64,
}

impl PreparedTx {
    pub fn signature(&self) -> Signature {
        self.transaction.signatures[0]
    }
}

/// What became of a sent transaction.
#[derive(Debug)]
pub enum Outcome {
    Confirmed(Signature),
    Failed(Signature, ChainError),
    /// Its blockhash expired unconfirmed: it can never land.
    Expired,
}

pub struct ChainClient {
    rpc: RpcClient,
    pub config: SendConfig,
    /// The endpoint's PubSub websocket, connected on first use; `None`
    /// when it serves none (then confirmations are polled).
    pubsub: tokio::sync::OnceCell<Option<PubsubClient>>,
}

/// Where a validator serves PubSub for the RPC at `url`: the same host,
/// `ws`/`wss`, and the next port when the port is explicit (the Solana
/// CLI's rule).
pub fn websocket_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = match scheme {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    // The port follows the last ':' outside an IPv6 literal's brackets.
    let authority = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => {
            let port: u16 = authority[i + 1..].parse().ok()?;
            format!("{}:{}", &authority[..i], port.checked_add(1)?)
        }
        _ => authority.to_string(),
    };
    Some(format!("{scheme}://{authority}/{path}"))
}

impl ChainClient {
    pub fn new(url: &str, config: SendConfig) -> Self {
        Self {
            rpc: RpcClient::new_with_commitment(url.to_string(), config.commitment),
            config,
            pubsub: tokio::sync::OnceCell::new(),
        }
    }

    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    pub fn url(&self) -> String {
        self.rpc.url()
    }

    /// The endpoint's PubSub websocket, if it serves one.
    async fn pubsub(&self) -> Option<&PubsubClient> {
        self.pubsub
            .get_or_init(|| async {
                let url = websocket_url(&self.rpc.url())?;
                match tokio::time::timeout(Duration::from_secs(2), PubsubClient::new(&url)).await {
                    Ok(Ok(client)) => Some(client),
                    _ => {
                        tracing::info!(%url, "no PubSub websocket: confirmations are polled");
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// Waits until `signature` may have reached the client's commitment: a
    /// signature notification (at most `longest`), or one poll interval
    /// without a websocket. The caller checks the status either way; a
    /// notification only saves the wait.
    async fn wait_for_signature(&self, signature: &Signature, longest: Duration) {
        if let Some(pubsub) = self.pubsub().await {
            let config = RpcSignatureSubscribeConfig {
                commitment: Some(self.config.commitment),
                enable_received_notification: Some(false),
            };
            if let Ok((mut notifications, unsubscribe)) =
                pubsub.signature_subscribe(signature, Some(config)).await
            {
                let _ = tokio::time::timeout(longest, notifications.next()).await;
                drop(notifications);
                unsubscribe().await;
                return;
            }
        }
        tokio::time::sleep(self.config.poll_interval).await;
    }

    /// Runs an RPC call, retrying transport failures with exponential backoff.
    async fn retry<T, F, Fut>(&self, mut call: F) -> Result<T, ChainError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let mut delay = Duration::from_millis(100);
        let mut attempt = 0;
        loop {
            match call().await {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && attempt < self.config.transport_retries => {
                    attempt += 1;
                    tracing::debug!(attempt, "transient RPC error, retrying: {e}");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(3));
                }
                Err(e) if is_transient(&e) => {
                    let detail = e.to_string();
                    // Drop what RpcClient folded in front ("AccountNotFound: …: ").
                    let detail = match detail.find("error sending request") {
                        Some(start) => detail[start..].to_string(),
                        None => detail,
                    };
                    return Err(ChainError::Transport {
                        url: self.rpc.url(),
                        detail,
                    });
                }
                Err(e) => return Err(rpc_error(e)),
            }
        }
    }

    /// The cluster's genesis hash: which chain this is.
    pub async fn genesis_hash(&self) -> Result<String, ChainError> {
        let hash = self.retry(|| self.rpc.get_genesis_hash()).await?;
        Ok(hash.to_string())
    }

    pub async fn slot(&self) -> Result<u64, ChainError> {
        self.retry(|| self.rpc.get_slot()).await
    }

    pub async fn block_height(&self) -> Result<u64, ChainError> {
        self.retry(|| self.rpc.get_block_height()).await
    }

    pub async fn balance(&self, address: &Pubkey) -> Result<u64, ChainError> {
        self.retry(|| self.rpc.get_balance(address)).await
    }

    /// A mint's decimals and symbol; `None` when `mint` is not a mint of
    /// SPL Token or Token-2022.
    pub async fn mint_info(
        &self,
        mint: &Pubkey,
    ) -> Result<Option<crate::tokens::MintInfo>, ChainError> {
        Ok(self
            .raw_account(mint)
            .await?
            .and_then(|a| crate::tokens::MintInfo::read(*mint, &a.owner, &a.data)))
    }

    /// A token account's balance in its mint's smallest units (0 when the
    /// account does not exist).
    pub async fn token_balance(&self, account: &Pubkey) -> Result<u64, ChainError> {
        Ok(self
            .raw_account(account)
            .await?
            .and_then(|a| Some(u64::from_le_bytes(a.data.get(64..72)?.try_into().ok()?)))
            .unwrap_or(0))
    }

    pub async fn raw_account(&self, address: &Pubkey) -> Result<Option<Account>, ChainError> {
        let response = self
            .retry(|| {
                self.rpc
                    .get_account_with_commitment(address, self.config.commitment)
            })
            .await?;
        Ok(response.value)
    }

    /// Creates a task and funds its bounty with `fund` lamports, in one
    /// transaction; returns the task's address.
    pub async fn create_task(
        &self,
        creator: &Keypair,
        args: tasknet::instructions::CreateTaskArgs,
        fund: u64,
    ) -> Result<Pubkey, ChainError> {
        let task = pda::task(&creator.pubkey(), args.task_id);
        let instructions = ix::create_funded_task(&creator.pubkey(), args, fund);
        self.send(&instructions, creator, &[]).await?;
        Ok(task)
    }

    /// Requests an airdrop from the cluster's faucet and waits for it.
    pub async fn airdrop(&self, to: &Pubkey, lamports: u64) -> Result<(), ChainError> {
        let requested = self.retry(|| self.rpc.request_airdrop(to, lamports)).await;
        let signature = match requested {
            Ok(signature) => signature,
            // RpcClient reports every failed airdrop request as a rate
            // limit, an unreachable cluster included: ask the cluster.
            Err(ChainError::Rpc(message)) => {
                self.retry(|| self.rpc.get_version()).await?;
                return Err(ChainError::Rpc(format!("the faucet refused: {message}")));
            }
            Err(e) => return Err(e),
        };
        for _ in 0..200 {
            match self.status(&signature).await? {
                Some(Outcome::Confirmed(_)) => return Ok(()),
                Some(Outcome::Failed(signature, e)) => {
                    return Err(ChainError::Failed {
                        signature,
                        source: Box::new(e),
                    })
                }
                _ => tokio::time::sleep(self.config.poll_interval).await,
            }
        }
        Err(ChainError::Expired)
    }

    /// Several accounts, in one `getMultipleAccounts` call per
    /// [`MAX_MULTIPLE_ACCOUNTS`] addresses (a validator refuses more).
    pub async fn raw_accounts(
        &self,
        addresses: &[Pubkey],
    ) -> Result<Vec<Option<Account>>, ChainError> {
        Ok(self.raw_accounts_at(addresses).await?.1)
    }

    /// Like [`ChainClient::raw_accounts`], with the slot the answer is
    /// from (the oldest of its calls').
    pub async fn raw_accounts_at(
        &self,
        addresses: &[Pubkey],
    ) -> Result<(u64, Vec<Option<Account>>), ChainError> {
        let mut accounts = Vec::with_capacity(addresses.len());
        let mut slot = u64::MAX;
        for chunk in addresses.chunks(MAX_MULTIPLE_ACCOUNTS) {
            let response = self
                .retry(|| {
                    self.rpc
                        .get_multiple_accounts_with_commitment(chunk, self.config.commitment)
                })
                .await?;
            slot = slot.min(response.context.slot);
            accounts.extend(response.value);
        }
        Ok((slot, accounts))
    }

    /// Reads and decodes an Anchor account; `None` if it does not exist.
    pub async fn account<T: AccountDeserialize>(
        &self,
        address: &Pubkey,
    ) -> Result<Option<T>, ChainError> {
        match self.raw_account(address).await? {
            None => Ok(None),
            Some(account) => decode_account(address, &account.data).map(Some),
        }
    }

    /// Accounts of the program of type `T` whose data match all `memcmp`
    /// filters `(offset, bytes)` and `T`'s size.
    pub async fn program_accounts<T: AccountDeserialize + anchor_lang::Space>(
        &self,
        memcmp: &[Filter],
    ) -> Result<Vec<(Pubkey, T)>, ChainError> {
        self.raw_program_accounts(memcmp, 8 + T::INIT_SPACE)
            .await?
            .into_iter()
            .map(|(key, data)| Ok((key, decode_account(&key, &data)?)))
            .collect()
    }

    /// The data of the program's accounts of `data_size` bytes that match
    /// all `memcmp` filters.
    pub async fn raw_program_accounts(
        &self,
        memcmp: &[Filter],
        data_size: usize,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        self.program_accounts_sliced(memcmp, data_size, None).await
    }

    /// Like [`ChainClient::raw_program_accounts`], but only `length`
    /// bytes of each account's data from `offset`: an index of thousands
    /// of accounts (say a task's stakes by weight) for a fraction of the
    /// bytes, whose few accounts of interest are then read whole.
    pub async fn program_account_slices(
        &self,
        memcmp: &[Filter],
        data_size: usize,
        offset: usize,
        length: usize,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        let slice = solana_account_decoder_client_types::UiDataSliceConfig { offset, length };
        self.program_accounts_sliced(memcmp, data_size, Some(slice))
            .await
    }

    async fn program_accounts_sliced(
        &self,
        memcmp: &[Filter],
        data_size: usize,
        data_slice: Option<solana_account_decoder_client_types::UiDataSliceConfig>,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        let mut filters = vec![RpcFilterType::DataSize(data_size as u64)];
        filters.extend(memcmp.iter().map(|(offset, bytes)| {
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.clone()))
        }));
        let config = RpcProgramAccountsConfig {
            filters: Some(filters),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                commitment: Some(self.config.commitment),
                data_slice,
                ..RpcAccountInfoConfig::default()
            },
            ..RpcProgramAccountsConfig::default()
        };
        // Decoded straight into the two fields read: RpcClient's typed
        // answer goes through untagged enums that buffer the whole list
        // first, several times the cost of the read at 10,000 accounts.
        let params = serde_json::json!([PROGRAM_ID.to_string(), config]);
        let listed: Vec<ListedAccount> = self
            .retry(|| {
                self.rpc
                    .send(RpcRequest::GetProgramAccounts, params.clone())
            })
            .await?;
        listed.into_iter().map(ListedAccount::decode).collect()
    }

    /// Simulates `instructions`, then signs them with a fresh blockhash, a
    /// compute-unit limit fitted to the simulation and the priority fee.
    /// A program error found by simulation is returned without sending.
    pub async fn prepare(
        &self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<PreparedTx, ChainError> {
        let mut all_signers: Vec<&Keypair> = vec![payer];
        all_signers.extend(
            signers
                .iter()
                .copied()
                .filter(|s| s.pubkey() != payer.pubkey()),
        );

        let (blockhash, last_valid_block_height) = self
            .retry(|| {
                self.rpc
                    .get_latest_blockhash_with_commitment(self.config.commitment)
            })
            .await?;
        let probe = self.build(
            instructions,
            MAX_COMPUTE_UNITS,
            payer,
            &all_signers,
            blockhash,
        );
        let simulation = self
            .retry(|| {
                self.rpc
                    .simulate_transaction_with_config(&probe, self.simulation_config())
            })
            .await?
            .value;
        if let Some(err) = simulation.err {
            return Err(ChainError::from_transaction(err.into()));
        }
        let used = simulation.units_consumed.unwrap_or(200_000);
        // 20% headroom: state may change a little between simulation and
        // execution (another node's vote, a round opening).
        let limit = (used + used / 5 + 1_000).min(u64::from(MAX_COMPUTE_UNITS)) as u32;
        Ok(PreparedTx {
            transaction: self.build(instructions, limit, payer, &all_signers, blockhash),
            last_valid_block_height,
        })
    }

    /// Simulates `instructions` paid by `payer` (no signature checked)
    /// and returns the return data the transaction left: what a program
    /// such as a task's verifier would answer, without sending anything.
    pub async fn simulate_return_data(
        &self,
        instructions: &[Instruction],
        payer: &Pubkey,
    ) -> Result<Option<(Pubkey, Vec<u8>)>, ChainError> {
        let transaction = Transaction::new_with_payer(instructions, Some(payer));
        let simulation = self
            .retry(|| {
                self.rpc
                    .simulate_transaction_with_config(&transaction, self.simulation_config())
            })
            .await?
            .value;
        if let Some(err) = simulation.err {
            return Err(ChainError::from_transaction(err.into()));
        }
        Ok(simulation.return_data.and_then(|r| {
            use base64::Engine;
            let program: Pubkey = r.program_id.parse().ok()?;
            let data = base64::engine::general_purpose::STANDARD
                .decode(&r.data.0)
                .ok()?;
            Some((program, data))
        }))
    }

    /// How every simulation runs: unsigned, against the latest blockhash,
    /// at the client's commitment.
    fn simulation_config(&self) -> RpcSimulateTransactionConfig {
        RpcSimulateTransactionConfig {
            sig_verify: false,
            replace_recent_blockhash: true,
            commitment: Some(self.config.commitment),
            ..RpcSimulateTransactionConfig::default()
        }
    }

    /// The compute-budget instructions every transaction this client
    /// signs starts with (their count is where a caller's instructions
    /// begin; the limit here is a placeholder of the same size).
    pub fn budget_instructions(&self) -> Vec<Instruction> {
        self.budget_instructions_with(MAX_COMPUTE_UNITS)
    }

    fn budget_instructions_with(&self, compute_limit: u32) -> Vec<Instruction> {
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(
            compute_limit,
        )];
        if let Some(price) = self.config.priority_fee {
            all.push(ComputeBudgetInstruction::set_compute_unit_price(price));
        }
        all
    }

    fn build(
        &self,
        instructions: &[Instruction],
        compute_limit: u32,
        payer: &Keypair,
        signers: &[&Keypair],
        blockhash: solana_hash::Hash,
    ) -> Transaction {
        let mut all = self.budget_instructions_with(compute_limit);
        all.extend_from_slice(instructions);
        Transaction::new_signed_with_payer(&all, Some(&payer.pubkey()), signers, blockhash)
    }

    /// Sends a prepared transaction and follows it until it is confirmed,
    /// fails, or provably cannot land any more. Re-broadcasts the same bytes
    /// (same signature), so it never executes twice.
    pub async fn submit(&self, prepared: &PreparedTx) -> Result<Outcome, ChainError> {
        let signature = prepared.signature();
        let send_config = RpcSendTransactionConfig {
            skip_preflight: true,
            max_retries: Some(0),
            ..RpcSendTransactionConfig::default()
        };
        let mut last_broadcast: Option<tokio::time::Instant> = None;
        loop {
            if last_broadcast.is_none_or(|t| t.elapsed() >= self.config.rebroadcast_interval) {
                self.retry(|| {
                    self.rpc
                        .send_transaction_with_config(&prepared.transaction, send_config)
                })
                .await?;
                last_broadcast = Some(tokio::time::Instant::now());
            }
            let until_rebroadcast = self
                .config
                .rebroadcast_interval
                .saturating_sub(last_broadcast.map_or(Duration::ZERO, |t| t.elapsed()));
            self.wait_for_signature(&signature, until_rebroadcast.max(self.config.poll_interval))
                .await;
            if let Some(outcome) = self.status(&signature).await? {
                return Ok(outcome);
            }
            if self.can_never_land(prepared).await? {
                // One last look: it may have landed just before expiring.
                return Ok(self.status(&signature).await?.unwrap_or(Outcome::Expired));
            }
        }
    }

    /// Whether a transaction with no status can no longer land: its
    /// blockhash is past its last valid block height, or the cluster does
    /// not know it at all (a restarted chain, a dropped fork). Then it is
    /// safe to sign anew at once, without waiting out a lifetime.
    async fn can_never_land(&self, prepared: &PreparedTx) -> Result<bool, ChainError> {
        if self.block_height().await? > prepared.last_valid_block_height {
            return Ok(true);
        }
        let blockhash = prepared.transaction.message.recent_blockhash;
        let valid = self
            .retry(|| {
                self.rpc
                    .is_blockhash_valid(&blockhash, CommitmentConfig::processed())
            })
            .await?;
        if valid {
            return Ok(false);
        }
        // Unknown blockhash; processed but not yet at our commitment would
        // still show a status at `processed`.
        let signature = prepared.signature();
        let seen = self
            .retry(|| {
                self.rpc
                    .get_signature_statuses(std::slice::from_ref(&signature))
            })
            .await?
            .value;
        Ok(seen.into_iter().next().flatten().is_none())
    }

    /// The amount a claim transaction paid, from the `RewardClaimed` event in
    /// its logs: what the chain says was earned (after a restart, too).
    pub async fn claimed_amount(&self, signature: &Signature) -> Result<Option<u64>, ChainError> {
        let config = solana_rpc_client_api::config::RpcTransactionConfig {
            encoding: None,
            commitment: Some(self.config.commitment),
            max_supported_transaction_version: Some(0),
        };
        let transaction = match self
            .retry(|| self.rpc.get_transaction_with_config(signature, config))
            .await
        {
            Ok(transaction) => transaction,
            Err(ChainError::Rpc(_)) => return Ok(None), // not (yet) in history
            Err(e) => return Err(e),
        };
        let logs: Vec<String> = transaction
            .transaction
            .meta
            .and_then(|meta| Option::from(meta.log_messages))
            .unwrap_or_default();
        Ok(crate::events::reward_claimed(&logs).map(|event| event.amount))
    }

    /// The outcome of a signature at our commitment, if it has one yet.
    pub async fn status(&self, signature: &Signature) -> Result<Option<Outcome>, ChainError> {
        let statuses = self
            .retry(|| {
                self.rpc
                    .get_signature_statuses(std::slice::from_ref(signature))
            })
            .await?
            .value;
        Ok(match statuses.into_iter().next().flatten() {
            Some(status) if status.satisfies_commitment(self.config.commitment) => {
                Some(match status.err {
                    None => Outcome::Confirmed(*signature),
                    Some(err) => Outcome::Failed(*signature, ChainError::from_transaction(err)),
                })
            }
            _ => None,
        })
    }

    /// Prepares, sends and confirms; signs anew only after a blockhash has
    /// expired unconfirmed.
    pub async fn send(
        &self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> Result<Signature, ChainError> {
        for _ in 0..self.config.max_blockhash_attempts {
            let prepared = self.prepare(instructions, payer, signers).await?;
            match self.submit(&prepared).await? {
                Outcome::Confirmed(signature) => return Ok(signature),
                Outcome::Failed(signature, e) => {
                    return Err(ChainError::Failed {
                        signature,
                        source: Box::new(e),
                    })
                }
                Outcome::Expired => continue,
            }
        }
        Err(ChainError::Expired)
    }
}

/// An account as `getProgramAccounts` lists it, base64-encoded; the
/// fields not read (lamports, owner, ...) are skipped unparsed.
#[derive(serde::Deserialize)]
struct ListedAccount {
    pubkey: String,
    account: ListedData,
}

#[derive(serde::Deserialize)]
struct ListedData {
    /// `[data, encoding]`.
    data: (String, String),
}

impl ListedAccount {
    fn decode(self) -> Result<(Pubkey, Vec<u8>), ChainError> {
        use base64::Engine;
        let address: Pubkey = self.pubkey.parse().map_err(|_| ChainError::Decode {
            address: Pubkey::default(),
            kind: "account",
            detail: format!("listed address {:?} is not a public key", self.pubkey),
        })?;
        let (data, encoding) = self.account.data;
        let data = match encoding.as_str() {
            "base64" => base64::engine::general_purpose::STANDARD.decode(data).ok(),
            _ => None,
        };
        let data = data.ok_or_else(|| ChainError::Decode {
            address,
            kind: "account",
            detail: format!("undecodable account data (encoding {encoding:?})"),
        })?;
        Ok((address, data))
    }
}

pub fn decode_account<T: AccountDeserialize>(
    address: &Pubkey,
    data: &[u8],
) -> Result<T, ChainError> {
    decode(data).map_err(|e| ChainError::Decode {
        address: *address,
        kind: std::any::type_name::<T>()
            .rsplit("::")
            .next()
            .unwrap_or("account"),
        detail: e.to_string(),
    })
}

fn is_transient(e: &ClientError) -> bool {
    match e.kind() {
        ClientErrorKind::Io(_)
        | ClientErrorKind::Reqwest(_)
        | ClientErrorKind::Middleware(_)
        | ClientErrorKind::RpcError(RpcError::RpcRequestError(_)) => true,
        // Some RpcClient methods (getAccountInfo among them) fold a failed
        // request into a message for the user ("AccountNotFound: pubkey=…:
        // error sending request …"): still a transport failure, not an
        // answer about the account.
        ClientErrorKind::RpcError(RpcError::ForUser(message)) => {
            message.contains("error sending request")
        }
        _ => false,
    }
}

fn rpc_error(e: ClientError) -> ChainError {
    if let Some(tx_error) = e.get_transaction_error() {
        return ChainError::from_transaction(tx_error);
    }
    ChainError::Rpc(e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn websocket_urls_follow_the_solana_cli_rule() {
        use super::websocket_url;
        assert_eq!(
            websocket_url("http://127.0.0.1:8899").unwrap(),
            "ws://127.0.0.1:8900/"
        );
        assert_eq!(
            websocket_url("https://api.devnet.solana.com").unwrap(),
            "wss://api.devnet.solana.com/"
        );
        assert_eq!(
            websocket_url("http://[::1]:8899/x").unwrap(),
            "ws://[::1]:8900/x"
        );
        assert_eq!(websocket_url("http://[::1]/").unwrap(), "ws://[::1]/");
        assert!(websocket_url("ftp://host").is_none());
        assert!(websocket_url("http://host:65535").is_none());
    }

    use super::*;

    #[tokio::test]
    async fn transport_failures_are_retried_then_reported() {
        // Nothing listens on port 1.
        let chain = ChainClient::new(
            "http://127.0.0.1:1",
            SendConfig {
                transport_retries: 2,
                ..SendConfig::default()
            },
        );
        let started = std::time::Instant::now();
        let e = chain.slot().await.unwrap_err();
        assert!(matches!(e, ChainError::Transport { .. }), "{e}");
        assert!(e
            .to_string()
            .starts_with("cannot reach the cluster's RPC at http://127.0.0.1:1"));
        // Two backoffs: 100 ms, then 200 ms.
        assert!(started.elapsed() >= Duration::from_millis(300));
    }

    #[test]
    fn a_listed_account_decodes_to_its_address_and_data_and_nothing_else() {
        // As a validator lists it, fields the SDK does not read included.
        let key = Pubkey::new_unique();
        let listed: Vec<ListedAccount> = serde_json::from_value(serde_json::json!([{
            "pubkey": key.to_string(),
            "account": {
                "data": ["AQID", "base64"],
                "executable": false,
                "lamports": 1_000_000,
                "owner": PROGRAM_ID.to_string(),
                "rentEpoch": u64::MAX,
                "space": 3
            }
        }]))
        .unwrap();
        let decoded: Vec<_> = listed.into_iter().map(ListedAccount::decode).collect();
        assert_eq!(decoded.len(), 1);
        assert_eq!(decoded[0].as_ref().unwrap(), &(key, vec![1, 2, 3]));

        let other = ListedAccount {
            pubkey: key.to_string(),
            account: ListedData {
                data: ("AQID".into(), "base58".into()),
            },
        };
        assert!(
            matches!(other.decode(), Err(ChainError::Decode { address, .. }) if address == key)
        );
        let unnamed = ListedAccount {
            pubkey: "not a key".into(),
            account: ListedData {
                data: ("AQID".into(), "base64".into()),
            },
        };
        assert!(unnamed.decode().is_err());
    }
}
