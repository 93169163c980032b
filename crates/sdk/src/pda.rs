//! Program-derived addresses, one function per account kind, from the
//! program's own seed constants.

use anchor_lang::prelude::Pubkey;
use tasknet::constants::*;

use crate::PROGRAM_ID;

fn find(seeds: &[&[u8]]) -> Pubkey {
    Pubkey::find_program_address(seeds, &PROGRAM_ID).0
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
    find(&[
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
    find(&[VOTE_SEED, audit.as_ref(), voter.as_ref()])
}
