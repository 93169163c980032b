//! Sending through the outbox: every signed transaction is stored before
//! its first broadcast, under the key of every action it carries, and a
//! stored pending transaction is resumed (same signature) before anything
//! new is signed for any of its actions, so a node killed at any moment and
//! restarted never sends an action twice. Actions due together ride in one
//! transaction while it fits the packet; a part the program refuses is
//! taken out and the rest sent without it.

use anchor_lang::error::ErrorCode as AnchorError;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use solana_keypair::Keypair;
use solana_signature::Signature;
use solana_signer::Signer;
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

/// One action's part of a transaction: its purpose and instructions.
#[derive(Clone, Debug)]
pub struct Part<'a> {
    pub at: Purpose<'a>,
    pub instructions: Vec<Instruction>,
}

/// Largest serialized transaction a validator accepts (the packet size).
pub const MAX_TRANSACTION_BYTES: usize = 1_232;

/// Groups parts, in order, into transactions that fit the packet with the
/// compute-budget instructions the client adds (`budget`); a part too big
/// for any bundle goes alone.
pub fn bundle<'p, 'a>(
    parts: &'p [Part<'a>],
    payer: &Pubkey,
    budget: &[Instruction],
) -> Vec<Vec<&'p Part<'a>>> {
    let fits = |group: &[&Part<'_>]| {
        let mut all = budget.to_vec();
        all.extend(group.iter().flat_map(|p| p.instructions.iter().cloned()));
        let tx = Transaction::new_with_payer(&all, Some(payer));
        bincode::serialized_size(&tx).is_ok_and(|n| n as usize <= MAX_TRANSACTION_BYTES)
    };
    let mut groups: Vec<Vec<&Part<'a>>> = Vec::new();
    for part in parts {
        if let Some(last) = groups.last_mut() {
            last.push(part);
            if fits(last) {
                continue;
            }
            last.pop();
        }
        groups.push(vec![part]);
    }
    groups
}

pub struct Outbox<'a> {
    pub chain: &'a ChainClient,
    pub store: &'a Store,
    pub keypair: &'a Keypair,
}

impl Outbox<'_> {
    /// Sends one action's transaction at most once (see [`Outbox::send_all`]).
    pub async fn send(
        &self,
        at: Purpose<'_>,
        instructions: &[Instruction],
    ) -> Result<Acted, NodeError> {
        let part = Part {
            at,
            instructions: instructions.to_vec(),
        };
        let mut acted = self.send_all(std::slice::from_ref(&part)).await?;
        Ok(acted.pop().unwrap_or(Acted::Refused(ChainError::Expired)))
    }

    /// Sends each part's action at most once, in as few transactions as
    /// they fit in: first resumes any pending transaction that carries one
    /// of them; signs anew only for parts with none, or whose transaction
    /// provably expired or failed. Returns what became of each part.
    pub async fn send_all(&self, parts: &[Part<'_>]) -> Result<Vec<Acted>, NodeError> {
        let mut acted: Vec<Option<Acted>> = parts.iter().map(|_| None).collect();
        self.resume(parts, &mut acted).await?;
        // Each pass sends what is left, without the parts the program
        // refused in the pass before; a blockhash that expires ends it.
        for _pass in 0..=parts.len() {
            let left: Vec<Part<'_>> = parts
                .iter()
                .zip(&acted)
                .filter(|(_, a)| a.is_none())
                .map(|(p, _)| p.clone())
                .collect();
            if left.is_empty() {
                break;
            }
            let budget = self.chain.budget_instructions();
            for group in bundle(&left, &self.keypair.pubkey(), &budget) {
                for (part, outcome) in self.sign_and_follow(&group).await? {
                    if let Some(i) = parts.iter().position(|p| same_action(p.at, part.at)) {
                        acted[i] = Some(outcome);
                    }
                }
            }
        }
        Ok(acted
            .into_iter()
            .map(|a| a.unwrap_or(Acted::Refused(ChainError::Expired)))
            .collect())
    }

    /// Follows every stored pending transaction that carries one of the
    /// parts, and records what a confirmed one did for each part.
    async fn resume(
        &self,
        parts: &[Part<'_>],
        acted: &mut [Option<Acted>],
    ) -> Result<(), NodeError> {
        for i in 0..parts.len() {
            if acted[i].is_some() {
                continue;
            }
            let at = parts[i].at;
            let Some(entry) = self.store.last_tx(at.task, at.round, at.key)? else {
                continue;
            };
            let signature: Signature = entry
                .signature
                .parse()
                .map_err(|_| NodeError::CorruptStore(format!("signature {}", entry.signature)))?;
            let state = match entry.state {
                TxState::Pending => {
                    let transaction: Transaction = bincode::deserialize(&entry.tx)
                        .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
                    let prepared = PreparedTx {
                        transaction,
                        last_valid_block_height: entry.last_valid_block_height,
                    };
                    let state = self.follow(at, &prepared).await?;
                    self.store.set_signature_state(&entry.signature, state)?;
                    state
                }
                state => state,
            };
            if state != TxState::Confirmed {
                continue;
            }
            // The same transaction carried every part recorded under it.
            for (j, part) in parts.iter().enumerate() {
                let carried = self
                    .store
                    .last_tx(part.at.task, part.at.round, part.at.key)?
                    .is_some_and(|e| e.signature == entry.signature);
                if carried && acted[j].is_none() {
                    acted[j] = Some(Acted::Confirmed(signature));
                }
            }
        }
        Ok(())
    }

    /// Signs one transaction for `group`, stores it under every part's key
    /// and follows it. A part the program refuses in simulation or
    /// execution gets its refusal; the others get nothing when the
    /// transaction did not land (they go in the next pass).
    async fn sign_and_follow<'p, 'a>(
        &self,
        group: &[&'p Part<'a>],
    ) -> Result<Vec<(&'p Part<'a>, Acted)>, NodeError> {
        let instructions: Vec<Instruction> = group
            .iter()
            .flat_map(|p| p.instructions.iter().cloned())
            .collect();
        // Which part an instruction index of the signed transaction is in.
        let offset = self.chain.budget_instructions().len();
        let part_at = |index: u8| {
            let mut end = offset;
            group.iter().position(|p| {
                end += p.instructions.len();
                usize::from(index) < end
            })
        };
        let culprit = |e: &ChainError| e.program_error().and_then(|p| part_at(p.instruction));
        let prepared = match self.chain.prepare(&instructions, self.keypair, &[]).await {
            Ok(p) => p,
            Err(e) => {
                return match culprit(&e) {
                    Some(i) => Ok(vec![(group[i], refused(group[i].at, e)?)]),
                    None if group.len() == 1 => Ok(vec![(group[0], refused(group[0].at, e)?)]),
                    None => Err(e.into()),
                };
            }
        };
        let bytes = bincode::serialize(&prepared.transaction)
            .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
        let signature = prepared.signature().to_string();
        for part in group {
            let at = part.at;
            self.store.record_tx(
                at.task,
                at.round,
                at.key,
                &signature,
                &bytes,
                prepared.last_valid_block_height,
            )?;
        }
        let at = group[0].at;
        let outcome = self.chain.submit(&prepared).await?;
        let state = match &outcome {
            Outcome::Confirmed(_) => TxState::Confirmed,
            Outcome::Failed(..) => TxState::Failed,
            Outcome::Expired => TxState::Expired,
        };
        self.store.set_signature_state(&signature, state)?;
        log_outcome(at, group.len(), &outcome);
        Ok(match outcome {
            Outcome::Confirmed(signature) => group
                .iter()
                .map(|p| (*p, Acted::Confirmed(signature)))
                .collect(),
            Outcome::Failed(_, e) => match culprit(&e) {
                Some(i) => vec![(group[i], refused(group[i].at, e)?)],
                None => vec![(group[0], refused(at, e)?)],
            },
            Outcome::Expired => group
                .iter()
                .map(|p| (*p, Acted::Refused(ChainError::Expired)))
                .collect(),
        })
    }

    /// Broadcasts and follows a stored transaction to its end.
    async fn follow(&self, at: Purpose<'_>, prepared: &PreparedTx) -> Result<TxState, NodeError> {
        let outcome = self.chain.submit(prepared).await?;
        log_outcome(at, 1, &outcome);
        Ok(match outcome {
            Outcome::Confirmed(_) => TxState::Confirmed,
            Outcome::Failed(..) => TxState::Failed,
            Outcome::Expired => TxState::Expired,
        })
    }
}

fn same_action(a: Purpose<'_>, b: Purpose<'_>) -> bool {
    (a.task, a.round, a.key) == (b.task, b.round, b.key)
}

fn log_outcome(at: Purpose<'_>, parts: usize, outcome: &Outcome) {
    let (task, round, action) = (at.task, at.round, at.key.stored());
    match outcome {
        Outcome::Confirmed(signature) => {
            tracing::info!(task = %task, round, action, parts, %signature, "confirmed")
        }
        Outcome::Failed(signature, e) => {
            tracing::debug!(task = %task, round, action, parts, %signature, "failed: {e}")
        }
        Outcome::Expired => {
            tracing::info!(task = %task, round, action, parts, "blockhash expired unconfirmed; will re-sign")
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
