//! Sending through the outbox: every signed transaction is stored before
//! its first broadcast, and a stored pending transaction is resumed (same
//! signature) before anything new is signed, so a node killed at any moment
//! and restarted never sends an action twice.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_transaction::Transaction;
use tasknet::errors::TasknetError;
use tasknet_sdk::chain::{ChainClient, ChainError, Outcome, PreparedTx};
use tasknet_sdk::errors::ProgramError;

use crate::action::OutboxKey;
use crate::store::{Store, TxState};
use crate::NodeError;

/// What became of an action's transaction.
#[derive(Debug)]
pub enum Acted {
    /// Our transaction landed (now, or before a restart).
    Confirmed(Signature),
    /// The program says it is done already (another node's crank won the
    /// race, or our earlier transaction did it): nothing to do.
    AlreadyDone,
    /// The program refused it; nothing changed.
    Refused(ChainError),
}

/// Program errors that mean "this was already done": not a failure.
const ALREADY_DONE: [TasknetError; 6] = [
    TasknetError::AlreadySubmitted,
    TasknetError::AlreadyRevealed,
    TasknetError::AlreadyChallenged,
    TasknetError::AlreadyVoted,
    TasknetError::AuditAlreadyResolved,
    TasknetError::AlreadyClaimed,
];

fn already_done(error: &ProgramError) -> bool {
    ALREADY_DONE.iter().any(|e| error.is(*e))
        // The account a crank would close is gone: someone closed it.
        || error.is_anchor(AnchorError::AccountNotInitialized)
}

/// Where one action's transaction goes: its task, round and purpose.
#[derive(Clone, Copy, Debug)]
pub struct Purpose<'a> {
    pub task: &'a Pubkey,
    pub round: u64,
    pub key: &'a OutboxKey,
}

pub struct Outbox<'a> {
    pub chain: &'a ChainClient,
    pub store: &'a Store,
    pub keypair: &'a Keypair,
}

impl Outbox<'_> {
    /// Sends one action's transaction at most once: resumes a pending one
    /// first; signs anew only if there is none or it provably expired.
    pub async fn send(
        &self,
        at: Purpose<'_>,
        instructions: &[Instruction],
    ) -> Result<Acted, NodeError> {
        if let Some(entry) = self.store.last_tx(at.task, at.round, at.key)? {
            let signature: Signature = entry
                .signature
                .parse()
                .map_err(|_| NodeError::CorruptStore(format!("signature {}", entry.signature)))?;
            match entry.state {
                TxState::Confirmed => return Ok(Acted::Confirmed(signature)),
                TxState::Pending => {
                    let transaction: Transaction = bincode::deserialize(&entry.tx)
                        .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
                    let prepared = PreparedTx {
                        transaction,
                        last_valid_block_height: entry.last_valid_block_height,
                    };
                    if let Some(acted) = self.follow(at, entry.id, &prepared).await? {
                        return Ok(acted);
                    }
                }
                TxState::Failed | TxState::Expired => {}
            }
        }
        let prepared = match self.chain.prepare(instructions, self.keypair, &[]).await {
            Ok(p) => p,
            Err(e) => return refused(at, e),
        };
        let bytes = bincode::serialize(&prepared.transaction)
            .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
        let id = self.store.record_tx(
            at.task,
            at.round,
            at.key,
            &prepared.signature().to_string(),
            &bytes,
            prepared.last_valid_block_height,
        )?;
        Ok(self
            .follow(at, id, &prepared)
            .await?
            .unwrap_or(Acted::Refused(ChainError::Expired)))
    }

    /// Broadcasts and follows a stored transaction; `None` if it expired.
    async fn follow(
        &self,
        at: Purpose<'_>,
        id: i64,
        prepared: &PreparedTx,
    ) -> Result<Option<Acted>, NodeError> {
        let (task, round, action) = (at.task, at.round, at.key.stored());
        match self.chain.submit(prepared).await? {
            Outcome::Confirmed(signature) => {
                self.store.set_tx_state(id, TxState::Confirmed)?;
                tracing::info!(task = %task, round, action, %signature, "confirmed");
                Ok(Some(Acted::Confirmed(signature)))
            }
            Outcome::Failed(signature, e) => {
                self.store.set_tx_state(id, TxState::Failed)?;
                tracing::debug!(task = %task, round, action, %signature, "failed: {e}");
                Ok(Some(refused(at, e)?))
            }
            Outcome::Expired => {
                self.store.set_tx_state(id, TxState::Expired)?;
                tracing::info!(task = %task, round, action, "blockhash expired unconfirmed; will re-sign");
                Ok(None)
            }
        }
    }
}

/// A program error refuses the action (or says it is already done); any
/// other error is the node's to report.
fn refused(at: Purpose<'_>, e: ChainError) -> Result<Acted, NodeError> {
    let (task, round, action) = (at.task, at.round, at.key.stored());
    match e.program_error() {
        Some(p) if already_done(p) => {
            tracing::debug!(task = %task, round, action, "already done ({})", p.name);
            Ok(Acted::AlreadyDone)
        }
        Some(_) => {
            tracing::warn!(task = %task, round, action, "refused: {e}");
            Ok(Acted::Refused(e))
        }
        None => Err(e.into()),
    }
}
