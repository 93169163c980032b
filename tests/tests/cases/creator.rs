//! Creator instructions: happy paths and every rejection, each with its
//! named error. The harness checks vault conservation after every send.

#![allow(deprecated)]

use anchor_lang::error::ErrorCode as AnchorError;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::instructions::UpdateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::*;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 2 * LAMPORTS_PER_SOL;

async fn create(
    h: &mut Harness,
    creator: &Keypair,
    args: tasknet::instructions::CreateTaskArgs,
) -> Sent {
    h.send(&[sdk::create_task(&creator.pubkey(), args)], &[creator])
        .await
}

#[tokio::test]
async fn create_task_stores_the_task_and_rejects_bad_input() {
    let mut h = Harness::new(crate::BACKEND).await;
    let creator = h.funded_keypair(10 * LAMPORTS_PER_SOL).await;

    let bad_schedules: [(Schedule, bool, TasknetError); 5] = [
        (
            Schedule {
                submit_slots: 21,
                ..commit_reveal_schedule()
            },
            true,
            TasknetError::ScheduleSubmitLongerThanRound,
        ),
        (
            commit_reveal_schedule(),
            false,
            TasknetError::ScheduleRevealWindowMismatch,
        ),
        (
            Schedule {
                audit_slots: 27,
                ..commit_reveal_schedule()
            },
            true,
            TasknetError::ScheduleAuditPastNextRound,
        ),
        (
            Schedule {
                round_slots: 0,
                ..commit_reveal_schedule()
            },
            true,
            TasknetError::ScheduleEmptyWindow,
        ),
        (
            Schedule {
                start_slot: u64::MAX - 10,
                ..commit_reveal_schedule()
            },
            true,
            TasknetError::ScheduleOverflow,
        ),
    ];
    for (schedule, commit_reveal, error) in bad_schedules {
        let args = tasknet::instructions::CreateTaskArgs {
            schedule,
            commit_reveal,
            ..task_args(7, true)
        };
        create(&mut h, &creator, args).await.err(error);
    }
    type Tweak = fn(&mut tasknet::instructions::CreateTaskArgs);
    let bad_inputs: [(Tweak, TasknetError); 6] = [
        (|a| a.economics.slash_bps = 10_001, TasknetError::InvalidBps),
        (|a| a.economics.min_stake = 0, TasknetError::ZeroMinStake),
        (|a| a.name = "x".repeat(33), TasknetError::InvalidName),
        (|a| a.name = String::new(), TasknetError::InvalidName),
        (
            |a| a.metadata_uri = "u".repeat(129),
            TasknetError::MetadataUriTooLong,
        ),
        (
            |a| a.code_uri = "u".repeat(201),
            TasknetError::CodeUriTooLong,
        ),
    ];
    for (tweak, error) in bad_inputs {
        let mut args = task_args(7, true);
        tweak(&mut args);
        create(&mut h, &creator, args).await.err(error);
    }

    // Wrong PDA: the task address of another id.
    let ix = sdk::create_task(&creator.pubkey(), task_args(7, true));
    let wrong = pda::task(&creator.pubkey(), 8);
    let ix = swap_account(ix, &pda::task(&creator.pubkey(), 7), &wrong);
    h.send(&[ix], &[&creator])
        .await
        .anchor_err(AnchorError::ConstraintSeeds);
    // Creator must sign.
    let ix = unsigned(
        sdk::create_task(&creator.pubkey(), task_args(7, true)),
        &creator.pubkey(),
    );
    h.send(&[ix], &[])
        .await
        .anchor_err(AnchorError::AccountNotSigner);
    assert!(
        !h.exists(&pda::task(&creator.pubkey(), 7)).await,
        "rejections change nothing"
    );

    let task = pda::task(&creator.pubkey(), 7);
    h.track(task);
    let created: TaskCreated = create(&mut h, &creator, task_args(7, true)).await.event();
    assert_eq!(created.task, task);
    assert!(created.commit_reveal);
    let t: Task = h.account(&task).await.unwrap();
    assert_eq!(t.creator, creator.pubkey());
    assert_eq!(t.schedule, commit_reveal_schedule());
    assert_eq!(t.economics, economics());
    assert_eq!(t.state, TaskState::Active);
    assert_eq!(t.ledger, Ledger::default());
}

#[tokio::test]
async fn fund_task_adds_to_the_bounty() {
    let mut f = Fixture::new(crate::BACKEND, true, 0, 0, STAKE).await;
    let funder = f.h.funded_keypair(5 * LAMPORTS_PER_SOL).await;
    let task = f.task;
    let funded: TaskFunded =
        f.h.send(
            &[sdk::fund_task(&funder.pubkey(), &task, LAMPORTS_PER_SOL)],
            &[&funder],
        )
        .await
        .event();
    assert_eq!(funded.bounty_available, LAMPORTS_PER_SOL);
    assert_eq!(
        f.task_account().await.ledger.bounty_available,
        LAMPORTS_PER_SOL
    );

    f.h.send(&[sdk::fund_task(&funder.pubkey(), &task, 0)], &[&funder])
        .await
        .err(TasknetError::ZeroAmount);
    // Overflow-sized: bounty + u64::MAX does not fit.
    f.h.send(
        &[sdk::fund_task(&funder.pubkey(), &task, u64::MAX)],
        &[&funder],
    )
    .await
    .err(TasknetError::ArithmeticOverflow);
    // Wrong vault PDA: another task's vault.
    create(&mut f.h, &funder, task_args(1, false)).await.ok();
    let other_vault = pda::vault(&pda::task(&funder.pubkey(), 1));
    let ix = swap_account(
        sdk::fund_task(&funder.pubkey(), &task, 1),
        &pda::vault(&task),
        &other_vault,
    );
    f.h.send(&[ix], &[&funder])
        .await
        .anchor_err(AnchorError::ConstraintSeeds);
    // Wrong owner: a system account passed as the task.
    let ix = swap_account(
        sdk::fund_task(&funder.pubkey(), &task, 1),
        &task,
        &funder.pubkey(),
    );
    f.h.send(&[ix], &[&funder])
        .await
        .anchor_err(AnchorError::AccountOwnedByWrongProgram);
    assert_eq!(
        f.task_account().await.ledger.bounty_available,
        LAMPORTS_PER_SOL
    );
}

#[tokio::test]
async fn update_task_changes_only_what_it_may() {
    let mut f = Fixture::new(crate::BACKEND, true, 0, 0, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    let args = UpdateTaskArgs {
        reward_per_round: Some(77),
        metadata_uri: Some("ipfs://new".into()),
        code_hash: Some([9; 32]),
        min_stake: Some(5),
        code_uri: Some("https://example.org/v2.wasm".into()),
        code_limits: Some(CodeLimits {
            fuel: 1_000_000,
            memory_mib: 16,
            deadline_ms: 500,
        }),
    };
    let updated: TaskUpdated = f
        .creator_send(sdk::update_task(&creator, &task, args.clone()))
        .await
        .event();
    assert_eq!(
        (
            updated.reward_per_round,
            updated.min_stake,
            updated.code_hash
        ),
        (77, 5, [9; 32])
    );
    let t = f.task_account().await;
    assert_eq!(t.metadata_uri, "ipfs://new");
    assert_eq!(t.code_uri, "https://example.org/v2.wasm");
    assert_eq!(t.code_limits.memory_mib, 16);
    assert_eq!(
        t.schedule,
        commit_reveal_schedule(),
        "the schedule never changes"
    );

    let stranger = f.h.funded_keypair(LAMPORTS_PER_SOL).await;
    f.h.send(
        &[sdk::update_task(&stranger.pubkey(), &task, args)],
        &[&stranger],
    )
    .await
    .err(TasknetError::NotTaskCreator);
    let too_long = UpdateTaskArgs {
        metadata_uri: Some("u".repeat(129)),
        ..Default::default()
    };
    f.creator_send(sdk::update_task(&creator, &task, too_long))
        .await
        .err(TasknetError::MetadataUriTooLong);
    let too_long = UpdateTaskArgs {
        code_uri: Some("u".repeat(201)),
        ..Default::default()
    };
    f.creator_send(sdk::update_task(&creator, &task, too_long))
        .await
        .err(TasknetError::CodeUriTooLong);
    assert_eq!(
        f.task_account().await.code_uri,
        "https://example.org/v2.wasm"
    );
    let zero = UpdateTaskArgs {
        min_stake: Some(0),
        ..Default::default()
    };
    f.creator_send(sdk::update_task(&creator, &task, zero))
        .await
        .err(TasknetError::ZeroMinStake);
    assert_eq!(f.task_account().await.economics.min_stake, 5);
}

#[tokio::test]
async fn pause_and_resume_gate_new_work() {
    let mut f = Fixture::new(crate::BACKEND, false, 1, LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    let stranger = f.h.funded_keypair(LAMPORTS_PER_SOL).await;
    f.h.send(&[sdk::pause_task(&stranger.pubkey(), &task)], &[&stranger])
        .await
        .err(TasknetError::NotTaskCreator);
    f.creator_send(sdk::resume_task(&creator, &task))
        .await
        .err(TasknetError::TaskNotPaused);
    f.creator_send(sdk::pause_task(&creator, &task))
        .await
        .event::<TaskPaused>();
    f.creator_send(sdk::pause_task(&creator, &task))
        .await
        .err(TasknetError::TaskNotActive);
    assert_eq!(f.task_account().await.state, TaskState::Paused);

    // A paused task takes no stake and no submission.
    let node = f.node(0);
    f.node_send(0, sdk::stake(&node, &task, STAKE, None))
        .await
        .err(TasknetError::TaskNotActive);
    f.warp_to(START_SLOT).await;
    f.submit(0, 0, &honest_value(0))
        .await
        .err(TasknetError::TaskNotActive);

    f.h.send(&[sdk::resume_task(&stranger.pubkey(), &task)], &[&stranger])
        .await
        .err(TasknetError::NotTaskCreator);
    f.creator_send(sdk::resume_task(&creator, &task))
        .await
        .event::<TaskResumed>();
    f.submit(0, 0, &honest_value(0)).await.event::<Submitted>();
}

#[tokio::test]
async fn withdraw_bounty_only_while_paused() {
    let mut f = Fixture::new(crate::BACKEND, false, 0, 3 * LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    f.creator_send(sdk::withdraw_bounty(&creator, &task, 1))
        .await
        .err(TasknetError::BountyLocked);
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    f.creator_send(sdk::withdraw_bounty(&creator, &task, 0))
        .await
        .err(TasknetError::ZeroAmount);
    f.creator_send(sdk::withdraw_bounty(&creator, &task, u64::MAX))
        .await
        .err(TasknetError::InsufficientBounty);
    let stranger = f.h.funded_keypair(LAMPORTS_PER_SOL).await;
    f.h.send(
        &[sdk::withdraw_bounty(&stranger.pubkey(), &task, 1)],
        &[&stranger],
    )
    .await
    .err(TasknetError::NotTaskCreator);
    let before = f.h.balance(&creator).await;
    let withdrawn: BountyWithdrawn = f
        .creator_send(sdk::withdraw_bounty(&creator, &task, LAMPORTS_PER_SOL))
        .await
        .event();
    assert_eq!(withdrawn.bounty_available, 2 * LAMPORTS_PER_SOL);
    assert_eq!(f.h.balance(&creator).await, before + LAMPORTS_PER_SOL);
}

#[tokio::test]
async fn close_task_waits_for_open_rounds_and_stakes() {
    let mut f = Fixture::new(crate::BACKEND, false, 1, 3 * LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    f.creator_send(sdk::close_task(&creator, &task))
        .await
        .err(TasknetError::TaskNotPaused);
    f.submit_all(0, &[0], &honest_value(0)).await;
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    // Round 0's account (holding its pool) still exists.
    f.creator_send(sdk::close_task(&creator, &task))
        .await
        .err(TasknetError::RoundsStillOpen);
    let stranger = f.h.funded_keypair(LAMPORTS_PER_SOL).await;
    f.h.send(&[sdk::close_task(&stranger.pubkey(), &task)], &[&stranger])
        .await
        .err(TasknetError::NotTaskCreator);

    // Settle and close the round, then the task closes but keeps its
    // accounts while a node is still staked.
    f.warp_to(f.schedule.audit_end(0)).await;
    f.claim(0, 0).await.ok();
    f.warp_to(f.schedule.claim_deadline(0)).await;
    // The claim closed the submission: the round closes at once.
    let payer = f.node(0);
    f.h.send(&[sdk::close_round(&task, 0, &payer)], &[])
        .await
        .ok();
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(!closed.accounts_closed);
    assert_eq!(f.task_account().await.state, TaskState::Closed);
    // A closed task takes no more funds.
    f.creator_send(sdk::fund_task(&creator, &task, 1))
        .await
        .err(TasknetError::TaskClosed);
    // The node leaves at once; then the accounts close.
    f.node_send(0, sdk::unstake(&payer, &task)).await.ok();
    f.node_send(0, sdk::withdraw_stake(&payer, &task))
        .await
        .ok();
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(closed.accounts_closed);
    assert!(!f.h.exists(&task).await);
}

#[tokio::test]
#[should_panic(expected = "ledger says")]
async fn conservation_check_catches_unaccounted_lamports() {
    let mut f = Fixture::new(crate::BACKEND, false, 0, LAMPORTS_PER_SOL, STAKE).await;
    let vault = pda::vault(&f.task);
    f.h.add_stray_lamports(&vault, 1).await;
    f.h.check_conservation().await;
}

/// Hole 1 of issue 9: `close_task` used to check only for outstanding pools
/// and bonds, so a task whose round pool was fully claimed closed with its
/// round and submission accounts alive, and a task re-created with the same
/// id inherited them (its round 0 opened with no pool, its node got
/// `AlreadySubmitted`).
#[tokio::test]
async fn a_task_closes_only_without_round_accounts_and_a_recreated_task_starts_clean() {
    let bounty = 3 * LAMPORTS_PER_SOL;
    let mut f = Fixture::new(crate::BACKEND, false, 1, bounty, STAKE).await;
    let (creator, task, node) = (f.creator_key(), f.task, f.node(0));
    // While it exists, the same creator and id are refused by name.
    f.creator_send(sdk::create_task(&creator, task_args(1, false)))
        .await
        .err(TasknetError::TaskAlreadyExists);
    f.submit_all(0, &[0], &honest_value(0)).await;
    f.warp_to(f.schedule.audit_end(0)).await;
    let claimed: RewardClaimed = f.claim(0, 0).await.event();
    assert_eq!(
        claimed.amount, REWARD_PER_ROUND,
        "the whole pool is claimed"
    );
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    f.creator_send(sdk::close_task(&creator, &task))
        .await
        .err(TasknetError::RoundsStillOpen);

    // Crank the round closed (anyone, after the deadline; the claim closed
    // the submission), then the task.
    f.warp_to(f.schedule.claim_deadline(0)).await;
    f.h.send(&[sdk::close_round(&task, 0, &node)], &[])
        .await
        .ok();
    f.creator_send(sdk::close_task(&creator, &task))
        .await
        .event::<TaskClosed>();
    f.node_send(0, sdk::unstake(&node, &task)).await.ok();
    f.node_send(0, sdk::withdraw_stake(&node, &task)).await.ok();
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(closed.accounts_closed);
    assert!(!f.h.exists(&pda::round(&task, 0)).await);
    assert!(!f.h.exists(&pda::submission(&task, 0, &node)).await);

    // The same creator and id: the same address, and nothing of the old task.
    let now = f.h.current_slot().await;
    let mut args = task_args(1, false);
    args.schedule.start_slot = now + 5;
    f.schedule = args.schedule;
    f.creator_send(sdk::create_task(&creator, args)).await.ok();
    assert_eq!(pda::task(&creator, 1), task);
    f.creator_send(sdk::fund_task(&creator, &task, bounty))
        .await
        .ok();
    f.node_send(0, sdk::stake(&node, &task, STAKE, None))
        .await
        .ok();
    f.warp_to(f.schedule.round_start(0)).await;
    let opened: RoundOpened = f.open_round(0, 0).await.event();
    assert_eq!(opened.pool, REWARD_PER_ROUND, "round 0 opens afresh");
    f.submit(0, 0, &honest_value(0)).await.event::<Submitted>();
    let t = f.task_account().await;
    assert_eq!((t.rounds_open, t.node_count), (1, 1));
}
