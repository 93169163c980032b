//! Audits and settlement: challenge, vote, resolve_audit, claim and the
//! closing cranks.

#![allow(deprecated)]

use anchor_lang::error::ErrorCode as AnchorError;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::state::*;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 2 * LAMPORTS_PER_SOL;

/// Four nodes submit and reveal round 0 on a commit–reveal task; node 3
/// commits but never reveals. Returns at the start of the audit window.
async fn audited_round() -> Fixture {
    let mut f = Fixture::new(crate::BACKEND, true, 4, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..4 {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0)).await;
    for i in 0..3 {
        f.reveal(i, 0, &honest_value(0)).await.ok();
    }
    f.warp_to(f.schedule.reveal_end(0)).await;
    f
}

#[tokio::test]
async fn challenge_rules() {
    let mut f = Fixture::new(crate::BACKEND, true, 4, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..4 {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    let late = f.add_node(STAKE).await;
    f.warp_to(f.schedule.submit_end(0)).await;
    for i in 0..3 {
        f.reveal(i, 0, &honest_value(0)).await.ok();
    }
    f.challenge(1, 0, 0)
        .await
        .err(TasknetError::OutsideAuditWindow);
    f.warp_to(f.schedule.reveal_end(0)).await;

    f.challenge(0, 0, 0).await.err(TasknetError::SelfChallenge);
    f.challenge(0, 0, 3).await.err(TasknetError::NotRevealed);
    f.challenge(late, 0, 0)
        .await
        .err(TasknetError::StakeNotActiveForRound);
    // The challenger must bring its own stake account.
    let ix = sdk::challenge(&f.node(1), &task, 0, &f.node(0));
    let ix = swap_account(
        ix,
        &pda::stake(&task, &f.node(1)),
        &pda::stake(&task, &f.node(2)),
    );
    f.node_send(1, ix).await.err(TasknetError::WrongStake);
    // Wrong PDA for the audit.
    let other_audit = pda::audit(&pda::submission(&task, 0, &f.node(2)));
    let ix = sdk::challenge(&f.node(1), &task, 0, &f.node(0));
    let ix = swap_account(
        ix,
        &pda::audit(&pda::submission(&task, 0, &f.node(0))),
        &other_audit,
    );
    f.node_send(1, ix)
        .await
        .anchor_err(AnchorError::ConstraintSeeds);

    let challenged: Challenged = f.challenge(1, 0, 0).await.event();
    assert_eq!(
        (challenged.bond, challenged.weight),
        (CHALLENGE_BOND, STAKE)
    );
    f.challenge(2, 0, 0)
        .await
        .err(TasknetError::AlreadyChallenged);
    let audit: Audit =
        f.h.account(&pda::audit(&pda::submission(&task, 0, &f.node(0))))
            .await
            .unwrap();
    assert_eq!(
        (audit.invalid_weight, audit.voter_count, audit.verdict),
        (STAKE, 1, AuditVerdict::Pending)
    );
    let t = f.task_account().await;
    assert_eq!(t.ledger.bonds_held, CHALLENGE_BOND);
    let stake: Stake = f.h.account(&pda::stake(&task, &f.node(0))).await.unwrap();
    assert_eq!(stake.open_audits, 1);

    f.warp_to(f.schedule.audit_end(0)).await;
    f.challenge(2, 0, 1)
        .await
        .err(TasknetError::OutsideAuditWindow);
}

#[tokio::test]
async fn vote_rules() {
    let mut f = audited_round().await;
    let task = f.task;
    let low = f.add_node(MIN_STAKE - 1).await;
    f.challenge(1, 0, 0).await.ok();
    f.vote(0, 0, 0, false).await.err(TasknetError::SelfVote);
    f.vote(1, 0, 0, true).await.err(TasknetError::AlreadyVoted); // the challenge was its vote
    f.vote(low, 0, 0, true)
        .await
        .err(TasknetError::StakeBelowMinimum);
    let voted: Voted = f.vote(2, 0, 0, false).await.event();
    assert_eq!((voted.weight, voted.invalid), (STAKE, false));
    f.vote(2, 0, 0, true).await.err(TasknetError::AlreadyVoted);
    let node3 = f.node(3);
    f.node_send(3, sdk::unstake(&node3, &task)).await.ok();
    f.vote(3, 0, 0, true)
        .await
        .err(TasknetError::StakeUnbonding);
    let audit: Audit =
        f.h.account(&pda::audit(&pda::submission(&task, 0, &f.node(0))))
            .await
            .unwrap();
    assert_eq!(
        (audit.invalid_weight, audit.valid_weight, audit.voter_count),
        (STAKE, STAKE, 2)
    );

    f.warp_to(f.schedule.audit_end(0)).await;
    f.vote(low, 0, 0, false)
        .await
        .err(TasknetError::OutsideAuditWindow);
    f.resolve(0, 0, 1).await.ok();
    f.vote(3, 0, 0, true)
        .await
        .err(TasknetError::AuditAlreadyResolved);
}

#[tokio::test]
async fn a_failed_challenge_pays_the_bond_to_the_accused() {
    let mut f = audited_round().await;
    let task = f.task;
    f.challenge(1, 0, 0).await.ok();
    f.vote(2, 0, 0, false).await.ok();
    f.resolve(0, 0, 1).await.err(TasknetError::AuditWindowOpen);
    f.claim(2, 0).await.err(TasknetError::AuditWindowOpen);
    f.warp_to(f.schedule.audit_end(0)).await;
    // Claims wait for the audit.
    f.claim(2, 0).await.err(TasknetError::AuditsPending);
    // The payout accounts must be the recorded ones.
    let ix = sdk::resolve_audit(&task, 0, &f.node(0), &f.node(2));
    f.h.send(&[ix], &[])
        .await
        .err(TasknetError::WrongPayoutAccount);

    let accused_before = f.h.balance(&f.node(0)).await;
    let resolved: AuditResolved = f.resolve(0, 0, 1).await.event();
    assert!(
        !resolved.invalid,
        "1:1 split does not exceed the 50% threshold"
    );
    assert_eq!(resolved.slashed, 0);
    assert_eq!(
        f.h.balance(&f.node(0)).await,
        accused_before + CHALLENGE_BOND
    );
    f.resolve(0, 0, 1)
        .await
        .err(TasknetError::AuditAlreadyResolved);
    let sub: Submission =
        f.h.account(&pda::submission(&task, 0, &f.node(0)))
            .await
            .unwrap();
    assert_eq!(sub.status, SubmissionStatus::Valid);
    let stake: Stake = f.h.account(&pda::stake(&task, &f.node(0))).await.unwrap();
    assert_eq!((stake.total(), stake.open_audits), (STAKE, 0));

    // Three revealed, none invalid: each claims a third.
    let share = REWARD_PER_ROUND / 3;
    for i in 0..3 {
        assert_eq!(f.claim(i, 0).await.event::<RewardClaimed>().amount, share);
    }
    // Node 0's submission was audited: it stays (to close with its audit
    // after the deadline), and refuses a second claim by name.
    f.claim(0, 0).await.err(TasknetError::AlreadyClaimed);
    f.claim(3, 0).await.err(TasknetError::NotClaimable);
}

#[tokio::test]
async fn a_challenge_without_quorum_resolves_valid() {
    let mut f = audited_round().await;
    // One challenger's weight (2 of 8 SOL eligible = 25%) is below the 30% quorum.
    f.challenge(1, 0, 0).await.ok();
    f.warp_to(f.schedule.audit_end(0)).await;
    let resolved: AuditResolved = f.resolve(0, 0, 1).await.event();
    assert!(!resolved.invalid);
}

#[tokio::test]
async fn claim_rules() {
    let mut f = audited_round().await;
    let task = f.task;
    f.warp_to(f.schedule.audit_end(0)).await;
    // Node 1 cannot claim through node 0's submission.
    let ix = sdk::claim(&f.node(1), &task, 0);
    let ix = swap_account(
        ix,
        &pda::submission(&task, 0, &f.node(1)),
        &pda::submission(&task, 0, &f.node(0)),
    );
    f.node_send(1, ix)
        .await
        .err(TasknetError::NotSubmissionOwner);
    // An unaudited submission closes with its claim, its rent back to the
    // node in the same transaction: a second claim finds no submission.
    let submission = pda::submission(&task, 0, &f.node(0));
    let rent = f.h.balance(&submission).await;
    let before = f.h.balance(&f.node(0)).await;
    f.claim(0, 0).await.ok();
    assert!(!f.h.exists(&submission).await);
    assert_eq!(
        f.h.balance(&f.node(0)).await,
        before + REWARD_PER_ROUND / 3 + rent
    );
    f.claim(0, 0)
        .await
        .anchor_err(AnchorError::AccountNotInitialized);
    f.claim(3, 0).await.err(TasknetError::NotClaimable);
    let round: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!(
        (round.claimed_count, round.claimed_sum),
        (1, REWARD_PER_ROUND / 3)
    );
}

#[tokio::test]
async fn closing_cranks_wait_for_the_deadline_and_return_rent() {
    let mut f = audited_round().await;
    let task = f.task;
    let (accused, challenger, voter) = (f.node(0), f.node(1), f.node(2));
    f.challenge(1, 0, 0).await.ok();
    f.vote(2, 0, 0, true).await.ok();
    f.warp_to(f.schedule.audit_end(0)).await;
    f.h.send(&[sdk::close_vote(&task, 0, &accused, &voter)], &[])
        .await
        .err(TasknetError::AuditNotResolved);
    f.h.send(&[sdk::close_round(&task, 0, &accused)], &[])
        .await
        .err(TasknetError::ClaimDeadlineNotReached);
    f.h.send(&[sdk::close_submission(&task, 0, &voter, None)], &[])
        .await
        .err(TasknetError::ClaimDeadlineNotReached);

    f.warp_to(f.schedule.claim_deadline(0)).await;
    // The audit is still unresolved: nothing may close around it.
    f.h.send(&[sdk::close_round(&task, 0, &accused)], &[])
        .await
        .err(TasknetError::AuditsPending);
    f.h.send(
        &[sdk::close_submission(&task, 0, &accused, Some(&challenger))],
        &[],
    )
    .await
    .err(TasknetError::AuditNotResolved);
    f.resolve(0, 0, 1).await.event::<AuditResolved>();

    f.h.send(&[sdk::close_round(&task, 0, &voter)], &[])
        .await
        .err(TasknetError::WrongPayoutAccount);
    f.h.send(&[sdk::close_submission(&task, 0, &accused, None)], &[])
        .await
        .err(TasknetError::AuditAccountRequired);
    f.h.send(
        &[sdk::close_submission(&task, 0, &accused, Some(&challenger))],
        &[],
    )
    .await
    .err(TasknetError::VotesOutstanding);
    f.h.send(&[sdk::close_vote(&task, 0, &accused, &challenger)], &[])
        .await
        .event::<VoteClosed>();
    // A vote's rent goes back to its voter only.
    let ix = swap_account(
        sdk::close_vote(&task, 0, &accused, &voter),
        &voter,
        &challenger,
    );
    f.h.send(&[ix], &[])
        .await
        .err(TasknetError::WrongPayoutAccount);
    f.h.send(&[sdk::close_vote(&task, 0, &accused, &voter)], &[])
        .await
        .ok();
    let wrong_challenger = swap_account(
        sdk::close_submission(&task, 0, &accused, Some(&challenger)),
        &challenger,
        &voter,
    );
    f.h.send(&[wrong_challenger], &[])
        .await
        .err(TasknetError::WrongPayoutAccount);
    let wrong_node = swap_account(
        sdk::close_submission(&task, 0, &voter, None),
        &voter,
        &accused,
    );
    f.h.send(&[wrong_node], &[])
        .await
        .err(TasknetError::WrongPayoutAccount);

    let sub_lamports = f.h.balance(&pda::submission(&task, 0, &accused)).await;
    let audit_lamports =
        f.h.balance(&pda::audit(&pda::submission(&task, 0, &accused)))
            .await;
    let (accused_before, challenger_before) =
        (f.h.balance(&accused).await, f.h.balance(&challenger).await);
    f.h.send(
        &[sdk::close_submission(&task, 0, &accused, Some(&challenger))],
        &[],
    )
    .await
    .event::<SubmissionClosed>();
    assert_eq!(f.h.balance(&accused).await, accused_before + sub_lamports);
    assert_eq!(
        f.h.balance(&challenger).await,
        challenger_before + audit_lamports
    );

    // The round waits for its other submissions.
    f.h.send(&[sdk::close_round(&task, 0, &accused)], &[])
        .await
        .err(TasknetError::SubmissionsOutstanding);
    // Node 2 claimed; node 1 did not, and a stranger's crank pays it its
    // share with its rent: nobody but the node can make it lose a reward.
    let share = REWARD_PER_ROUND / 2;
    f.claim(2, 0).await.ok();
    let submission_rent = f.h.balance(&pda::submission(&task, 0, &challenger)).await;
    let before = f.h.balance(&challenger).await;
    let closed: SubmissionClosed =
        f.h.send(&[sdk::close_submission(&task, 0, &challenger, None)], &[])
            .await
            .event();
    assert_eq!(closed.reward_paid, share);
    assert_eq!(
        f.h.balance(&challenger).await,
        before + share + submission_rent
    );
    // Node 2's claim closed its submission; node 3 never revealed.
    assert!(!f.h.exists(&pda::submission(&task, 0, &voter)).await);
    let closed: SubmissionClosed =
        f.h.send(&[sdk::close_submission(&task, 0, &f.node(3), None)], &[])
            .await
            .event();
    assert_eq!(closed.reward_paid, 0, "never revealed");

    let round_lamports = f.h.balance(&pda::round(&task, 0)).await;
    let payer_before = f.h.balance(&accused).await;
    let closed: RoundClosed =
        f.h.send(&[sdk::close_round(&task, 0, &accused)], &[])
            .await
            .event();
    // Both valid shares were paid: only the dust returns.
    assert_eq!(closed.returned_to_bounty, REWARD_PER_ROUND - 2 * share);
    assert_eq!(
        f.h.balance(&accused).await,
        payer_before + round_lamports - closed.returned_to_bounty
    );
    assert!(!f.h.exists(&pda::round(&task, 0)).await);
    // A closed round takes no more claims.
    f.claim(2, 0)
        .await
        .anchor_err(AnchorError::AccountNotInitialized);
}
