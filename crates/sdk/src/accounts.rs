//! Decoding accounts, and the memcmp filters that find them. The offsets
//! live next to the account types in the program (and are tested against
//! their serialized layout there); this module only combines them.

use anchor_lang::prelude::Pubkey;
use anchor_lang::AccountDeserialize;
use tasknet::state::{Audit, Round, Stake, Submission, Task, Vote};

/// Decodes an Anchor account (discriminator checked) from raw account data.
pub fn decode<T: AccountDeserialize>(mut data: &[u8]) -> anchor_lang::Result<T> {
    T::try_deserialize(&mut data)
}

/// A memcmp filter: the account data at `offset` starts with `bytes`.
pub type Memcmp = (usize, Vec<u8>);

/// Filters for `getProgramAccounts`, one function per question asked.
pub mod filters {
    use super::*;

    fn key(offset: usize, key: &Pubkey) -> Memcmp {
        (offset, key.to_bytes().to_vec())
    }

    fn number(offset: usize, n: u64) -> Memcmp {
        (offset, n.to_le_bytes().to_vec())
    }

    /// Every submission of one round of a task.
    pub fn round_submissions(task: &Pubkey, round: u64) -> Vec<Memcmp> {
        vec![
            key(Submission::TASK_OFFSET, task),
            number(Submission::ROUND_OFFSET, round),
        ]
    }

    /// The submission at `index` in a round's landing order (at most one):
    /// how an auditor finds its sampled submissions without reading the
    /// round's whole list.
    pub fn submission_at(task: &Pubkey, round: u64, index: u32) -> Vec<Memcmp> {
        let mut filters = round_submissions(task, round);
        filters.push((Submission::INDEX_OFFSET, index.to_le_bytes().to_vec()));
        filters
    }

    /// Every audit of one round of a task.
    pub fn round_audits(task: &Pubkey, round: u64) -> Vec<Memcmp> {
        vec![
            key(Audit::TASK_OFFSET, task),
            number(Audit::ROUND_OFFSET, round),
        ]
    }

    /// Every vote cast in one audit.
    pub fn audit_votes(audit: &Pubkey) -> Vec<Memcmp> {
        vec![key(Vote::AUDIT_OFFSET, audit)]
    }

    /// Every audit of a task, in any round.
    pub fn task_audits(task: &Pubkey) -> Vec<Memcmp> {
        vec![key(Audit::TASK_OFFSET, task)]
    }

    /// Every stake on a task.
    pub fn task_stakes(task: &Pubkey) -> Vec<Memcmp> {
        vec![key(Stake::TASK_OFFSET, task)]
    }

    /// Every open round of a task (each holds its pool until it closes).
    pub fn task_rounds(task: &Pubkey) -> Vec<Memcmp> {
        vec![key(Round::TASK_OFFSET, task)]
    }

    /// Every task of one creator.
    pub fn creator_tasks(creator: &Pubkey) -> Vec<Memcmp> {
        vec![key(Task::CREATOR_OFFSET, creator)]
    }
}
