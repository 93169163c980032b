use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenInterface;

use crate::constants::ROUND_SEED;
use crate::errors::TasknetError;
use crate::logic::{find_seed, reward_share, seed_slot, Schedule, SeedLookup};
use std::cell::RefMut;

use crate::state::in_place::InPlace;
use crate::state::{checked_add, checked_sub, Counter, Economics, SubmissionView, Task};
use crate::tokens::{self, TokenMove};
use crate::utils::pay_out;

/// One round of one task; opened in its submit window (by the transaction
/// of its first submission), closed after the claim deadline once every
/// submission account is closed. It holds its own pool: its lamports minus
/// rent always equal `outstanding()`, so claims never touch the task or its
/// vault, and no claim can pay more than the pool.
///
/// Everything that judges the round is fixed when it opens (its schedule,
/// economics and code hash): a creator's `update_task` applies from the next
/// round opened, so it cannot turn a vote, a challenge or a verdict already
/// under way, nor the code a round's nodes ran.
#[account]
#[derive(InitSpace, Debug)]
pub struct Round {
    pub task: Pubkey,
    pub round: u64,
    /// The task's schedule (which never changes), copied at opening so that
    /// `reveal` and `claim` need not read the task at all.
    pub schedule: Schedule,
    /// The task's economics when the round opened: its minimum stake,
    /// challenge bond, slash and verdict rules apply to this round whatever
    /// the creator changes later.
    pub economics: Economics,
    /// The code the round's nodes run and are audited with.
    pub code_hash: [u8; 32],
    /// Taken from the bounty when the round opened.
    pub reward_pool: u64,
    /// The task's active stake before the round began: the quorum base.
    pub eligible_stake: u64,
    pub submissions: u32,
    /// Submission accounts that exist; the round closes after them.
    pub submissions_open: u32,
    /// Submissions with a value (revealed, or plain submissions).
    pub revealed: u32,
    pub invalidated: u32,
    pub open_audits: u32,
    pub claimed_count: u32,
    pub claimed_sum: u64,
    /// Paid this account's rent; gets it back at close.
    pub rent_payer: Pubkey,
    pub bump: u8,
    /// A token task's round holds its pool in this token account (at
    /// `[POOL_SEED, round]`, owned by the round), whose balance always
    /// equals `outstanding()`; the default key for a SOL round, which holds
    /// its pool in its own lamports.
    pub pool_tokens: Pubkey,
    /// The hash of the first block at or after the seed slot (the first
    /// slot after the submit window): the audit sample's seed, unknown to
    /// every submitter while it could still choose when to land
    /// (`logic::audit_seed`). Zero until recorded.
    pub audit_seed: [u8; 32],
    /// The slot of that block; 0 until recorded.
    pub seed_slot: u64,
}

impl Round {
    /// Offset of `task` in the account data (after the discriminator).
    pub const TASK_OFFSET: usize = 8;

    /// A round of `task` (at `task_key`) opened with its pool and terms
    /// fixed.
    pub fn open(
        task_key: Pubkey,
        task: &Task,
        round: u64,
        reward_pool: u64,
        eligible_stake: u64,
        rent_payer: Pubkey,
        bump: u8,
    ) -> Self {
        Self {
            task: task_key,
            round,
            schedule: task.schedule,
            economics: task.economics,
            code_hash: task.code_hash,
            reward_pool,
            eligible_stake,
            submissions: 0,
            submissions_open: 0,
            revealed: 0,
            invalidated: 0,
            open_audits: 0,
            claimed_count: 0,
            claimed_sum: 0,
            rent_payer,
            bump,
            pool_tokens: Pubkey::default(),
            audit_seed: [0; 32],
            seed_slot: 0,
        }
    }

    /// The round as it lies in its account (the rules below are written
    /// once, on the view the per-node instructions use).
    pub fn data(&self) -> RoundData {
        RoundData::from(self)
    }

    /// The audit seed is recorded (nodes may draw the sample).
    pub fn seed_recorded(&self) -> bool {
        self.data().seed_recorded()
    }

    /// The round holds its pool in a token account (a token task's round).
    pub fn is_token_round(&self) -> bool {
        self.data().is_token_round()
    }

    /// Submissions that earn a share: revealed and not invalidated.
    pub fn valid_count(&self) -> u64 {
        self.data().valid_count()
    }

    /// One valid submitter's share of the pool.
    pub fn share(&self) -> Result<u64> {
        self.data().share()
    }

    /// The part of the pool not yet paid: what this account holds above
    /// rent, and what returns to the bounty when the round closes.
    pub fn outstanding(&self) -> Result<u64> {
        self.data().outstanding()
    }
}

/// `Round` where it lies in its account: a packed mirror of its Borsh
/// layout (`state::in_place`), the view `submit`, `reveal`, `claim`,
/// `close_submission` and `record_audit_seed` read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, packed)]
pub struct RoundData {
    pub task: Pubkey,
    pub round: u64,
    pub schedule: Schedule,
    pub economics: Economics,
    pub code_hash: [u8; 32],
    pub reward_pool: u64,
    pub eligible_stake: u64,
    pub submissions: u32,
    pub submissions_open: u32,
    pub revealed: u32,
    pub invalidated: u32,
    pub open_audits: u32,
    pub claimed_count: u32,
    pub claimed_sum: u64,
    pub rent_payer: Pubkey,
    pub bump: u8,
    pub pool_tokens: Pubkey,
    pub audit_seed: [u8; 32],
    pub seed_slot: u64,
}

impl InPlace for RoundData {
    const DISCRIMINATOR: &'static [u8] = Round::DISCRIMINATOR;
}

impl From<&Round> for RoundData {
    fn from(round: &Round) -> Self {
        Self {
            task: round.task,
            round: round.round,
            schedule: round.schedule,
            economics: round.economics,
            code_hash: round.code_hash,
            reward_pool: round.reward_pool,
            eligible_stake: round.eligible_stake,
            submissions: round.submissions,
            submissions_open: round.submissions_open,
            revealed: round.revealed,
            invalidated: round.invalidated,
            open_audits: round.open_audits,
            claimed_count: round.claimed_count,
            claimed_sum: round.claimed_sum,
            rent_payer: round.rent_payer,
            bump: round.bump,
            pool_tokens: round.pool_tokens,
            audit_seed: round.audit_seed,
            seed_slot: round.seed_slot,
        }
    }
}

impl RoundData {
    /// Refuses a round that is not `round` of `task`.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn check_is(&self, task: &Pubkey, round: u64) -> Result<()> {
        require_keys_eq!(self.task, *task, TasknetError::WrongTask);
        require!(self.round == round, TasknetError::WrongRound);
        Ok(())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn seed_recorded(&self) -> bool {
        self.seed_slot != 0
    }

    /// Records the audit seed from the `SlotHashes` sysvar's data: the
    /// first block at or after the round's seed slot, whoever records it
    /// and whenever (while that slot is in the sysvar).
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn record_seed(&mut self, slot_hashes: &[u8]) -> Result<()> {
        require!(!self.seed_recorded(), TasknetError::SeedAlreadyRecorded);
        let schedule = self.schedule;
        match find_seed(slot_hashes, seed_slot(&schedule, self.round)) {
            SeedLookup::Found { slot, hash } => {
                self.audit_seed = hash;
                self.seed_slot = slot;
                Ok(())
            }
            SeedLookup::NotYet => err!(TasknetError::SeedNotYetAvailable),
            SeedLookup::Expired => err!(TasknetError::SeedExpired),
            SeedLookup::Malformed => err!(TasknetError::WrongSysvar),
        }
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn is_token_round(&self) -> bool {
        self.pool_tokens != Pubkey::default()
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn valid_count(&self) -> u64 {
        u64::from(self.revealed.saturating_sub(self.invalidated))
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn share(&self) -> Result<u64> {
        Ok(reward_share(self.reward_pool, self.valid_count())
            .ok_or(TasknetError::NotClaimable)?
            .share)
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn record_submission(&mut self, revealed: bool) -> Result<()> {
        self.submissions = self.submissions.plus_one()?;
        self.submissions_open = self.submissions_open.plus_one()?;
        if revealed {
            self.revealed = self.revealed.plus_one()?;
        }
        Ok(())
    }

    /// Counts a paid share; refuses one the pool cannot cover, whatever
    /// the other counters say.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn record_claim(&mut self, share: u64) -> Result<()> {
        let claimed_sum = checked_add(self.claimed_sum, share)?;
        require!(claimed_sum <= self.reward_pool, TasknetError::PoolExhausted);
        self.claimed_count = self.claimed_count.plus_one()?;
        self.claimed_sum = claimed_sum;
        Ok(())
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn outstanding(&self) -> Result<u64> {
        checked_sub(self.reward_pool, self.claimed_sum)
    }
}

/// A token round's accounts, as an instruction that pays from its pool
/// receives them (trailing optional accounts). Read in place, not
/// unpacked: this is the per-node path (see `tokens::read_token_account`).
pub struct PoolAccounts<'a, 'info> {
    pub pool: Option<&'a UncheckedAccount<'info>>,
    /// The token account a share is paid into.
    pub to: Option<&'a UncheckedAccount<'info>>,
    pub mint: Option<&'a UncheckedAccount<'info>>,
    pub token_program: Option<&'a Interface<'info, TokenInterface>>,
}

impl<'a, 'info> PoolAccounts<'a, 'info> {
    /// Refuses token accounts on a SOL round, missing ones on a token
    /// round, and any that are not the round's pool, of its mint and its
    /// token program, paying into a token account of `payee`.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn check(&self, round: &RoundData, payee: &Pubkey) -> Result<()> {
        let given = [
            self.pool.is_some(),
            self.to.is_some(),
            self.mint.is_some(),
            self.token_program.is_some(),
        ];
        if let (true, Some(pool), Some(to), Some(mint), Some(program)) = (
            tokens::expect_accounts(round.is_token_round(), &given)?,
            self.pool,
            self.to,
            self.mint,
            self.token_program,
        ) {
            require_keys_eq!(
                pool.key(),
                round.pool_tokens,
                TasknetError::WrongTokenAccount
            );
            let program = program.key();
            let pool = tokens::read_token_account(pool, &program)?;
            require_keys_eq!(mint.key(), pool.mint, TasknetError::WrongMint);
            require_keys_eq!(*mint.owner, program, TasknetError::WrongTokenProgram);
            let to = tokens::read_token_account(to, &program)?;
            require_keys_eq!(to.mint, pool.mint, TasknetError::WrongMint);
            require_keys_eq!(to.owner, *payee, TasknetError::WrongTokenOwner);
        }
        Ok(())
    }

    /// Where a share goes: `node`'s lamports on a SOL round, the token
    /// account on a token round (checked by `check`).
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn payee(&self, node: &'a AccountInfo<'info>) -> Result<Payee<'a, 'info>> {
        Ok(match (self.pool, self.to, self.mint, self.token_program) {
            (Some(pool), Some(to), Some(mint), Some(program)) => Payee::Tokens {
                pool,
                to,
                token: TokenMove {
                    token_program: program.as_ref(),
                    mint,
                    decimals: tokens::decimals_of(mint, program.key)?,
                },
            },
            _ => Payee::Lamports(node),
        })
    }
}

/// Where a round's pool pays a share: the node's own lamports for a SOL
/// round, the node's token account for a token round.
pub enum Payee<'a, 'info> {
    Lamports(&'a AccountInfo<'info>),
    Tokens {
        pool: &'a AccountInfo<'info>,
        to: &'a AccountInfo<'info>,
        token: TokenMove<'a, 'info>,
    },
}

/// Pays a claimable submission its share from its round's pool and marks it
/// claimed (`claim`, and `close_submission` for a reward left unclaimed).
/// The caller has checked that the round's audits are done and, for a
/// token round, that the accounts are the round's pool and the node's.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn pay_share<'info>(
    mut round: RefMut<'_, RoundData>,
    round_info: &AccountInfo<'info>,
    submission: &mut SubmissionView<'_>,
    payee: Payee<'_, 'info>,
) -> Result<u64> {
    let share = round.share()?;
    round.record_claim(share)?;
    submission.mark_claimed()?;
    let (task, round_number, bump) = (round.task, round.round, round.bump);
    // Let go of the view before paying: a token transfer's CPI borrows the
    // round (its pool's authority).
    drop(round);
    match payee {
        Payee::Lamports(node) => pay_out(round_info, node, share)?,
        Payee::Tokens { pool, to, token } => {
            let round = round_number.to_le_bytes();
            let bump = [bump];
            let seeds: &[&[u8]] = &[ROUND_SEED, task.as_ref(), &round, &bump];
            token.transfer(pool, to, round_info, &[seeds], share)?;
        }
    }
    Ok(share)
}
