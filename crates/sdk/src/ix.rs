//! Instruction builders for every tasknet instruction, from the program's
//! own account structs and argument types, so the bytes are exactly what
//! the program expects.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use tasknet::instructions::{CreateTaskArgs, SubmissionPayload, UpdateTaskArgs};
use tasknet::logic::SALT_LEN;

use crate::tokens::TokenAsset;
use crate::{pda, PROGRAM_ID};

pub(crate) fn instruction(
    accounts: impl ToAccountMetas,
    data: impl InstructionData,
) -> Instruction {
    let mut accounts = accounts.to_account_metas(None);
    // An optional account left out is passed as the program id; trailing
    // ones may be omitted instead (the program accepts missing optionals),
    // which keeps a SOL task's instructions as short as before token
    // tasks existed.
    while accounts
        .last()
        .is_some_and(|meta| meta.pubkey == PROGRAM_ID && !meta.is_writable && !meta.is_signer)
    {
        accounts.pop();
    }
    Instruction {
        program_id: PROGRAM_ID,
        accounts,
        data: data.data(),
    }
}

pub(crate) use tasknet::accounts as acc;
pub(crate) use tasknet::instruction as ix;

pub fn create_task(creator: &Pubkey, args: CreateTaskArgs) -> Instruction {
    create_task_in(creator, args, None)
}

/// Creates a task that pays in `asset` (a token task), or in SOL (`None`).
pub fn create_task_in(
    creator: &Pubkey,
    args: CreateTaskArgs,
    asset: Option<&TokenAsset>,
) -> Instruction {
    let task = pda::task(creator, args.task_id);
    instruction(
        acc::CreateTask {
            creator: *creator,
            task,
            vault: pda::vault(&task),
            system_program: system_program::ID,
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
            bounty_tokens: asset.map(|_| pda::bounty_tokens(&task)),
        },
        ix::CreateTask { args },
    )
}

/// Creates a task and, when `bounty` is above zero, funds it in the same
/// transaction: a task is never visible unfunded when its creator meant to
/// fund it.
pub fn create_funded_task(creator: &Pubkey, args: CreateTaskArgs, bounty: u64) -> Vec<Instruction> {
    let task = pda::task(creator, args.task_id);
    let mut instructions = vec![create_task(creator, args)];
    if bounty > 0 {
        instructions.push(fund_task(creator, &task, bounty));
    }
    instructions
}

pub fn fund_task(funder: &Pubkey, task: &Pubkey, amount: u64) -> Instruction {
    fund_task_in(funder, task, amount, None)
}

/// Funds a task: lamports, or for a token task `amount` of its token from
/// the funder's associated token account.
pub fn fund_task_in(
    funder: &Pubkey,
    task: &Pubkey,
    amount: u64,
    asset: Option<&TokenAsset>,
) -> Instruction {
    instruction(
        acc::FundTask {
            funder: *funder,
            task: *task,
            vault: pda::vault(task),
            system_program: system_program::ID,
            funder_tokens: asset.map(|a| a.ata(funder)),
            bounty_tokens: asset.map(|_| pda::bounty_tokens(task)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::FundTask { amount },
    )
}

pub fn update_task(creator: &Pubkey, task: &Pubkey, args: UpdateTaskArgs) -> Instruction {
    instruction(
        acc::UpdateTask {
            creator: *creator,
            task: *task,
        },
        ix::UpdateTask { args },
    )
}

pub fn pause_task(creator: &Pubkey, task: &Pubkey) -> Instruction {
    instruction(
        acc::PauseTask {
            creator: *creator,
            task: *task,
        },
        ix::PauseTask {},
    )
}

pub fn resume_task(creator: &Pubkey, task: &Pubkey) -> Instruction {
    instruction(
        acc::ResumeTask {
            creator: *creator,
            task: *task,
        },
        ix::ResumeTask {},
    )
}

pub fn withdraw_bounty(creator: &Pubkey, task: &Pubkey, amount: u64) -> Instruction {
    withdraw_bounty_in(creator, task, amount, None)
}

/// Withdraws from a paused task's bounty; a token task pays into the
/// creator's associated token account.
pub fn withdraw_bounty_in(
    creator: &Pubkey,
    task: &Pubkey,
    amount: u64,
    asset: Option<&TokenAsset>,
) -> Instruction {
    instruction(
        acc::WithdrawBounty {
            creator: *creator,
            task: *task,
            vault: pda::vault(task),
            creator_tokens: asset.map(|a| a.ata(creator)),
            bounty_tokens: asset.map(|_| pda::bounty_tokens(task)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::WithdrawBounty { amount },
    )
}

pub fn close_task(creator: &Pubkey, task: &Pubkey) -> Instruction {
    close_task_in(creator, task, None)
}

/// Closes a paused task; a token task returns its tokens into the creator's
/// associated token account.
pub fn close_task_in(creator: &Pubkey, task: &Pubkey, asset: Option<&TokenAsset>) -> Instruction {
    instruction(
        acc::CloseTask {
            creator: *creator,
            task: *task,
            vault: pda::vault(task),
            creator_tokens: asset.map(|a| a.ata(creator)),
            bounty_tokens: asset.map(|_| pda::bounty_tokens(task)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::CloseTask {},
    )
}

pub fn stake(node: &Pubkey, task: &Pubkey, amount: u64, endpoint: Option<String>) -> Instruction {
    instruction(
        acc::StakeOnTask {
            node: *node,
            task: *task,
            vault: pda::vault(task),
            stake: pda::stake(task, node),
            system_program: system_program::ID,
        },
        ix::Stake { amount, endpoint },
    )
}

pub fn unstake(node: &Pubkey, task: &Pubkey) -> Instruction {
    instruction(
        acc::Unstake {
            node: *node,
            task: *task,
            stake: pda::stake(task, node),
        },
        ix::Unstake {},
    )
}

pub fn withdraw_stake(node: &Pubkey, task: &Pubkey) -> Instruction {
    instruction(
        acc::WithdrawStake {
            node: *node,
            task: *task,
            vault: pda::vault(task),
            stake: pda::stake(task, node),
        },
        ix::WithdrawStake {},
    )
}

/// Closes `node`'s empty stake (slashed to zero); `closer` is the node, or
/// anyone once the task is closed. The rent goes to the node.
pub fn close_stake(closer: &Pubkey, task: &Pubkey, node: &Pubkey) -> Instruction {
    instruction(
        acc::CloseStake {
            closer: *closer,
            task: *task,
            stake: pda::stake(task, node),
            node: *node,
        },
        ix::CloseStake {},
    )
}

/// Opens `round` of `task` (idempotent); `payer` pays its rent and gets it
/// back when the round closes. Send it before `submit` when the round
/// account does not exist yet (see [`submit_opening`]).
pub fn open_round(payer: &Pubkey, task: &Pubkey, round: u64) -> Instruction {
    open_round_in(payer, task, round, None)
}

/// Opens a round of a SOL task or, with its asset, of a token task (whose
/// round gets its own pool token account).
pub fn open_round_in(
    payer: &Pubkey,
    task: &Pubkey,
    round: u64,
    asset: Option<&TokenAsset>,
) -> Instruction {
    let round_account = pda::round(task, round);
    instruction(
        acc::OpenRound {
            payer: *payer,
            task: *task,
            vault: pda::vault(task),
            round_account,
            system_program: system_program::ID,
            bounty_tokens: asset.map(|_| pda::bounty_tokens(task)),
            pool_tokens: asset.map(|_| pda::pool_tokens(&round_account)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::OpenRound { round },
    )
}

/// A submission to an open round.
pub fn submit(node: &Pubkey, task: &Pubkey, round: u64, payload: SubmissionPayload) -> Instruction {
    let (submission, submission_bump) = pda::submission_with_bump(task, round, node);
    instruction(
        acc::Submit {
            node: *node,
            task: *task,
            stake: pda::stake(task, node),
            round_account: pda::round(task, round),
            submission,
            system_program: system_program::ID,
        },
        ix::Submit {
            round,
            payload,
            submission_bump,
        },
    )
}

/// The instructions of a submission: `open_round` first when the round
/// account does not exist yet (the only submission that writes the task).
pub fn submit_opening(
    node: &Pubkey,
    task: &Pubkey,
    round: u64,
    payload: SubmissionPayload,
    round_is_open: bool,
) -> Vec<Instruction> {
    submit_opening_in(node, task, round, payload, round_is_open, None)
}

/// [`submit_opening`] for a task paying in `asset` (or SOL).
pub fn submit_opening_in(
    node: &Pubkey,
    task: &Pubkey,
    round: u64,
    payload: SubmissionPayload,
    round_is_open: bool,
    asset: Option<&TokenAsset>,
) -> Vec<Instruction> {
    let submit = submit(node, task, round, payload);
    if round_is_open {
        vec![submit]
    } else {
        vec![open_round_in(node, task, round, asset), submit]
    }
}

pub fn reveal(
    node: &Pubkey,
    task: &Pubkey,
    round: u64,
    value: Vec<u8>,
    salt: [u8; SALT_LEN],
) -> Instruction {
    instruction(
        acc::Reveal {
            node: *node,
            round_account: pda::round(task, round),
            submission: pda::submission(task, round, node),
            // The first reveal after the seed slot's block records the
            // round's audit seed.
            slot_hashes: Some(SLOT_HASHES_SYSVAR),
        },
        ix::Reveal { value, salt },
    )
}

/// The `SlotHashes` sysvar: where a round's audit seed comes from.
pub const SLOT_HASHES_SYSVAR: Pubkey =
    Pubkey::from_str_const("SysvarS1otHashes111111111111111111111111111");

/// Records `round`'s audit seed (anyone, once the first block after its
/// submit window exists; see `tasknet::logic::audit_seed`).
pub fn record_audit_seed(task: &Pubkey, round: u64) -> Instruction {
    instruction(
        acc::RecordAuditSeed {
            round_account: pda::round(task, round),
            slot_hashes: SLOT_HASHES_SYSVAR,
        },
        ix::RecordAuditSeed {},
    )
}

/// Challenges `target`'s submission in `round`.
pub fn challenge(challenger: &Pubkey, task: &Pubkey, round: u64, target: &Pubkey) -> Instruction {
    let submission = pda::submission(task, round, target);
    let audit = pda::audit(&submission);
    instruction(
        acc::Challenge {
            challenger: *challenger,
            task: *task,
            vault: pda::vault(task),
            challenger_stake: pda::stake(task, challenger),
            round_account: pda::round(task, round),
            submission,
            node_stake: pda::stake(task, target),
            audit,
            vote: pda::vote(&audit, challenger),
            system_program: system_program::ID,
        },
        ix::Challenge {},
    )
}

/// Votes on the audit of `target`'s submission in `round`.
pub fn vote(
    voter: &Pubkey,
    task: &Pubkey,
    round: u64,
    target: &Pubkey,
    invalid: bool,
) -> Instruction {
    let audit = pda::audit(&pda::submission(task, round, target));
    let (vote, vote_bump) = pda::vote_with_bump(&audit, voter);
    instruction(
        acc::CastVote {
            voter: *voter,
            task: *task,
            voter_stake: pda::stake(task, voter),
            audit,
            vote,
            system_program: system_program::ID,
        },
        ix::Vote { invalid, vote_bump },
    )
}

pub fn resolve_audit(
    task: &Pubkey,
    round: u64,
    target: &Pubkey,
    challenger: &Pubkey,
) -> Instruction {
    instruction(
        resolve_accounts(task, round, target, challenger),
        ix::ResolveAudit {},
    )
}

/// The accounts that settle the audit of `target`'s submission in `round`
/// (`resolve_audit`, and `verify_audit` around them).
fn resolve_accounts(
    task: &Pubkey,
    round: u64,
    target: &Pubkey,
    challenger: &Pubkey,
) -> acc::ResolveAudit {
    let submission = pda::submission(task, round, target);
    acc::ResolveAudit {
        task: *task,
        vault: pda::vault(task),
        round_account: pda::round(task, round),
        submission,
        audit: pda::audit(&submission),
        node_stake: pda::stake(task, target),
        challenger: *challenger,
        node: *target,
    }
}

/// Decides the audit of `target`'s submission in `round` by the task's
/// `verifier` program (anyone; at once, usually right after the challenge
/// in the same transaction).
pub fn verify_audit(
    task: &Pubkey,
    round: u64,
    target: &Pubkey,
    challenger: &Pubkey,
    verifier: &Pubkey,
) -> Instruction {
    instruction(
        acc::VerifyAudit {
            resolve: resolve_accounts(task, round, target, challenger),
            verifier: *verifier,
        },
        ix::VerifyAudit {},
    )
}

pub fn claim(node: &Pubkey, task: &Pubkey, round: u64) -> Instruction {
    claim_in(node, task, round, None)
}

/// Claims a share; a token round pays into the node's associated token
/// account (see [`TokenAsset::create_ata`] to create it in the same
/// transaction).
pub fn claim_in(
    node: &Pubkey,
    task: &Pubkey,
    round: u64,
    asset: Option<&TokenAsset>,
) -> Instruction {
    let round_account = pda::round(task, round);
    instruction(
        acc::Claim {
            node: *node,
            round_account,
            submission: pda::submission(task, round, node),
            pool_tokens: asset.map(|_| pda::pool_tokens(&round_account)),
            node_tokens: asset.map(|a| a.ata(node)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::Claim {},
    )
}

pub fn close_round(task: &Pubkey, round: u64, rent_payer: &Pubkey) -> Instruction {
    close_round_in(task, round, rent_payer, None)
}

/// Closes a round; a token round's pool account returns what it holds to
/// the bounty and closes too.
pub fn close_round_in(
    task: &Pubkey,
    round: u64,
    rent_payer: &Pubkey,
    asset: Option<&TokenAsset>,
) -> Instruction {
    let round_account = pda::round(task, round);
    instruction(
        acc::CloseRound {
            task: *task,
            vault: pda::vault(task),
            round_account,
            rent_payer: *rent_payer,
            pool_tokens: asset.map(|_| pda::pool_tokens(&round_account)),
            bounty_tokens: asset.map(|_| pda::bounty_tokens(task)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::CloseRound {},
    )
}

/// Closes `node`'s submission in `round` (paying it an unclaimed reward); pass the challenger when the
/// submission was audited, so the audit closes with it.
pub fn close_submission(
    task: &Pubkey,
    round: u64,
    node: &Pubkey,
    challenger: Option<&Pubkey>,
) -> Instruction {
    close_submission_in(task, round, node, challenger, None)
}

/// `close_submission` of a token round: an unclaimed share is paid into
/// the node's associated token account.
pub fn close_submission_in(
    task: &Pubkey,
    round: u64,
    node: &Pubkey,
    challenger: Option<&Pubkey>,
    asset: Option<&TokenAsset>,
) -> Instruction {
    let submission = pda::submission(task, round, node);
    let round_account = pda::round(task, round);
    instruction(
        acc::CloseSubmission {
            task: *task,
            round_account,
            submission,
            node: *node,
            audit: challenger.map(|_| pda::audit(&submission)),
            challenger: challenger.copied(),
            pool_tokens: asset.map(|_| pda::pool_tokens(&round_account)),
            node_tokens: asset.map(|a| a.ata(node)),
            mint: asset.map(|a| a.mint),
            token_program: asset.map(|a| a.token_program),
        },
        ix::CloseSubmission {},
    )
}

pub fn close_vote(task: &Pubkey, round: u64, target: &Pubkey, voter: &Pubkey) -> Instruction {
    let audit = pda::audit(&pda::submission(task, round, target));
    instruction(
        acc::CloseVote {
            audit,
            vote: pda::vote(&audit, voter),
            voter: *voter,
        },
        ix::CloseVote {},
    )
}
