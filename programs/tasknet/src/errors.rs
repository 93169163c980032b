use anchor_lang::prelude::*;

use crate::logic::{Ineligible, ScheduleError, StakeMathError};

/// Declares `TasknetError` once, from its variants and their messages.
///
/// Off SBF (the native tests, the SDK, the IDL build) the enum is Anchor's
/// `#[error_code]`. On SBF the same enum gets the same codes, names and
/// messages from two tables instead: `#[error_code]`'s `name()` and
/// `Display` are a 93-arm `match` each, and with jump tables unavailable on
/// SBF they compile to compare chains that allocate a `String` in every
/// arm, about 20 KB of the program. A unit test holds the tables to
/// `#[error_code]`'s output for every variant.
macro_rules! tasknet_errors {
    ($( #[msg($message:tt)] $variant:ident, )*) => {
        #[cfg(not(target_os = "solana"))]
        #[error_code]
        pub enum TasknetError {
            $( #[msg($message)] $variant, )*
        }

        #[cfg(target_os = "solana")]
        #[derive(Debug, Clone, Copy)]
        #[repr(u32)]
        pub enum TasknetError {
            $( $variant, )*
        }

        impl TasknetError {
            /// Every variant, in declaration (and code) order.
            pub const ALL: &'static [TasknetError] = &[$(TasknetError::$variant),*];
            /// The variants' names, in code order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($variant)),*];
            /// The variants' messages, in code order.
            pub const MESSAGES: &'static [&'static str] = &[$($message),*];
        }
    };
}

#[cfg(target_os = "solana")]
impl TasknetError {
    /// The variant's name, as `#[error_code]` gives it.
    pub fn name(&self) -> String {
        Self::NAMES
            .get(*self as usize)
            .copied()
            .unwrap_or_default()
            .to_string()
    }
}

#[cfg(target_os = "solana")]
impl From<TasknetError> for u32 {
    fn from(error: TasknetError) -> u32 {
        (error as u32).saturating_add(anchor_lang::error::ERROR_CODE_OFFSET)
    }
}

#[cfg(target_os = "solana")]
impl From<TasknetError> for anchor_lang::error::Error {
    // One call per failure site instead of a copy of this body (two
    // allocations and a format) inlined into each of them: failures are
    // the cold path.
    #[cold]
    #[inline(never)]
    fn from(error: TasknetError) -> anchor_lang::error::Error {
        anchor_lang::error::Error::from(anchor_lang::error::AnchorError {
            error_name: error.name(),
            error_code_number: error.into(),
            error_msg: error.to_string(),
            error_origin: None,
            compared_values: None,
        })
    }
}

#[cfg(target_os = "solana")]
impl std::fmt::Display for TasknetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            Self::MESSAGES
                .get(*self as usize)
                .copied()
                .unwrap_or_default(),
        )
    }
}

tasknet_errors! {
    // Task set-up and inputs.
    #[msg("round, submit and audit windows must be at least one slot")]
    ScheduleEmptyWindow,
    #[msg("the submit window must not be longer than a round")]
    ScheduleSubmitLongerThanRound,
    #[msg("commit-reveal tasks need a reveal window, plain tasks must have none")]
    ScheduleRevealWindowMismatch,
    #[msg("submit, reveal and audit windows must end by the start of the round after next")]
    ScheduleAuditPastNextRound,
    #[msg("schedule boundaries overflow a slot number")]
    ScheduleOverflow,
    #[msg("a basis-point value is above 10000")]
    InvalidBps,
    #[msg("task name is empty or longer than 32 bytes")]
    InvalidName,
    #[msg("metadata URI is longer than 128 bytes")]
    MetadataUriTooLong,
    #[msg("endpoint URL is longer than 96 bytes")]
    EndpointTooLong,
    #[msg("value is empty or longer than 256 bytes")]
    InvalidValueLength,
    #[msg("amount must be greater than zero")]
    ZeroAmount,
    #[msg("minimum stake must be greater than zero")]
    ZeroMinStake,
    #[msg("arithmetic overflow")]
    ArithmeticOverflow,

    // Authority and account identity.
    #[msg("only the task's creator may do this")]
    NotTaskCreator,
    #[msg("the account belongs to another task")]
    WrongTask,
    #[msg("the stake account belongs to another node")]
    WrongStake,
    #[msg("the submission belongs to another node")]
    NotSubmissionOwner,
    #[msg("the account belongs to another round")]
    WrongRound,
    #[msg("the audit belongs to another submission")]
    WrongAudit,
    #[msg("the payout account does not match the one recorded on chain")]
    WrongPayoutAccount,

    // Task state.
    #[msg("the task is not active")]
    TaskNotActive,
    #[msg("the task is not paused")]
    TaskNotPaused,
    #[msg("the task is closed")]
    TaskClosed,
    #[msg("the bounty can be withdrawn only while the task is paused or closed")]
    BountyLocked,
    #[msg("not enough bounty available")]
    InsufficientBounty,
    #[msg("the task still holds challenge bonds: resolve its audits first")]
    TaskHasObligations,

    // Stake.
    #[msg("the node is unbonding")]
    StakeUnbonding,
    #[msg("the node's stake became active after this round began")]
    StakeNotActiveForRound,
    #[msg("the node's active stake is below the task's minimum")]
    StakeBelowMinimum,
    #[msg("the previous top-up is still activating; top up again next round")]
    StakeStillActivating,
    #[msg("the node has no stake to unbond")]
    NothingToUnstake,
    #[msg("the stake is not unbonding")]
    NotUnbonding,
    #[msg("the unbonding period has not ended")]
    UnbondingNotFinished,
    #[msg("audits against this node are unresolved")]
    OpenAuditsAgainstNode,

    // Windows.
    #[msg("the round is not the one open for submissions now")]
    NotCurrentRound,
    #[msg("outside the submit window")]
    OutsideSubmitWindow,
    #[msg("outside the reveal window")]
    OutsideRevealWindow,
    #[msg("outside the audit window")]
    OutsideAuditWindow,
    #[msg("the round's audit window has not ended")]
    AuditWindowOpen,
    #[msg("the round's claim deadline has not passed")]
    ClaimDeadlineNotReached,

    // Submissions and audits.
    #[msg("this task uses commit-reveal: submit a commitment")]
    CommitmentRequired,
    #[msg("this task does not use commit-reveal: submit the value")]
    ValueRequired,
    #[msg("the node already submitted in this round")]
    AlreadySubmitted,
    #[msg("the submission is already revealed")]
    AlreadyRevealed,
    #[msg("the revealed value and salt do not match the commitment")]
    RevealMismatch,
    #[msg("only revealed submissions can be challenged")]
    NotRevealed,
    #[msg("the submission is already challenged")]
    AlreadyChallenged,
    #[msg("a node cannot challenge its own submission")]
    SelfChallenge,
    #[msg("a node cannot vote on its own submission")]
    SelfVote,
    #[msg("the node already voted in this audit")]
    AlreadyVoted,
    #[msg("the audit is already resolved")]
    AuditAlreadyResolved,
    #[msg("the audit is not resolved")]
    AuditNotResolved,
    #[msg("the round has unresolved audits")]
    AuditsPending,
    #[msg("the submission's audit account must be passed")]
    AuditAccountRequired,
    #[msg("the audit's votes must be closed first")]
    VotesOutstanding,
    #[msg("the submission earns no reward")]
    NotClaimable,
    #[msg("the reward was already claimed")]
    AlreadyClaimed,

    // Added with round-held pools (appended: codes above stay stable).
    #[msg("accounts of the task's rounds still exist: close its submissions and rounds first")]
    RoundsStillOpen,
    #[msg("the round's pool cannot cover this payment")]
    PoolExhausted,
    #[msg("the round's submission accounts must be closed first")]
    SubmissionsOutstanding,
    #[msg("the account is not at the canonical program address of its seeds and bump")]
    WrongAddress,
    #[msg("a task with this creator and id exists: pick another id, or close it first")]
    TaskAlreadyExists,

    // Added with close_stake (appended: codes above stay stable).
    #[msg("only the staking node may close its stake while the task is not closed")]
    NotStakeOwner,
    #[msg("the stake still holds lamports: unstake and withdraw them instead")]
    StakeNotEmpty,
    #[msg("code URI is longer than 200 bytes")]
    CodeUriTooLong,
    // ---- token bounties ----
    #[msg("the token program must be SPL Token or Token-2022, and the one that owns the mint")]
    WrongTokenProgram,
    #[msg("the mint cannot be read as an SPL Token or Token-2022 mint")]
    MintUnreadable,
    #[msg("the mint has a transfer hook: another program would run on every transfer of the task's tokens")]
    MintHasTransferHook,
    #[msg("the mint has a permanent delegate, who could move the task's tokens")]
    MintHasPermanentDelegate,
    #[msg("the mint's tokens cannot be transferred")]
    MintNonTransferable,
    #[msg("the mint freezes new token accounts by default")]
    MintDefaultFrozen,
    #[msg("the mint has confidential transfers, whose balances the ledger cannot check")]
    MintHasConfidentialTransfers,
    #[msg("the mint charges a transfer fee: less would arrive than the ledger records")]
    MintHasTransferFee,
    #[msg("the mint can be paused by its authority")]
    MintPausable,
    #[msg("the mint has an extension tasks do not accept")]
    MintExtensionUnsupported,
    #[msg(
        "the mint has a freeze authority, who could freeze the task's tokens; accept it explicitly"
    )]
    MintFreezeAuthorityNotAccepted,
    #[msg("this task pays in a token: its mint, token program and token accounts are required")]
    TokenAccountsRequired,
    #[msg("this task pays in SOL: token accounts are not accepted")]
    NotATokenTask,
    #[msg("the mint is not the task's reward mint")]
    WrongMint,
    #[msg("the token account is not the one this task or round holds its tokens in")]
    WrongTokenAccount,
    #[msg("the token account does not belong to the expected owner")]
    WrongTokenOwner,
    #[msg("the token account does not exist or is not initialized: create the associated token account first")]
    TokenAccountMissing,
    #[msg("the account is not the sysvar this instruction reads (SlotHashes)")]
    WrongSysvar,
    #[msg("the round's audit seed is already recorded")]
    SeedAlreadyRecorded,
    #[msg("no block after the round's submit window yet: its audit seed cannot be recorded before the window has closed")]
    SeedNotYetAvailable,
    #[msg("the round's seed slot left the SlotHashes sysvar (over 512 slots ago): its audit seed can no longer be recorded")]
    SeedExpired,
    #[msg("the verifier program cannot be the tasknet program itself")]
    VerifierIsTasknet,
    #[msg("the task names no verifier program: its audits are decided by vote")]
    NoVerifier,
    #[msg("the program is not the task's verifier")]
    WrongVerifier,
    #[msg("the verifier account is not an executable program")]
    VerifierNotExecutable,
    #[msg("the verifier returned no verdict (no return data of its own)")]
    VerifierAnswerMissing,
    #[msg("the verifier's return data is not a verdict (one byte: 0 invalid, 1 valid)")]
    VerifierAnswerMalformed,
    #[msg("the submission has no revealed value for the verifier to check")]
    NothingToVerify,
}

impl From<ScheduleError> for TasknetError {
    fn from(e: ScheduleError) -> Self {
        match e {
            ScheduleError::EmptyWindow => Self::ScheduleEmptyWindow,
            ScheduleError::SubmitLongerThanRound => Self::ScheduleSubmitLongerThanRound,
            ScheduleError::RevealWindowMismatch => Self::ScheduleRevealWindowMismatch,
            ScheduleError::AuditPastNextRound => Self::ScheduleAuditPastNextRound,
            ScheduleError::Overflow => Self::ScheduleOverflow,
        }
    }
}

impl From<StakeMathError> for TasknetError {
    fn from(e: StakeMathError) -> Self {
        match e {
            StakeMathError::Overflow => Self::ArithmeticOverflow,
            StakeMathError::StillActivating => Self::StakeStillActivating,
        }
    }
}

impl From<Ineligible> for TasknetError {
    fn from(e: Ineligible) -> Self {
        match e {
            Ineligible::Unbonding => Self::StakeUnbonding,
            Ineligible::NotActiveForRound => Self::StakeNotActiveForRound,
            Ineligible::BelowMinimum => Self::StakeBelowMinimum,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables the SBF build answers from say exactly what
    /// `#[error_code]` says, variant by variant, with the same codes.
    #[test]
    fn the_sbf_tables_match_error_code() {
        assert_eq!(TasknetError::ALL.len(), TasknetError::NAMES.len());
        assert_eq!(TasknetError::ALL.len(), TasknetError::MESSAGES.len());
        for (index, error) in TasknetError::ALL.iter().enumerate() {
            assert_eq!(*error as usize, index);
            assert_eq!(TasknetError::NAMES[index], error.name());
            assert_eq!(TasknetError::MESSAGES[index], error.to_string());
            let code: u32 = (*error).into();
            assert_eq!(code, anchor_lang::error::ERROR_CODE_OFFSET + index as u32);
        }
    }
}
