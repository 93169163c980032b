//! Node instructions: stake, unstake, withdraw_stake, submit, reveal.

#![allow(deprecated)]

use anchor_lang::error::ErrorCode as AnchorError;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::commitment;
use tasknet::state::*;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 2 * LAMPORTS_PER_SOL;

#[tokio::test]
async fn stake_activates_next_round_and_rejects_bad_input() {
    let mut f = Fixture::new(crate::BACKEND, true, 1, LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    let node = f.node(0);
    // Before round 0 the stake counts from round 0.
    let stake: Stake = f.h.account(&pda::stake(&task, &node)).await.unwrap();
    assert_eq!(stake.bonded.weight_at(0), STAKE);
    assert_eq!(stake.endpoint, "http://127.0.0.1:9000");
    assert_eq!(f.task_account().await.node_count, 1);

    f.warp_to(f.schedule.round_start(1) + 1).await;
    let staked: Staked = f
        .node_send(0, sdk::stake(&node, &task, 5, None))
        .await
        .event();
    assert_eq!(staked.activates_in_round, 2);
    assert_eq!(staked.node_total, STAKE + 5);
    // Overflow-sized: the node's bonded total would overflow.
    f.node_send(0, sdk::stake(&node, &task, u64::MAX, None))
        .await
        .err(TasknetError::ArithmeticOverflow);
    // A second top-up one round later would backdate the first: refused.
    f.warp_to(f.schedule.round_start(2) + 1).await;
    f.node_send(0, sdk::stake(&node, &task, 5, None))
        .await
        .err(TasknetError::StakeStillActivating);
    f.node_send(0, sdk::stake(&node, &task, 0, None))
        .await
        .err(TasknetError::ZeroAmount);
    f.node_send(0, sdk::stake(&node, &task, 1, Some("h".repeat(97))))
        .await
        .err(TasknetError::EndpointTooLong);
    // Wrong PDA: another node's stake address.
    let other = f.add_node(STAKE).await;
    let ix = swap_account(
        sdk::stake(&node, &task, 1, None),
        &pda::stake(&task, &node),
        &pda::stake(&task, &f.node(other)),
    );
    f.node_send(0, ix)
        .await
        .anchor_err(AnchorError::ConstraintSeeds);
    // Node must sign.
    let ix = unsigned(sdk::stake(&node, &task, 1, None), &node);
    f.h.send(&[ix], &[])
        .await
        .anchor_err(AnchorError::AccountNotSigner);
    // Unbonding nodes cannot add stake.
    f.node_send(0, sdk::unstake(&node, &task)).await.ok();
    f.node_send(0, sdk::stake(&node, &task, 1, None))
        .await
        .err(TasknetError::StakeUnbonding);
    let t = f.task_account().await;
    assert_eq!(t.ledger.staked_total, 2 * STAKE + 5);
}

#[tokio::test]
async fn unstake_and_withdraw_follow_the_unbonding_period() {
    let mut f = Fixture::new(crate::BACKEND, false, 2, LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    let (a, b) = (f.node(0), f.node(1));
    f.node_send(0, sdk::withdraw_stake(&a, &task))
        .await
        .err(TasknetError::NotUnbonding);
    // Node 1 may not unstake node 0's stake.
    let ix = swap_account(
        sdk::unstake(&b, &task),
        &pda::stake(&task, &b),
        &pda::stake(&task, &a),
    );
    f.node_send(1, ix).await.err(TasknetError::WrongStake);

    f.warp_to(f.schedule.round_start(1) + 3).await;
    let started: UnstakeStarted = f.node_send(0, sdk::unstake(&a, &task)).await.event();
    assert_eq!(started.amount, STAKE);
    assert_eq!(started.frees_at_slot, f.schedule.round_start(4));
    f.node_send(0, sdk::unstake(&a, &task))
        .await
        .err(TasknetError::StakeUnbonding);
    let t = f.task_account().await;
    assert_eq!(
        t.bonded.total(),
        STAKE,
        "unbonding stake leaves the task's weight"
    );
    assert_eq!(t.ledger.staked_total, 2 * STAKE, "but stays in the vault");

    f.warp_to(f.schedule.round_start(4) - 1).await;
    f.node_send(0, sdk::withdraw_stake(&a, &task))
        .await
        .err(TasknetError::UnbondingNotFinished);
    f.warp_to(f.schedule.round_start(4)).await;
    // Node 1 may not withdraw node 0's stake.
    let ix = swap_account(
        sdk::withdraw_stake(&b, &task),
        &pda::stake(&task, &b),
        &pda::stake(&task, &a),
    );
    f.node_send(1, ix).await.err(TasknetError::WrongStake);
    f.node_send(0, sdk::withdraw_stake(&a, &task))
        .await
        .event::<StakeWithdrawn>();
    assert!(!f.h.exists(&pda::stake(&task, &a)).await);
    let t = f.task_account().await;
    assert_eq!((t.ledger.staked_total, t.node_count), (STAKE, 1));
}

#[tokio::test]
async fn withdraw_waits_for_open_audits_against_the_node() {
    let mut f = Fixture::new(crate::BACKEND, false, 2, LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    f.submit_all(0, &[0, 1], &honest_value(0)).await;
    f.warp_to(f.schedule.reveal_end(0)).await;
    f.challenge(1, 0, 0).await.ok();
    let node = f.node(0);
    f.node_send(0, sdk::unstake(&node, &task)).await.ok();
    let frees =
        f.h.account::<Stake>(&pda::stake(&task, &node))
            .await
            .unwrap()
            .unbonding_frees_at;
    f.warp_to(frees).await;
    f.node_send(0, sdk::withdraw_stake(&node, &task))
        .await
        .err(TasknetError::OpenAuditsAgainstNode);
    f.resolve(0, 0, 1).await.ok();
    f.node_send(0, sdk::withdraw_stake(&node, &task)).await.ok();
}

#[tokio::test]
async fn submit_checks_window_eligibility_and_payload() {
    let mut f = Fixture::new(crate::BACKEND, true, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    let low = f.add_node(MIN_STAKE - 1).await;
    let s = f.schedule;

    // Before round 0 starts, and a future round.
    f.submit(0, 0, b"early")
        .await
        .err(TasknetError::OutsideSubmitWindow);
    f.warp_to(s.round_start(0)).await;
    f.submit(0, 1, b"future")
        .await
        .err(TasknetError::OutsideSubmitWindow);
    let late = f.add_node(STAKE).await; // staked after round 0 began
    let node0 = f.node(0);

    // A submission to a round nobody opened.
    let ix = sdk::submit(&node0, &task, 0, SubmissionPayload::Commitment([1; 32]));
    f.node_send(0, ix)
        .await
        .anchor_err(AnchorError::AccountNotInitialized);
    let opened: RoundOpened = f.open_round(0, 0).await.event();
    assert_eq!(opened.pool, REWARD_PER_ROUND);
    // Opening an open round changes nothing (two racing nodes both submit).
    let again = f.open_round(1, 0).await.ok();
    assert!(events::<RoundOpened>(&again).is_empty());
    f.submit(0, 0, &honest_value(0)).await.event::<Submitted>();
    f.submit(1, 0, &honest_value(0)).await.event::<Submitted>();
    f.submit(0, 0, &honest_value(0))
        .await
        .err(TasknetError::AlreadySubmitted);
    f.submit(low, 0, b"x")
        .await
        .err(TasknetError::StakeBelowMinimum);
    f.submit(late, 0, b"x")
        .await
        .err(TasknetError::StakeNotActiveForRound);
    let node2 = f.node(2);
    let value = SubmissionPayload::Value(b"plain".to_vec());
    f.node_send(2, sdk::submit(&node2, &task, 0, value))
        .await
        .err(TasknetError::CommitmentRequired);
    // Someone else's stake account.
    let ix = sdk::submit(&node2, &task, 0, SubmissionPayload::Commitment([1; 32]));
    let ix = swap_account(
        ix,
        &pda::stake(&task, &node2),
        &pda::stake(&task, &f.node(0)),
    );
    f.node_send(2, ix).await.err(TasknetError::WrongStake);
    // Another round's account for round 0 (round 1 is not open: not a round).
    let ix = sdk::submit(&node2, &task, 0, SubmissionPayload::Commitment([1; 32]));
    let ix = swap_account(ix, &pda::round(&task, 0), &pda::round(&task, 1));
    f.node_send(2, ix)
        .await
        .anchor_err(AnchorError::AccountNotInitialized);
    // A submission address that is not the node's PDA for this round.
    let ix = sdk::submit(&node2, &task, 0, SubmissionPayload::Commitment([1; 32]));
    let ix = swap_account(
        ix,
        &pda::submission(&task, 0, &node2),
        &pda::submission(&task, 1, &node2),
    );
    f.node_send(2, ix).await.err(TasknetError::WrongAddress);
    // The right seeds with a valid but non-canonical bump: a second address
    // for the same (round, node) would allow a second submission.
    let (canonical, bump) = pda::submission_with_bump(&task, 0, &node2);
    let seeds: [&[u8]; 4] = [
        tasknet::constants::SUBMISSION_SEED,
        task.as_ref(),
        &0u64.to_le_bytes(),
        node2.as_ref(),
    ];
    let (other, other_bump) = (0..bump)
        .rev()
        .find_map(|b| {
            let mut with_bump = seeds.to_vec();
            let b_slice = [b];
            with_bump.push(&b_slice);
            anchor_lang::prelude::Pubkey::create_program_address(&with_bump, &tasknet::ID)
                .ok()
                .map(|a| (a, b))
        })
        .expect("some lower bump is off the curve");
    let mut ix = sdk::submit(&node2, &task, 0, SubmissionPayload::Commitment([1; 32]));
    *ix.data.last_mut().unwrap() = other_bump;
    let ix = swap_account(ix, &canonical, &other);
    f.node_send(2, ix).await.err(TasknetError::WrongAddress);
    // An unbonding node may not submit.
    f.node_send(2, sdk::unstake(&node2, &task)).await.ok();
    f.submit(2, 0, b"x").await.err(TasknetError::StakeUnbonding);
    // After the window.
    f.warp_to(s.submit_end(0)).await;
    f.submit(1, 0, b"late")
        .await
        .err(TasknetError::OutsideSubmitWindow);

    let round: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!((round.submissions, round.revealed), (2, 0));
    assert_eq!(round.eligible_stake, 3 * STAKE + MIN_STAKE - 1);
    // Round 1's weight counts the node that staked during round 0.
    f.warp_to(s.round_start(1)).await;
    f.submit(late, 1, b"y").await.ok();
    let round: Round = f.h.account(&pda::round(&task, 1)).await.unwrap();
    assert_eq!(
        round.eligible_stake,
        3 * STAKE + MIN_STAKE - 1,
        "node 2 left; the late node joined"
    );
}

#[tokio::test]
async fn plain_tasks_take_values_and_cap_the_pool_by_the_bounty() {
    let bounty = REWARD_PER_ROUND / 2;
    let mut f = Fixture::new(crate::BACKEND, false, 2, bounty, STAKE).await;
    let task = f.task;
    f.warp_to(START_SLOT).await;
    let node = f.node(0);
    f.open_round(0, 0).await.ok();
    let ix = sdk::submit(&node, &task, 0, SubmissionPayload::Commitment([0; 32]));
    f.node_send(0, ix).await.err(TasknetError::ValueRequired);
    f.submit(0, 0, &[])
        .await
        .err(TasknetError::InvalidValueLength);
    f.submit(0, 0, &[7; 257])
        .await
        .err(TasknetError::InvalidValueLength);
    let submitted: Submitted = f.submit(0, 0, &[7; 256]).await.event();
    assert!(submitted.revealed);
    let round: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!(
        round.reward_pool, bounty,
        "the pool is capped by the bounty"
    );
    let t = f.task_account().await;
    assert_eq!((t.ledger.bounty_available, t.rounds_open), (0, 1));
    let sub: Submission =
        f.h.account(&pda::submission(&task, 0, &node))
            .await
            .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Revealed);
    assert_eq!(sub.value, vec![7; 256]);
    // Reveal does not apply to plain tasks.
    f.warp_to(f.schedule.submit_end(0)).await;
    f.reveal(0, 0, &[7; 256])
        .await
        .err(TasknetError::ValueRequired);
}

#[tokio::test]
async fn reveal_must_match_its_commitment_in_its_window() {
    let mut f = Fixture::new(crate::BACKEND, true, 2, LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    let s = f.schedule;
    f.warp_to(s.round_start(0)).await;
    f.submit(0, 0, &honest_value(0)).await.ok();
    f.submit(1, 0, &honest_value(0)).await.ok();
    f.reveal(0, 0, &honest_value(0))
        .await
        .err(TasknetError::OutsideRevealWindow);

    f.warp_to(s.submit_end(0)).await;
    f.reveal(0, 0, b"another value")
        .await
        .err(TasknetError::RevealMismatch);
    let node = f.node(0);
    let wrong_salt = sdk::reveal(&node, &task, 0, honest_value(0), [0xEE; 32]);
    f.node_send(0, wrong_salt)
        .await
        .err(TasknetError::RevealMismatch);
    // Node 1 cannot reveal node 0's submission, even with the right data.
    let ix = sdk::reveal(&node, &task, 0, honest_value(0), salt_for(&node, 0));
    let ix = swap_account(ix, &node, &f.node(1));
    f.node_send(1, ix)
        .await
        .err(TasknetError::NotSubmissionOwner);
    // Copying another node's commitment does not help: it binds the node.
    assert_ne!(
        commitment(&honest_value(0), &salt_for(&node, 0), &node),
        commitment(&honest_value(0), &salt_for(&node, 0), &f.node(1))
    );

    let revealed: Revealed = f.reveal(0, 0, &honest_value(0)).await.event();
    assert_eq!(revealed.node, node);
    f.reveal(0, 0, &honest_value(0))
        .await
        .err(TasknetError::AlreadyRevealed);
    f.warp_to(s.reveal_end(0)).await;
    f.reveal(1, 0, &honest_value(0))
        .await
        .err(TasknetError::OutsideRevealWindow);
    let round: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!((round.submissions, round.revealed), (2, 1));
    let sub: Submission =
        f.h.account(&pda::submission(&task, 0, &node))
            .await
            .unwrap();
    assert_eq!(sub.value, honest_value(0));
}
