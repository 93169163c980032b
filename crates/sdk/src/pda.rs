//! Program-derived addresses, one function per account kind, from the
//! program's own seed constants.

use anchor_lang::prelude::Pubkey;
use tasknet::constants::*;

use crate::PROGRAM_ID;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &PROGRAM_ID).0
}

/// An address with its canonical bump, for the instructions that create an
/// account on the per-node path and take the bump instead of searching.
pub fn find_with_bump(seeds: &[&[u8]]) -> (Pubkey, u8) {
    Pubkey::find_program_address(seeds, &PROGRAM_ID)
}

pub fn task(creator: &Pubkey, task_id: u64) -> Pubkey {
    find(&[TASK_SEED, creator.as_ref(), &task_id.to_le_bytes()])
}

pub fn vault(task: &Pubkey) -> Pubkey {
    find(&[VAULT_SEED, task.as_ref()])
}

pub fn stake(task: &Pubkey, node: &Pubkey) -> Pubkey {
    find(&[STAKE_SEED, task.as_ref(), node.as_ref()])
}

pub fn round(task: &Pubkey, round: u64) -> Pubkey {
    find(&[ROUND_SEED, task.as_ref(), &round.to_le_bytes()])
}

pub fn submission(task: &Pubkey, round: u64, node: &Pubkey) -> Pubkey {
    submission_with_bump(task, round, node).0
}

pub fn submission_with_bump(task: &Pubkey, round: u64, node: &Pubkey) -> (Pubkey, u8) {
    find_with_bump(&[
        SUBMISSION_SEED,
        task.as_ref(),
        &round.to_le_bytes(),
        node.as_ref(),
    ])
}

pub fn audit(submission: &Pubkey) -> Pubkey {
    find(&[AUDIT_SEED, submission.as_ref()])
}

pub fn vote(audit: &Pubkey, voter: &Pubkey) -> Pubkey {
    vote_with_bump(audit, voter).0
}

pub fn vote_with_bump(audit: &Pubkey, voter: &Pubkey) -> (Pubkey, u8) {
    find_with_bump(&[VOTE_SEED, audit.as_ref(), voter.as_ref()])
}

/// A token task's bounty account (owned by the task).
pub fn bounty_tokens(task: &Pubkey) -> Pubkey {
    find(&[BOUNTY_SEED, task.as_ref()])
}

/// A token round's pool account (owned by the round account).
pub fn pool_tokens(round_account: &Pubkey) -> Pubkey {
    find(&[POOL_SEED, round_account.as_ref()])
}
