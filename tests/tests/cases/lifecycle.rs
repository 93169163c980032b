//! One task, five nodes, three pipelined commit–reveal rounds, from creation
//! to close. Every transaction is followed by the vault conservation check.

#![allow(deprecated)]

use anchor_lang::Space;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::logic::bps_of;
use tasknet::state::*;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 10 * LAMPORTS_PER_SOL;
const BOUNTY: u64 = 10 * LAMPORTS_PER_SOL;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn full_lifecycle() {
    let mut f = Fixture::new(crate::BACKEND, true, 5, BOUNTY, STAKE).await;
    let s = f.schedule;
    let task = f.task;
    let liar = 4;
    let (challenger, crashed, leaver) = (0, 3, 2);
    let wrong = b"not-the-answer".to_vec();
    let stake_rent = f.h.rent_for(8 + Stake::INIT_SPACE).await;
    let round_rent = f.h.rent_for(8 + Round::INIT_SPACE).await;

    // ---- round 0: everyone commits; the liar commits to a wrong value ----
    f.warp_to(s.round_start(0)).await;
    for i in 0..5 {
        let value = if i == liar {
            wrong.clone()
        } else {
            honest_value(0)
        };
        f.submit(i, 0, &value).await.ok();
    }
    // The first submitter paid the round's rent.
    let round0: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!(round0.rent_payer, f.node(0));
    assert_eq!(round0.reward_pool, REWARD_PER_ROUND);
    assert_eq!(round0.eligible_stake, 5 * STAKE);

    f.warp_to(s.submit_end(0)).await;
    for i in 0..5 {
        let value = if i == liar {
            wrong.clone()
        } else {
            honest_value(0)
        };
        f.reveal(i, 0, &value).await.ok();
    }

    // ---- audit of round 0: challenge, votes; the liar is out-voted ----
    f.warp_to(s.reveal_end(0)).await;
    let vote_rent = f.h.rent_for(8 + Vote::INIT_SPACE).await;
    let audit_rent = f.h.rent_for(8 + Audit::INIT_SPACE).await;
    let before = f.h.balance(&f.node(challenger)).await;
    let challenged: Challenged = f.challenge(challenger, 0, liar).await.event();
    assert_eq!(challenged.weight, STAKE);
    // The challenger posts the bond and pays rent for the audit and its vote.
    assert_eq!(
        f.h.balance(&f.node(challenger)).await,
        before - CHALLENGE_BOND - audit_rent - vote_rent
    );
    f.vote(1, 0, liar, true).await.ok();
    f.vote(2, 0, liar, true).await.ok();
    f.vote(3, 0, liar, false).await.ok();
    f.vote(liar, 0, liar, false)
        .await
        .err(TasknetError::SelfVote);

    // ---- pipelining: round 1 opens while round 0 is still in audit ----
    f.warp_to(s.round_start(1)).await;
    assert!(s.round_start(1) < s.audit_end(0));
    for i in 0..5 {
        f.submit(i, 1, &honest_value(1)).await.ok();
    }
    f.resolve(0, liar, challenger)
        .await
        .err(TasknetError::AuditWindowOpen);
    f.claim(0, 0).await.err(TasknetError::AuditWindowOpen);

    f.warp_to(s.submit_end(1)).await;
    for i in 0..5 {
        f.reveal(i, 1, &honest_value(1)).await.ok();
    }

    // ---- round 0 settles: slash exactly slash_bps, pay the challenger ----
    f.warp_to(s.audit_end(0)).await;
    let challenger_before = f.h.balance(&f.node(challenger)).await;
    let bounty_before = f.task_account().await.ledger.bounty_available;
    let resolved: AuditResolved = f.resolve(0, liar, challenger).await.event();
    assert!(resolved.invalid);
    let slash = bps_of(STAKE, economics().slash_bps);
    let to_challenger = bps_of(slash, economics().challenger_share_bps);
    assert_eq!(resolved.slashed, slash);
    assert_eq!(resolved.to_challenger, to_challenger);
    let liar_stake: Stake =
        f.h.account(&pda::stake(&task, &f.node(liar)))
            .await
            .unwrap();
    assert_eq!(liar_stake.total(), STAKE - slash);
    assert_eq!(liar_stake.slashed_total, slash);
    // The challenger gets its bond back plus its share of the slash.
    assert_eq!(
        f.h.balance(&f.node(challenger)).await,
        challenger_before + CHALLENGE_BOND + to_challenger
    );
    let t = f.task_account().await;
    assert_eq!(
        t.ledger.bounty_available,
        bounty_before + slash - to_challenger
    );
    assert_eq!(t.total_slashed, slash);

    // Honest nodes claim exactly pool / valid; the liar earns nothing.
    let share0 = REWARD_PER_ROUND / 4;
    for i in 0..4 {
        let before = f.h.balance(&f.node(i)).await;
        let submission = pda::submission(&task, 0, &f.node(i));
        let rent = f.h.balance(&submission).await;
        let claimed: RewardClaimed = f.claim(i, 0).await.event();
        assert_eq!(claimed.amount, share0);
        // Unaudited: the claim closes the submission, rent to the node.
        assert_eq!(f.h.balance(&f.node(i)).await, before + share0 + rent);
        assert!(!f.h.exists(&submission).await);
    }
    f.claim(0, 0)
        .await
        .anchor_err(anchor_lang::error::ErrorCode::AccountNotInitialized);
    f.claim(liar, 0).await.err(TasknetError::NotClaimable);

    // ---- round 2: a node crashes before revealing; another one leaves ----
    f.warp_to(s.round_start(2)).await;
    for i in 0..4 {
        f.submit(i, 2, &honest_value(2)).await.ok();
    }
    let unstaked: UnstakeStarted = f
        .node_send(leaver, sdk::unstake(&f.node(leaver), &task))
        .await
        .event();
    assert_eq!(unstaked.frees_at_slot, s.round_start(5));
    f.warp_to(s.submit_end(2)).await;
    for i in 0..3 {
        f.reveal(i, 2, &honest_value(2)).await.ok();
    }
    // The crashed node never reveals: no reward, no slash.

    // ---- round 1 settles: nobody challenged; the liar leaves its share ----
    f.warp_to(s.audit_end(1)).await;
    let share1 = REWARD_PER_ROUND / 5;
    for i in 0..4 {
        let claimed: RewardClaimed = f.claim(i, 1).await.event();
        assert_eq!(claimed.amount, share1);
    }

    // ---- round 2 settles ----
    f.warp_to(s.audit_end(2)).await;
    let share2 = REWARD_PER_ROUND / 3;
    for i in 0..3 {
        let claimed: RewardClaimed = f.claim(i, 2).await.event();
        assert_eq!(claimed.amount, share2);
    }
    f.claim(crashed, 2).await.err(TasknetError::NotClaimable);
    let crashed_stake: Stake =
        f.h.account(&pda::stake(&task, &f.node(crashed)))
            .await
            .unwrap();
    assert_eq!(
        crashed_stake.total(),
        STAKE,
        "an unrevealed commitment is not slashed"
    );

    // ---- cranking: votes, then submissions (paying earned rewards nobody
    // claimed to their nodes), then rounds (returning the dust) ----
    f.warp_to(s.claim_deadline(2)).await;
    f.h.send(&[sdk::close_round(&task, 0, &f.node(0))], &[])
        .await
        .err(TasknetError::SubmissionsOutstanding);
    for voter in [0, 1, 2, 3] {
        f.h.send(
            &[sdk::close_vote(&task, 0, &f.node(liar), &f.node(voter))],
            &[],
        )
        .await
        .ok();
    }
    let challenger_key = f.node(challenger);
    let closed: SubmissionClosed =
        f.h.send(
            &[sdk::close_submission(
                &task,
                0,
                &f.node(liar),
                Some(&challenger_key),
            )],
            &[],
        )
        .await
        .event();
    assert_eq!(closed.reward_paid, 0, "an invalid submission earns nothing");
    assert!(
        !f.h.exists(&pda::audit(&pda::submission(&task, 0, &f.node(liar))))
            .await
    );
    // The liar's round-1 submission was valid and never claimed: closing it
    // pays the liar its share (nobody else can cancel an earned reward).
    let submission_rent = f.h.rent_for(8 + Submission::INIT_SPACE).await;
    let liar_before = f.h.balance(&f.node(liar)).await;
    let closed: SubmissionClosed =
        f.h.send(&[sdk::close_submission(&task, 1, &f.node(liar), None)], &[])
            .await
            .event();
    assert_eq!(closed.reward_paid, share1);
    assert_eq!(
        f.h.balance(&f.node(liar)).await,
        liar_before + share1 + submission_rent
    );
    // Every claim closed its (unaudited) submission; only the crashed
    // node's unrevealed commitment is left, and it earns nothing.
    for (round, nodes) in [(0, 0..4), (1, 0..4), (2, 0..3)] {
        for i in nodes {
            assert!(!f.h.exists(&pda::submission(&task, round, &f.node(i))).await);
        }
    }
    let closed: SubmissionClosed =
        f.h.send(
            &[sdk::close_submission(&task, 2, &f.node(crashed), None)],
            &[],
        )
        .await
        .event();
    assert_eq!(closed.reward_paid, 0, "never revealed");
    let bounty_before = f.task_account().await.ledger.bounty_available;
    let node0_before_close = f.h.balance(&f.node(0)).await;
    let mut returned = 0;
    for round in 0..3 {
        let closed: RoundClosed =
            f.h.send(&[sdk::close_round(&task, round, &f.node(0))], &[])
                .await
                .event();
        returned += closed.returned_to_bounty;
    }
    let dust = (REWARD_PER_ROUND - 4 * share0)
        + (REWARD_PER_ROUND - 5 * share1)
        + (REWARD_PER_ROUND - 3 * share2);
    assert_eq!(returned, dust, "only the dust of every round is left");
    let t = f.task_account().await;
    assert_eq!(t.ledger.bounty_available, bounty_before + returned);
    assert_eq!(t.rounds_open, 0);
    assert_eq!(
        f.h.balance(&f.node(0)).await,
        node0_before_close + 3 * round_rent
    );

    // ---- the leaver waits out unbonding, then withdraws its whole stake ----
    f.node_send(leaver, sdk::withdraw_stake(&f.node(leaver), &task))
        .await
        .err(TasknetError::UnbondingNotFinished);
    f.warp_to(s.round_start(5)).await;
    let before = f.h.balance(&f.node(leaver)).await;
    let withdrawn: StakeWithdrawn = f
        .node_send(leaver, sdk::withdraw_stake(&f.node(leaver), &task))
        .await
        .event();
    assert_eq!(withdrawn.amount, STAKE);
    assert_eq!(
        f.h.balance(&f.node(leaver)).await,
        before + STAKE + stake_rent
    );
    assert!(!f.h.exists(&pda::stake(&task, &f.node(leaver))).await);

    // ---- the creator pauses, withdraws and closes ----
    let creator = f.creator_key();
    let t = f.task_account().await;
    let expected_bounty = BOUNTY - 3 * REWARD_PER_ROUND + (slash - to_challenger) + returned;
    assert_eq!(t.ledger.bounty_available, expected_bounty);
    assert_eq!(t.total_paid, 4 * share0 + 5 * share1 + 3 * share2);
    f.creator_send(sdk::withdraw_bounty(&creator, &task, 1))
        .await
        .err(TasknetError::BountyLocked);
    f.creator_send(sdk::pause_task(&creator, &task))
        .await
        .event::<TaskPaused>();
    let creator_before = f.h.balance(&creator).await;
    f.creator_send(sdk::withdraw_bounty(&creator, &task, LAMPORTS_PER_SOL))
        .await
        .event::<BountyWithdrawn>();
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert_eq!(closed.bounty_returned, expected_bounty - LAMPORTS_PER_SOL);
    assert!(!closed.accounts_closed, "four nodes are still staked");
    assert_eq!(
        f.h.balance(&creator).await,
        creator_before + expected_bounty
    );

    // On a closed task the remaining nodes leave at once.
    for i in [0, 1, 3, 4] {
        f.node_send(i, sdk::unstake(&f.node(i), &task)).await.ok();
        f.node_send(i, sdk::withdraw_stake(&f.node(i), &task))
            .await
            .ok();
    }
    let vault_lamports = f.h.balance(&pda::vault(&task)).await;
    let task_lamports = f.h.balance(&task).await;
    let creator_before = f.h.balance(&creator).await;
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(closed.accounts_closed);
    assert!(!f.h.exists(&task).await && !f.h.exists(&pda::vault(&task)).await);
    assert_eq!(
        f.h.balance(&creator).await,
        creator_before + vault_lamports + task_lamports
    );
}
