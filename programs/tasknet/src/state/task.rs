use anchor_lang::prelude::*;

use crate::constants::{MAX_CODE_URI_LEN, MAX_METADATA_URI_LEN, MAX_NAME_LEN};
use crate::errors::TasknetError;
use crate::instructions::CreateTaskArgs;
use crate::logic::{Bonded, Schedule, SlashSplit, BPS_DENOMINATOR};
use crate::state::in_place::{self, Cursor};

#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    Active,
    Paused,
    Closed,
}

/// What a task pays and how it judges.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct Economics {
    /// Paid out per round, split among valid submitters: lamports, or the
    /// reward token's smallest units for a token task.
    pub reward_per_round: u64,
    /// Least active stake that makes a node eligible.
    pub min_stake: u64,
    /// Lamports a challenger posts with a challenge.
    pub challenge_bond: u64,
    /// Share of a node's stake slashed by an invalid verdict.
    pub slash_bps: u16,
    /// Share of a slash paid to the challenger; the rest goes to the bounty.
    pub challenger_share_bps: u16,
    /// Invalid weight must exceed this share of the weight cast.
    pub vote_threshold_bps: u16,
    /// Weight cast must reach this share of the round's eligible stake.
    pub quorum_bps: u16,
}

impl Economics {
    pub fn validate(&self) -> Result<()> {
        let bps = [
            self.slash_bps,
            self.challenger_share_bps,
            self.vote_threshold_bps,
            self.quorum_bps,
        ];
        require!(
            bps.iter().all(|b| u64::from(*b) <= BPS_DENOMINATOR),
            TasknetError::InvalidBps
        );
        require!(self.min_stake > 0, TasknetError::ZeroMinStake);
        require!(self.challenge_bond > 0, TasknetError::ZeroAmount);
        Ok(())
    }
}

/// What one call of a WebAssembly task module may use, as the creator
/// asks; 0 leaves a limit at the node's default. Every node caps these by
/// its operator's own limits, so they only ever ask, never force: a node
/// that will not grant them fails the call and skips the round (no
/// payload, no slash).
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct CodeLimits {
    /// Wasm fuel per call (about one unit per instruction).
    pub fuel: u64,
    /// Linear memory, in MiB.
    pub memory_mib: u32,
    /// Wall-clock time per call, in milliseconds.
    pub deadline_ms: u32,
}

/// Lamports the task vault holds, by purpose. The vault's lamports minus its
/// rent always equal `Ledger::total`.
#[derive(
    AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, Default, PartialEq, Eq,
)]
pub struct Ledger {
    /// Funded and not yet committed to a round.
    pub bounty_available: u64,
    /// All nodes' stake: active, pending and unbonding.
    pub staked_total: u64,
    /// Challenge bonds of unresolved audits.
    pub bonds_held: u64,
}

impl Ledger {
    pub fn total(&self) -> Option<u64> {
        self.bounty_available
            .checked_add(self.staked_total)?
            .checked_add(self.bonds_held)
    }

    // Every method below is one ledger move. Each is paired, in its
    // instruction, with exactly the lamport movement it describes (or none,
    // for a move between two fields), which keeps the vault invariant.

    /// Lamports deposited into the bounty (`fund_task`).
    pub fn fund_bounty(&mut self, amount: u64) -> Result<()> {
        self.bounty_available = checked_add(self.bounty_available, amount)?;
        Ok(())
    }

    /// Lamports paid out of the bounty (`withdraw_bounty`, `close_task`).
    pub fn withdraw_bounty(&mut self, amount: u64) -> Result<()> {
        self.bounty_available = checked_sub(self.bounty_available, amount)?;
        Ok(())
    }

    /// A round opens: its pool leaves the vault for the round account,
    /// which holds it until it is claimed or returned (`open_round`).
    pub fn open_pool(&mut self, pool: u64) -> Result<()> {
        self.bounty_available = checked_sub(self.bounty_available, pool)?;
        Ok(())
    }

    /// A round closes: what was not claimed comes back from the round
    /// account into the bounty (`close_round`).
    pub fn return_to_bounty(&mut self, unclaimed: u64) -> Result<()> {
        self.bounty_available = checked_add(self.bounty_available, unclaimed)?;
        Ok(())
    }

    /// Stake deposited (`stake`).
    pub fn add_stake(&mut self, amount: u64) -> Result<()> {
        self.staked_total = checked_add(self.staked_total, amount)?;
        Ok(())
    }

    /// Stake paid out (`withdraw_stake`).
    pub fn remove_stake(&mut self, amount: u64) -> Result<()> {
        self.staked_total = checked_sub(self.staked_total, amount)?;
        Ok(())
    }

    /// A slash leaves the stakes: the challenger's part is paid out, the
    /// rest joins the bounty.
    pub fn apply_slash(&mut self, slash: &SlashSplit) -> Result<()> {
        self.staked_total = checked_sub(self.staked_total, slash.total())?;
        self.bounty_available = checked_add(self.bounty_available, slash.to_bounty)?;
        Ok(())
    }

    /// A challenge bond deposited (`challenge`).
    pub fn hold_bond(&mut self, bond: u64) -> Result<()> {
        self.bonds_held = checked_add(self.bonds_held, bond)?;
        Ok(())
    }

    /// A bond paid out, to the challenger or to the accused (`resolve_audit`).
    pub fn release_bond(&mut self, bond: u64) -> Result<()> {
        self.bonds_held = checked_sub(self.bonds_held, bond)?;
        Ok(())
    }

    /// Unresolved challenge bonds: the task cannot close yet.
    pub fn has_obligations(&self) -> bool {
        self.bonds_held != 0
    }
}

/// A token task's reward asset and its bounty. The bounty account's token
/// balance always equals `bounty`; stakes, bonds and slashes stay in SOL
/// (in the vault and `Ledger`).
#[derive(AnchorSerialize, AnchorDeserialize, InitSpace, Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenReward {
    pub mint: Pubkey,
    /// SPL Token or Token-2022: the program that owns the mint.
    pub token_program: Pubkey,
    pub decimals: u8,
    /// The token account at `[BOUNTY_SEED, task]`, owned by the task.
    pub bounty_account: Pubkey,
    /// Funded and not yet committed to a round, in the mint's units.
    pub bounty: u64,
    /// The creator accepted a mint with a freeze authority.
    pub freeze_authority_accepted: bool,
}

impl TokenReward {
    /// Tokens deposited into the bounty account (`fund_task`, or sent to
    /// it outside the protocol and swept in).
    pub fn fund_bounty(&mut self, amount: u64) -> Result<()> {
        self.bounty = checked_add(self.bounty, amount)?;
        Ok(())
    }

    /// Tokens paid out of the bounty account (`withdraw_bounty`,
    /// `close_task`) or moved into a round's pool (`open_round`).
    pub fn withdraw_bounty(&mut self, amount: u64) -> Result<()> {
        self.bounty = checked_sub(self.bounty, amount)?;
        Ok(())
    }

    /// Refuses a mint or token program other than the task's.
    pub fn check(&self, mint: &Pubkey, token_program: &Pubkey) -> Result<()> {
        require_keys_eq!(*mint, self.mint, TasknetError::WrongMint);
        require_keys_eq!(
            *token_program,
            self.token_program,
            TasknetError::WrongTokenProgram
        );
        Ok(())
    }
}

#[account]
#[derive(InitSpace, Debug)]
pub struct Task {
    pub creator: Pubkey,
    pub task_id: u64,
    #[max_len(MAX_NAME_LEN)]
    pub name: String,
    #[max_len(MAX_METADATA_URI_LEN)]
    pub metadata_uri: String,
    /// sha256 of the code nodes must run; a round runs the hash in force
    /// when it opened (`Round::code_hash`).
    pub code_hash: [u8; 32],
    /// Where the code's bytes can be fetched (HTTP(S), e.g. an IPFS or
    /// Arweave gateway); empty when nodes get it from each other or bring
    /// it. Nodes check every byte against `code_hash`.
    #[max_len(MAX_CODE_URI_LEN)]
    pub code_uri: String,
    pub code_limits: CodeLimits,
    pub schedule: Schedule,
    pub economics: Economics,
    pub state: TaskState,
    pub ledger: Ledger,
    /// Active and pending stake of nodes that are not unbonding; a round
    /// snapshots its weight as the quorum base.
    pub bonded: Bonded,
    /// Stake accounts that exist.
    pub node_count: u32,
    /// Round accounts that exist; the task cannot close while any does, so
    /// a task re-created at the same address never meets an old round.
    pub rounds_open: u32,
    /// Rewards paid, counted when each round closes (claims do not write
    /// the task: it is not on the per-node path).
    pub total_paid: u64,
    pub total_slashed: u64,
    pub bump: u8,
    pub vault_bump: u8,
    /// `None`: the task pays in SOL (lamports from the vault). `Some`: it
    /// pays in this token; `Ledger::bounty_available` then holds only the
    /// lamports that reach the vault outside rewards (slash remainders,
    /// donations), which return to the creator when the task closes.
    pub reward_token: Option<TokenReward>,
    /// A program that decides this task's challenges exactly
    /// (`verifier`), fixed at creation; `None`: stake votes decide.
    pub verifier: Option<Pubkey>,
}

/// Checked arithmetic on ledger fields, mapped to the program's error.
pub fn checked_add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b)
        .ok_or_else(|| error!(TasknetError::ArithmeticOverflow))
}

pub fn checked_sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b)
        .ok_or_else(|| error!(TasknetError::ArithmeticOverflow))
}

impl Task {
    /// Offset of `creator` in the account data: lists a creator's tasks.
    pub const CREATOR_OFFSET: usize = 8;

    /// A new, active task with an empty ledger.
    pub fn new(creator: Pubkey, args: CreateTaskArgs, bump: u8, vault_bump: u8) -> Self {
        Self {
            creator,
            task_id: args.task_id,
            name: args.name,
            metadata_uri: args.metadata_uri,
            code_hash: args.code_hash,
            code_uri: args.code_uri,
            code_limits: args.code_limits,
            schedule: args.schedule,
            economics: args.economics,
            state: TaskState::Active,
            ledger: Ledger::default(),
            bonded: Bonded::default(),
            node_count: 0,
            rounds_open: 0,
            total_paid: 0,
            total_slashed: 0,
            bump,
            vault_bump,
            reward_token: None,
            verifier: args.verifier,
        }
    }

    pub fn is_active(&self) -> bool {
        self.state == TaskState::Active
    }

    /// The task's state and schedule, read where they lie (after its
    /// strings) from a task account checked as `Account<Task>` checks it
    /// (`state::in_place`): what `submit` and `vote` need of it.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn terms_in_place(info: &AccountInfo<'_>) -> Result<(TaskState, Schedule)> {
        let data = info.try_borrow_data()?;
        in_place::check(info, &data, Task::DISCRIMINATOR)?;
        let mut at = Cursor::new(&data);
        at.skip(Task::DISCRIMINATOR.len())?;
        at.skip(32 + 8)?; // creator, task_id
        at.skip_bytes()?; // name
        at.skip_bytes()?; // metadata_uri
        at.skip(32)?; // code_hash
        at.skip_bytes()?; // code_uri
        at.skip(CodeLimits::INIT_SPACE)?;
        let schedule = at.read::<Schedule>()?;
        at.skip(Economics::INIT_SPACE)?;
        let state = match at.read::<u8>()? {
            0 => TaskState::Active,
            1 => TaskState::Paused,
            2 => TaskState::Closed,
            _ => return err!(anchor_lang::error::ErrorCode::AccountDidNotDeserialize),
        };
        Ok((state, schedule))
    }

    /// The round whose submit window can hold the current slot.
    pub fn current_round(&self, slot: u64) -> Option<u64> {
        self.schedule.round_at(slot)
    }

    pub fn record_paid(&mut self, amount: u64) -> Result<()> {
        self.total_paid = checked_add(self.total_paid, amount)?;
        Ok(())
    }

    pub fn record_slash(&mut self, amount: u64) -> Result<()> {
        self.total_slashed = checked_add(self.total_slashed, amount)?;
        Ok(())
    }
}

/// Checked `+= 1` / `-= 1` on an account's counters, failing with the
/// program's named error instead of panicking (SBF loses panic messages).
/// `plus_one` / `minus_one` for a counter in a packed account view, whose
/// fields cannot be borrowed (`state::in_place`).
pub trait Counter: Sized + Copy {
    fn plus_one(self) -> Result<Self>;
    fn minus_one(self) -> Result<Self>;

    fn increment(&mut self) -> Result<()> {
        *self = self.plus_one()?;
        Ok(())
    }

    fn decrement(&mut self) -> Result<()> {
        *self = self.minus_one()?;
        Ok(())
    }
}

macro_rules! counter {
    ($($t:ty),*) => {$(
        impl Counter for $t {
            #[cfg_attr(target_os = "solana", optimize(speed))]
            fn plus_one(self) -> Result<Self> {
                Ok(self.checked_add(1).ok_or(TasknetError::ArithmeticOverflow)?)
            }

            #[cfg_attr(target_os = "solana", optimize(speed))]
            fn minus_one(self) -> Result<Self> {
                Ok(self.checked_sub(1).ok_or(TasknetError::ArithmeticOverflow)?)
            }
        }
    )*};
}

counter!(u32, u64);
