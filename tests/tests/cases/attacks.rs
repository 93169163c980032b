//! Three holes an independent attack suite found (issue 18), each shown
//! closed: a creator changing the terms of a round under way, a donation
//! blocking a program address, and a stake slashed to zero locking its task.
//! The harness checks money conservation after every transaction.

#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::Space;
use solana_signer::Signer;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::instructions::UpdateTaskArgs;
use tasknet::state::*;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 2 * LAMPORTS_PER_SOL;

/// Sends `lamports` to `address` from the harness's payer, as anyone can.
async fn donate(h: &mut Harness, address: &Pubkey, lamports: u64) {
    let ix = system_instruction::transfer(&h.payer(), address, lamports);
    h.send(&[ix], &[]).await.ok();
}

/// Hole 1. The creator's accomplice challenges an honest node; the creator
/// then raises `min_stake` above every honest voter's stake. The round's
/// terms were fixed when it opened, so the honest votes still count, the
/// challenge fails and the accomplice's bond goes to the accused. The new
/// minimum applies from the next round opened.
#[tokio::test]
async fn raising_min_stake_mid_round_cannot_turn_a_verdict() {
    let mut f = Fixture::new(crate::BACKEND, true, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    let accomplice = f.add_node(3 * LAMPORTS_PER_SOL).await;
    f.submit_all(0, &[0, 1, 2, accomplice], &honest_value(0))
        .await;
    f.warp_to(f.schedule.reveal_end(0)).await;
    f.challenge(accomplice, 0, 0).await.ok();
    let raise = UpdateTaskArgs {
        min_stake: Some(3 * LAMPORTS_PER_SOL),
        ..Default::default()
    };
    f.creator_send(sdk::update_task(&creator, &task, raise))
        .await
        .ok();
    assert_eq!(
        f.task_account().await.economics.min_stake,
        3 * LAMPORTS_PER_SOL
    );
    // Eligible by the round's terms (1 SOL), whatever the task says now.
    f.vote(1, 0, 0, false).await.ok();
    f.vote(2, 0, 0, false).await.ok();

    f.warp_to(f.schedule.audit_end(0)).await;
    let accused_before = f.h.balance(&f.node(0)).await;
    let resolved: AuditResolved = f.resolve(0, 0, accomplice).await.event();
    assert!(!resolved.invalid, "the honest node was judged invalid");
    assert_eq!(resolved.slashed, 0);
    assert_eq!(
        (resolved.invalid_weight, resolved.valid_weight),
        (3 * LAMPORTS_PER_SOL, 2 * STAKE)
    );
    assert_eq!(
        f.h.balance(&f.node(0)).await,
        accused_before + CHALLENGE_BOND
    );
    let stake: Stake = f.h.account(&pda::stake(&task, &f.node(0))).await.unwrap();
    assert_eq!((stake.slashed_total, stake.open_audits), (0, 0));
    f.claim(0, 0).await.ok();

    // Round 1 opens under the new minimum: 2 SOL stakes no longer qualify.
    f.warp_to(f.schedule.round_start(1)).await;
    f.submit(accomplice, 1, &honest_value(1)).await.ok();
    let round: Round = f.h.account(&pda::round(&task, 1)).await.unwrap();
    assert_eq!(round.economics.min_stake, 3 * LAMPORTS_PER_SOL);
    f.submit(1, 1, &honest_value(1))
        .await
        .err(TasknetError::StakeBelowMinimum);
}

/// Hole 1, the other way: the creator lowers `min_stake` in the audit
/// window to let an under-staked friend vote in a round it could not.
#[tokio::test]
async fn lowering_min_stake_mid_round_lets_nobody_new_vote() {
    let mut f = Fixture::new(crate::BACKEND, true, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    let friend = f.add_node(LAMPORTS_PER_SOL / 2).await;
    f.submit_all(0, &[0, 1, 2], &honest_value(0)).await;
    f.warp_to(f.schedule.reveal_end(0)).await;
    f.challenge(1, 0, 0).await.ok();
    let lower = UpdateTaskArgs {
        min_stake: Some(LAMPORTS_PER_SOL / 4),
        ..Default::default()
    };
    f.creator_send(sdk::update_task(&creator, &task, lower))
        .await
        .ok();
    f.vote(friend, 0, 0, true)
        .await
        .err(TasknetError::StakeBelowMinimum);
    f.challenge(friend, 0, 2)
        .await
        .err(TasknetError::StakeBelowMinimum);
}

/// Hole 2. Anyone can send lamports to a program address before it exists;
/// none of that blocks the account (a round, a stake, an audit and the
/// challenger's vote, a task and its vault), and lamports above rent sent to
/// a pool holder (a round, the vault) join the bounty, so the ledger still
/// accounts for every lamport (the harness checks it after each step).
#[tokio::test]
async fn a_donation_cannot_block_an_address_or_break_the_ledger() {
    let mut f = Fixture::new(crate::BACKEND, true, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let task = f.task;
    let rent = f.h.rent_for(0).await;
    let extra = LAMPORTS_PER_SOL / 3;

    // A round's address, with more than a round's rent.
    let round_key = pda::round(&task, 0);
    donate(&mut f.h, &round_key, rent + extra).await;
    let bounty_before = f.task_account().await.ledger.bounty_available;
    f.warp_to(f.schedule.round_start(0)).await;
    let opened: RoundOpened = f.open_round(0, 0).await.event();
    let round_rent = f.h.rent_for(8 + Round::INIT_SPACE).await;
    let donated_above_rent = rent + extra - round_rent;
    assert_eq!(
        f.task_account().await.ledger.bounty_available,
        bounty_before + donated_above_rent - opened.pool
    );
    assert_eq!(
        f.h.balance(&round_key).await,
        round_rent + opened.pool,
        "the round holds its pool and rent, nothing else"
    );

    // A new node's stake address.
    let newcomer = f.h.funded_keypair(STAKE + LAMPORTS_PER_SOL).await;
    let stake_key = pda::stake(&task, &newcomer.pubkey());
    donate(&mut f.h, &stake_key, rent).await;
    f.h.send(
        &[sdk::stake(&newcomer.pubkey(), &task, STAKE, None)],
        &[&newcomer],
    )
    .await
    .ok();
    let stake: Stake = f.h.account(&stake_key).await.unwrap();
    assert_eq!(stake.bonded.total(), STAKE);

    f.submit(0, 0, b"a lie").await.ok();
    for i in 1..3 {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0)).await;
    f.reveal(0, 0, b"a lie").await.ok();
    f.reveal(1, 0, &honest_value(0)).await.ok();
    f.reveal(2, 0, &honest_value(0)).await.ok();

    // The audit of the liar's submission, and the challenger's vote in it.
    let audit_key = pda::audit(&pda::submission(&task, 0, &f.node(0)));
    donate(&mut f.h, &audit_key, rent).await;
    let challenger_vote = pda::vote(&audit_key, &f.node(1));
    donate(&mut f.h, &challenger_vote, rent).await;
    f.warp_to(f.schedule.reveal_end(0)).await;
    f.challenge(1, 0, 0).await.ok();
    // Another voter's vote address (votes were always safe: kept so).
    let voter_vote = pda::vote(&audit_key, &f.node(2));
    donate(&mut f.h, &voter_vote, rent).await;
    f.vote(2, 0, 0, true).await.ok();
    let audit: Audit = f.h.account(&audit_key).await.unwrap();
    assert_eq!((audit.voter_count, audit.invalid_weight), (2, 2 * STAKE));

    // A task and its vault, the vault with more than its rent.
    let creator = f.creator.insecure_clone();
    let second = pda::task(&creator.pubkey(), 2);
    let vault = pda::vault(&second);
    donate(&mut f.h, &second, rent).await;
    donate(&mut f.h, &vault, rent + extra).await;
    f.h.track(second);
    let created: TaskCreated =
        f.h.send(
            &[sdk::create_task(&creator.pubkey(), task_args(2, true))],
            &[&creator],
        )
        .await
        .event();
    assert_eq!(created.task, second);
    let vault_rent = f.h.rent_for(8 + Vault::INIT_SPACE).await;
    let created: Task = f.h.account(&second).await.unwrap();
    assert_eq!(
        created.ledger.bounty_available,
        rent + extra - vault_rent,
        "a donation to the vault joins the bounty"
    );
}

/// A task whose slashes take everything.
fn full_slash_args() -> tasknet::instructions::CreateTaskArgs {
    let mut args = task_args(1, true);
    args.economics.slash_bps = 10_000;
    args
}

/// Hole 3. Two liars are slashed to zero. An empty stake can neither
/// unstake nor withdraw; it closes instead: by its node while the task
/// runs, by anyone once the task is closed. Then the task winds down to
/// nothing: rounds, stakes, task and vault all closed.
#[tokio::test]
async fn a_stake_slashed_to_zero_closes_and_the_task_winds_down() {
    let h = Harness::new(crate::BACKEND).await;
    let mut f = Fixture::with_args(h, full_slash_args(), 5, 10 * LAMPORTS_PER_SOL, STAKE).await;
    let (creator, task) = (f.creator_key(), f.task);
    let (liar, walker) = (3, 4);
    let value = |i: usize| {
        if i < 3 {
            honest_value(0)
        } else {
            b"wrong".to_vec()
        }
    };
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..5 {
        f.submit(i, 0, &value(i)).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0)).await;
    for i in 0..5 {
        f.reveal(i, 0, &value(i)).await.ok();
    }
    f.warp_to(f.schedule.reveal_end(0)).await;
    f.challenge(0, 0, liar).await.ok();
    f.challenge(1, 0, walker).await.ok();
    for (voter, target) in [(1, liar), (2, liar), (0, walker), (2, walker)] {
        f.vote(voter, 0, target, true).await.ok();
    }
    f.warp_to(f.schedule.audit_end(0)).await;
    for (target, challenger) in [(liar, 0), (walker, 1)] {
        let resolved: AuditResolved = f.resolve(0, target, challenger).await.event();
        assert_eq!((resolved.invalid, resolved.slashed), (true, STAKE));
    }
    let (liar_key, walker_key) = (f.node(liar), f.node(walker));
    let empty: Stake = f.h.account(&pda::stake(&task, &liar_key)).await.unwrap();
    assert_eq!(empty.total(), 0);

    // Nothing to unstake or withdraw: the old dead end.
    f.node_send(liar, sdk::unstake(&liar_key, &task))
        .await
        .err(TasknetError::NothingToUnstake);
    f.node_send(liar, sdk::withdraw_stake(&liar_key, &task))
        .await
        .err(TasknetError::NotUnbonding);
    // A stake with lamports in it is withdrawn, not closed.
    let honest = f.node(0);
    f.node_send(0, sdk::close_stake(&honest, &task, &honest))
        .await
        .err(TasknetError::StakeNotEmpty);
    // Nobody else closes a stake while the task runs.
    f.node_send(0, sdk::close_stake(&honest, &task, &liar_key))
        .await
        .err(TasknetError::NotStakeOwner);
    // Its node does, and gets the rent back.
    let stake_rent = f.h.rent_for(8 + Stake::INIT_SPACE).await;
    let before = f.h.balance(&liar_key).await;
    let closed: StakeClosed = f
        .node_send(liar, sdk::close_stake(&liar_key, &task, &liar_key))
        .await
        .event();
    assert_eq!((closed.node, closed.closed_by), (liar_key, liar_key));
    assert!(!f.h.exists(&pda::stake(&task, &liar_key)).await);
    // The fee is the harness payer's: the node's balance rises by the rent.
    assert_eq!(f.h.balance(&liar_key).await, before + stake_rent);
    assert_eq!(f.task_account().await.node_count, 4);

    // The honest nodes claim; every round account closes.
    for i in 0..3 {
        f.claim(i, 0).await.ok();
    }
    f.warp_to(f.schedule.claim_deadline(0)).await;
    for (target, challenger) in [(liar, 0), (walker, 1)] {
        let (node, by) = (f.node(target), f.node(challenger));
        let audit = pda::audit(&pda::submission(&task, 0, &node));
        for voter in (0..5).map(|i| f.node(i)).collect::<Vec<_>>() {
            if f.h.exists(&pda::vote(&audit, &voter)).await {
                f.h.send(&[sdk::close_vote(&task, 0, &node, &voter)], &[])
                    .await
                    .ok();
            }
        }
        f.h.send(&[sdk::close_submission(&task, 0, &node, Some(&by))], &[])
            .await
            .ok();
    }
    f.h.send(&[sdk::close_round(&task, 0, &honest)], &[])
        .await
        .ok();

    // The creator closes the task; it keeps its accounts while stakes exist.
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(!closed.accounts_closed);
    for i in 0..3 {
        let node = f.node(i);
        f.node_send(i, sdk::unstake(&node, &task)).await.ok();
        f.node_send(i, sdk::withdraw_stake(&node, &task)).await.ok();
    }
    // The walker never came back: anyone closes its empty stake now.
    let closed: StakeClosed = f
        .node_send(0, sdk::close_stake(&honest, &task, &walker_key))
        .await
        .event();
    assert_eq!((closed.node, closed.closed_by), (walker_key, honest));
    let closed: TaskClosed = f
        .creator_send(sdk::close_task(&creator, &task))
        .await
        .event();
    assert!(closed.accounts_closed, "the task and its vault close");
    assert!(!f.h.exists(&task).await);
    assert!(!f.h.exists(&pda::vault(&task)).await);
}
