//! Sending through the outbox: every signed transaction is stored before
//! its first broadcast, under the key of every action it carries, and a
//! stored pending transaction is resumed (same signature) before anything
//! new is signed for any of its actions, so a node killed at any moment and
//! restarted never sends an action twice. Actions due together ride in one
//! transaction while it fits the packet; a part the program refuses is
//! taken out and the rest sent without it.

use std::collections::HashMap;
use std::ops::Range;

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

use crate::action::{Action, OutboxKey, Payout};
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

/// One action's part of a transaction: its task and round, the key the
/// outbox stores it under, and its instructions.
#[derive(Clone, Debug)]
pub struct Part<'a> {
    pub task: &'a Pubkey,
    pub round: u64,
    pub key: OutboxKey,
    pub instructions: Vec<Instruction>,
}

impl<'a> Part<'a> {
    /// `me`'s part for `action` on `round` of `task`, paid in `payout`;
    /// `None` for an off-chain action.
    pub fn of(
        action: &Action,
        me: &Pubkey,
        task: &'a Pubkey,
        round: u64,
        payout: Payout<'_>,
    ) -> Option<Self> {
        let instructions = action.instructions(me, task, round, payout);
        let key = action.outbox_key().filter(|_| !instructions.is_empty())?;
        Some(Self {
            task,
            round,
            key,
            instructions,
        })
    }
}

/// Largest serialized transaction a validator accepts (the packet size).
pub const MAX_TRANSACTION_BYTES: usize = 1_232;

/// Groups parts, in order, into runs that each fit one transaction with
/// the compute-budget instructions the client adds (`budget`); a part too
/// big to share goes alone.
pub fn bundle(parts: &[Part<'_>], payer: &Pubkey, budget: &[Instruction]) -> Vec<Range<usize>> {
    let fits = |group: &[Part<'_>]| {
        let mut all = budget.to_vec();
        all.extend(group.iter().flat_map(|p| p.instructions.iter().cloned()));
        let tx = Transaction::new_with_payer(&all, Some(payer));
        bincode::serialized_size(&tx).is_ok_and(|n| n as usize <= MAX_TRANSACTION_BYTES)
    };
    let mut groups: Vec<Range<usize>> = Vec::new();
    for i in 0..parts.len() {
        match groups.last_mut() {
            Some(last) if fits(&parts[last.start..=i]) => last.end = i + 1,
            _ => groups.push(i..i + 1),
        }
    }
    groups
}

pub struct Outbox<'a> {
    pub chain: &'a ChainClient,
    pub store: &'a Store,
    pub keypair: &'a Keypair,
}

impl Outbox<'_> {
    /// Sends each part's action at most once, in as few transactions as
    /// they fit in: first resumes any pending transaction that carries one
    /// of them; signs anew only for parts with none, or whose transaction
    /// provably expired or failed. Returns what became of each part.
    pub async fn send_all(&self, parts: &[Part<'_>]) -> Result<Vec<Acted>, NodeError> {
        let mut acted: Vec<Option<Acted>> = parts.iter().map(|_| None).collect();
        self.resume(parts, &mut acted).await?;
        let budget = self.chain.budget_instructions();
        // Each pass sends what is left, without the parts the program
        // refused in the pass before; a blockhash that expires ends it.
        for _pass in 0..=parts.len() {
            let left: Vec<usize> = (0..parts.len()).filter(|&i| acted[i].is_none()).collect();
            if left.is_empty() {
                break;
            }
            let pending: Vec<Part<'_>> = left.iter().map(|&i| parts[i].clone()).collect();
            for run in bundle(&pending, &self.keypair.pubkey(), &budget) {
                for (i, outcome) in self.sign_and_follow(&pending[run.clone()]).await? {
                    acted[left[run.start + i]] = Some(outcome);
                }
            }
        }
        Ok(acted
            .into_iter()
            .map(|a| a.unwrap_or(Acted::Refused(ChainError::Expired)))
            .collect())
    }

    /// Follows every stored pending transaction that carries one of the
    /// parts (once, however many of them it carries), and marks the parts
    /// whose transaction is confirmed.
    async fn resume(
        &self,
        parts: &[Part<'_>],
        acted: &mut [Option<Acted>],
    ) -> Result<(), NodeError> {
        let mut states: HashMap<String, TxState> = HashMap::new();
        for (part, acted) in parts.iter().zip(acted.iter_mut()) {
            let Some(entry) = self.store.last_tx(part.task, part.round, &part.key)? else {
                continue;
            };
            let state = match (states.get(&entry.signature), entry.state) {
                (Some(state), _) => *state,
                (None, TxState::Pending) => {
                    let transaction: Transaction = bincode::deserialize(&entry.tx)
                        .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
                    let prepared = PreparedTx {
                        transaction,
                        last_valid_block_height: entry.last_valid_block_height,
                    };
                    state_of(&self.follow(std::slice::from_ref(part), &prepared).await?)
                }
                (None, state) => state,
            };
            states.insert(entry.signature.clone(), state);
            if state == TxState::Confirmed {
                let signature = entry.signature.parse().map_err(|_| {
                    NodeError::CorruptStore(format!("signature {}", entry.signature))
                })?;
                *acted = Some(Acted::Confirmed(signature));
            }
        }
        Ok(())
    }

    /// Signs one transaction for `group`, stores it under every part's key
    /// and follows it. Returns outcomes by index in `group`: a part the
    /// program refuses in simulation or execution gets its refusal; the
    /// others get nothing when the transaction did not land (they go in
    /// the next pass).
    async fn sign_and_follow(&self, group: &[Part<'_>]) -> Result<Vec<(usize, Acted)>, NodeError> {
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
                return match culprit(&e).or((group.len() == 1).then_some(0)) {
                    Some(i) => Ok(vec![(i, refused(&group[i], e)?)]),
                    None => Err(e.into()),
                };
            }
        };
        let bytes = bincode::serialize(&prepared.transaction)
            .map_err(|e| NodeError::CorruptStore(format!("transaction: {e}")))?;
        let signature = prepared.signature().to_string();
        for part in group {
            self.store.record_tx(
                part.task,
                part.round,
                &part.key,
                &signature,
                &bytes,
                prepared.last_valid_block_height,
            )?;
        }
        Ok(match self.follow(group, &prepared).await? {
            Outcome::Confirmed(signature) => (0..group.len())
                .map(|i| (i, Acted::Confirmed(signature)))
                .collect(),
            Outcome::Failed(_, e) => {
                let i = culprit(&e).unwrap_or(0);
                vec![(i, refused(&group[i], e)?)]
            }
            Outcome::Expired => (0..group.len())
                .map(|i| (i, Acted::Refused(ChainError::Expired)))
                .collect(),
        })
    }

    /// Broadcasts and follows a stored transaction carrying `parts` to its
    /// end, and records that end under every action it carries.
    async fn follow(
        &self,
        parts: &[Part<'_>],
        prepared: &PreparedTx,
    ) -> Result<Outcome, NodeError> {
        let outcome = self.chain.submit(prepared).await?;
        let signature = prepared.signature().to_string();
        self.store
            .set_signature_state(&signature, state_of(&outcome))?;
        if let Some(first) = parts.first() {
            log_outcome(first, parts.len(), &outcome);
        }
        Ok(outcome)
    }
}

fn state_of(outcome: &Outcome) -> TxState {
    match outcome {
        Outcome::Confirmed(_) => TxState::Confirmed,
        Outcome::Failed(..) => TxState::Failed,
        Outcome::Expired => TxState::Expired,
    }
}

fn log_outcome(part: &Part<'_>, parts: usize, outcome: &Outcome) {
    let (task, round, action) = (part.task, part.round, part.key.stored());
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
fn refused(part: &Part<'_>, e: ChainError) -> Result<Acted, NodeError> {
    let (task, round, action) = (part.task, part.round, part.key.stored());
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

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::instruction::AccountMeta;

    fn part(task: &Pubkey, round: u64, data_len: usize) -> Part<'_> {
        Part {
            task,
            round,
            key: OutboxKey::Submit,
            instructions: vec![Instruction {
                program_id: tasknet_sdk::PROGRAM_ID,
                accounts: vec![AccountMeta::new(Pubkey::new_unique(), false)],
                data: vec![7; data_len],
            }],
        }
    }

    #[test]
    fn bundles_are_runs_in_order_that_each_fit_the_packet() {
        let (task, payer) = (Pubkey::new_unique(), Pubkey::new_unique());
        // What the node's client puts first (it connects to nothing here).
        let budget =
            ChainClient::new("http://127.0.0.1:1", Default::default()).budget_instructions();
        let size = |parts: &[Part<'_>]| {
            let mut all = budget.to_vec();
            all.extend(parts.iter().flat_map(|p| p.instructions.iter().cloned()));
            bincode::serialized_size(&Transaction::new_with_payer(&all, Some(&payer))).unwrap()
                as usize
        };
        // Three small parts share one transaction.
        let small: Vec<Part<'_>> = (0..3).map(|r| part(&task, r, 100)).collect();
        assert_eq!(bundle(&small, &payer, &budget), vec![0..3]);
        // 400-byte parts: two fit, a third would not.
        let mid: Vec<Part<'_>> = (0..5).map(|r| part(&task, r, 400)).collect();
        let runs = bundle(&mid, &payer, &budget);
        assert_eq!(runs, vec![0..2, 2..4, 4..5]);
        for run in &runs {
            assert!(size(&mid[run.clone()]) <= MAX_TRANSACTION_BYTES);
        }
        assert!(size(&mid[0..3]) > MAX_TRANSACTION_BYTES);
        // A part too big for any transaction goes alone, between the others.
        let mixed = vec![
            part(&task, 0, 10),
            part(&task, 1, 2_000),
            part(&task, 2, 10),
        ];
        assert_eq!(bundle(&mixed, &payer, &budget), vec![0..1, 1..2, 2..3]);
        assert!(bundle(&[], &payer, &budget).is_empty());
    }
}
