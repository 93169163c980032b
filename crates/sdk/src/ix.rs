//! Instruction builders for every tasknet instruction, from the program's
//! own account structs and argument types, so the bytes are exactly what
//! the program expects.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{system_program, InstructionData, ToAccountMetas};
use tasknet::instructions::{CreateTaskArgs, SubmissionPayload, UpdateTaskArgs};
use tasknet::logic::SALT_LEN;

use crate::{pda, PROGRAM_ID};

fn instruction(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction {
        program_id: PROGRAM_ID,
        accounts: accounts.to_account_metas(None),
        data: data.data(),
    }
}

use tasknet::accounts as acc;
use tasknet::instruction as ix;

pub fn create_task(creator: &Pubkey, args: CreateTaskArgs) -> Instruction {
    let task = pda::task(creator, args.task_id);
    instruction(
        acc::CreateTask {
            creator: *creator,
            task,
            vault: pda::vault(&task),
            system_program: system_program::ID,
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
    instruction(
        acc::FundTask {
            funder: *funder,
            task: *task,
            vault: pda::vault(task),
            system_program: system_program::ID,
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
    instruction(
        acc::WithdrawBounty {
            creator: *creator,
            task: *task,
            vault: pda::vault(task),
        },
        ix::WithdrawBounty { amount },
    )
}

pub fn close_task(creator: &Pubkey, task: &Pubkey) -> Instruction {
    instruction(
        acc::CloseTask {
            creator: *creator,
            task: *task,
            vault: pda::vault(task),
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
    instruction(
        acc::OpenRound {
            payer: *payer,
            task: *task,
            vault: pda::vault(task),
            round_account: pda::round(task, round),
            system_program: system_program::ID,
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
    let submit = submit(node, task, round, payload);
    if round_is_open {
        vec![submit]
    } else {
        vec![open_round(node, task, round), submit]
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
        },
        ix::Reveal { value, salt },
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
    let submission = pda::submission(task, round, target);
    instruction(
        acc::ResolveAudit {
            task: *task,
            vault: pda::vault(task),
            round_account: pda::round(task, round),
            submission,
            audit: pda::audit(&submission),
            node_stake: pda::stake(task, target),
            challenger: *challenger,
            node: *target,
        },
        ix::ResolveAudit {},
    )
}

pub fn claim(node: &Pubkey, task: &Pubkey, round: u64) -> Instruction {
    instruction(
        acc::Claim {
            node: *node,
            round_account: pda::round(task, round),
            submission: pda::submission(task, round, node),
        },
        ix::Claim {},
    )
}

pub fn close_round(task: &Pubkey, round: u64, rent_payer: &Pubkey) -> Instruction {
    instruction(
        acc::CloseRound {
            task: *task,
            vault: pda::vault(task),
            round_account: pda::round(task, round),
            rent_payer: *rent_payer,
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
    let submission = pda::submission(task, round, node);
    instruction(
        acc::CloseSubmission {
            task: *task,
            round_account: pda::round(task, round),
            submission,
            node: *node,
            audit: challenger.map(|_| pda::audit(&submission)),
            challenger: challenger.copied(),
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
