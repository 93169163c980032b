//! tasknet: a task creator funds a bounty; staked nodes run the task's code
//! every round, submit (commit–reveal) their results, audit each other with
//! stake-weighted votes, and claim rewards. Cheats are slashed on-chain.
//!
//! Every account is a small PDA (see `state`); no account grows with the
//! number of nodes or rounds. The pure rules (schedule, shares, slashing,
//! verdicts, stake activation) live in `logic` and are shared with the node.
//!
//! The SBF build optimises this crate for size (`tools/sbf/build.sh`): the
//! per-node path — `submit`, `reveal`, `claim`, `vote` and the account views
//! they use — is marked `#[cfg_attr(target_os = "solana", optimize(speed))]`
//! because every node pays its compute every round (docs/performance.md).

#![allow(unexpected_cfgs)]
// Tests may unwrap and index; program code may not (see Cargo.toml).
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic
    )
)]

use anchor_lang::prelude::*;
// Links memcpy & co. into the SBF build made without platform-tools.
#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod logic;
pub mod pda;
pub mod state;
mod system;
mod token_program;
pub mod tokens;
mod utils;
pub mod verifier;

use instructions::*;
use logic::SALT_LEN;

declare_id!("HNFcjxJ3E3e3dudZgeh2SrAw4bfmVxxK8t8GWct1bYek");

#[program]
pub mod tasknet {
    use super::*;

    // ---- creator ----

    #[access_control(ctx.accounts.validate(&args))]
    pub fn create_task(ctx: Context<CreateTask>, args: CreateTaskArgs) -> Result<()> {
        CreateTask::handler(ctx, args)
    }

    /// Anyone may fund a task.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn fund_task(ctx: Context<FundTask>, amount: u64) -> Result<()> {
        FundTask::handler(ctx, amount)
    }

    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_task(ctx: Context<UpdateTask>, args: UpdateTaskArgs) -> Result<()> {
        UpdateTask::handler(ctx, args)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn pause_task(ctx: Context<PauseTask>) -> Result<()> {
        PauseTask::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn resume_task(ctx: Context<ResumeTask>) -> Result<()> {
        ResumeTask::handler(ctx)
    }

    #[access_control(ctx.accounts.validate(amount))]
    pub fn withdraw_bounty(ctx: Context<WithdrawBounty>, amount: u64) -> Result<()> {
        WithdrawBounty::handler(ctx, amount)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_task(ctx: Context<CloseTask>) -> Result<()> {
        CloseTask::handler(ctx)
    }

    // ---- node ----

    #[access_control(ctx.accounts.validate(amount, &endpoint))]
    pub fn stake(ctx: Context<StakeOnTask>, amount: u64, endpoint: Option<String>) -> Result<()> {
        StakeOnTask::handler(ctx, amount, endpoint)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn unstake(ctx: Context<Unstake>) -> Result<()> {
        Unstake::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn withdraw_stake(ctx: Context<WithdrawStake>) -> Result<()> {
        WithdrawStake::handler(ctx)
    }

    /// Closes an empty stake (one slashed to zero): by its node, or by
    /// anyone once the task is closed.
    #[access_control(ctx.accounts.validate())]
    pub fn close_stake(ctx: Context<CloseStake>) -> Result<()> {
        CloseStake::handler(ctx)
    }

    /// Opens `round` (anyone, in its submit window; idempotent). Nodes send
    /// it before their submit when they find the round unopened.
    #[access_control(ctx.accounts.validate(round))]
    pub fn open_round(ctx: Context<OpenRound>, round: u64) -> Result<()> {
        OpenRound::handler(ctx, round)
    }

    // submit, reveal, claim, vote and close_submission run their
    // `validate` in the handler: it loads the accounts in place
    // (`state::in_place`) once for both.
    pub fn submit(
        ctx: Context<Submit>,
        round: u64,
        payload: SubmissionPayload,
        submission_bump: u8,
    ) -> Result<()> {
        Submit::handler(ctx, round, payload, submission_bump)
    }

    pub fn reveal(ctx: Context<Reveal>, value: Vec<u8>, salt: [u8; SALT_LEN]) -> Result<()> {
        Reveal::handler(ctx, value, salt)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn challenge(ctx: Context<Challenge>) -> Result<()> {
        Challenge::handler(ctx)
    }

    pub fn vote(ctx: Context<CastVote>, invalid: bool, vote_bump: u8) -> Result<()> {
        CastVote::handler(ctx, invalid, vote_bump)
    }

    pub fn claim(ctx: Context<Claim>) -> Result<()> {
        Claim::handler(ctx)
    }

    // ---- anyone (crank) ----

    #[access_control(ctx.accounts.validate())]
    pub fn resolve_audit(ctx: Context<ResolveAudit>) -> Result<()> {
        ResolveAudit::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn record_audit_seed(ctx: Context<RecordAuditSeed>) -> Result<()> {
        RecordAuditSeed::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn verify_audit(ctx: Context<VerifyAudit>) -> Result<()> {
        VerifyAudit::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_round(ctx: Context<CloseRound>) -> Result<()> {
        CloseRound::handler(ctx)
    }

    pub fn close_submission(ctx: Context<CloseSubmission>) -> Result<()> {
        CloseSubmission::handler(ctx)
    }

    #[access_control(ctx.accounts.validate())]
    pub fn close_vote(ctx: Context<CloseVote>) -> Result<()> {
        CloseVote::handler(ctx)
    }
}
