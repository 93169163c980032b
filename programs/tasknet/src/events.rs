//! One event per instruction, so indexers and the node can follow a task
//! from logs alone.

use anchor_lang::prelude::*;

/// Emits an event as `Program data: <base64>` (Anchor's `emit!` format).
///
/// Natively (program-test, `tasknet localnet`) Anchor's `emit!` discards the
/// data and `msg!` prints to stdout, since there are no syscalls; there the
/// same bytes go to the runtime's log collector through the syscall stubs,
/// as `Program log: Program data: <base64>`, so tests and the node can read
/// events either way.
pub fn emit<E: anchor_lang::Event>(event: E) {
    #[cfg(target_os = "solana")]
    anchor_lang::solana_program::log::sol_log_data(&[&event.data()]);
    #[cfg(not(target_os = "solana"))]
    {
        use base64::Engine;
        anchor_lang::compat::solana_sysvar::program_stubs::sol_log(&format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(event.data())
        ));
    }
}

#[event]
pub struct TaskCreated {
    pub task: Pubkey,
    pub creator: Pubkey,
    pub task_id: u64,
    pub start_slot: u64,
    pub commit_reveal: bool,
}

#[event]
pub struct TaskFunded {
    pub task: Pubkey,
    pub funder: Pubkey,
    pub amount: u64,
    pub bounty_available: u64,
}

#[event]
pub struct TaskUpdated {
    pub task: Pubkey,
    pub reward_per_round: u64,
    pub min_stake: u64,
    pub code_hash: [u8; 32],
}

#[event]
pub struct TaskPaused {
    pub task: Pubkey,
}

#[event]
pub struct TaskResumed {
    pub task: Pubkey,
}

#[event]
pub struct BountyWithdrawn {
    pub task: Pubkey,
    pub amount: u64,
    pub bounty_available: u64,
}

#[event]
pub struct TaskClosed {
    pub task: Pubkey,
    pub bounty_returned: u64,
    /// The task and vault accounts were closed (no stake was left).
    pub accounts_closed: bool,
}

#[event]
pub struct Staked {
    pub task: Pubkey,
    pub node: Pubkey,
    pub amount: u64,
    pub activates_in_round: u64,
    pub node_total: u64,
}

#[event]
pub struct UnstakeStarted {
    pub task: Pubkey,
    pub node: Pubkey,
    pub amount: u64,
    pub frees_at_slot: u64,
}

#[event]
pub struct StakeWithdrawn {
    pub task: Pubkey,
    pub node: Pubkey,
    pub amount: u64,
}

#[event]
pub struct StakeClosed {
    pub task: Pubkey,
    pub node: Pubkey,
    pub closed_by: Pubkey,
}

#[event]
pub struct RoundOpened {
    pub task: Pubkey,
    pub round: u64,
    /// Moved from the bounty into the round account.
    pub pool: u64,
    pub opened_by: Pubkey,
}

#[event]
pub struct Submitted {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    /// False for a commitment that still has to be revealed.
    pub revealed: bool,
}

#[event]
pub struct Revealed {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
}

#[event]
pub struct Challenged {
    pub task: Pubkey,
    pub round: u64,
    pub submission: Pubkey,
    pub node: Pubkey,
    pub challenger: Pubkey,
    pub bond: u64,
    pub weight: u64,
}

#[event]
pub struct Voted {
    pub task: Pubkey,
    pub audit: Pubkey,
    pub voter: Pubkey,
    pub invalid: bool,
    pub weight: u64,
}

#[event]
pub struct AuditResolved {
    pub task: Pubkey,
    pub round: u64,
    pub submission: Pubkey,
    pub node: Pubkey,
    pub invalid: bool,
    pub invalid_weight: u64,
    pub valid_weight: u64,
    pub slashed: u64,
    pub to_challenger: u64,
}

/// A round's audit seed was recorded (by a reveal or the crank).
#[event]
pub struct AuditSeedRecorded {
    pub task: Pubkey,
    pub round: u64,
    /// The block whose hash is the seed.
    pub slot: u64,
}

/// An audit was decided by the task's verifier program (`AuditResolved`
/// follows with the settlement).
#[event]
pub struct AuditVerified {
    pub task: Pubkey,
    pub round: u64,
    pub submission: Pubkey,
    pub verifier: Pubkey,
    pub invalid: bool,
}

#[event]
pub struct RewardClaimed {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    pub amount: u64,
}

#[event]
pub struct RoundClosed {
    pub task: Pubkey,
    pub round: u64,
    /// Unclaimed reward and dust returned to the bounty.
    pub returned_to_bounty: u64,
}

#[event]
pub struct SubmissionClosed {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    /// The node's unclaimed share, paid to it by this close.
    pub reward_paid: u64,
}

#[event]
pub struct VoteClosed {
    pub audit: Pubkey,
    pub voter: Pubkey,
}
