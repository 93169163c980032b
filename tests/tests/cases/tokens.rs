//! Token bounties (issue 20): a task paying in an SPL Token or Token-2022
//! mint runs the five-node lifecycle with a liar slashed (in SOL) and honest
//! nodes paid in the mint; mints the ledger could not trust are refused by
//! name; substituted token accounts are refused by name and move nothing.
//! The harness checks conservation per asset after every transaction: the
//! vault's lamports against the ledger, the bounty token account against the
//! task's token bounty, each round's pool account against its pool.

#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::Space;
use solana_signer::Signer;
use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::logic::bps_of;
use tasknet::state::*;
use tasknet_sdk::tokens::{TokenAsset, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID};
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::tokens::{Extension, MintSpec};
use tasknet_tests::*;

const STAKE: u64 = 10 * LAMPORTS_PER_SOL;
/// Ten tokens of six decimals.
const BOUNTY: u64 = 10_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn classic_token_task_lifecycle() {
    lifecycle(MintSpec::classic()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn token_2022_task_lifecycle() {
    lifecycle(MintSpec::token_2022()).await;
}

/// Five nodes, three commit–reveal rounds, a liar in round 0: every reward
/// in the mint, the slash in SOL, every token account closed at the end.
async fn lifecycle(spec: MintSpec) {
    let mut f = Fixture::tokens(crate::BACKEND, &spec, 5, BOUNTY, STAKE).await;
    let (s, task, creator) = (f.schedule, f.task, f.creator_key());
    let asset = f.asset.expect("a token task");
    let (liar, challenger) = (4, 0);
    let t = f.task_account().await;
    let reward = t.reward_token.expect("the task pays in the mint");
    assert_eq!((reward.mint, reward.decimals), (asset.mint, 6));
    assert_eq!(reward.token_program, asset.token_program);
    assert_eq!(reward.bounty_account, pda::bounty_tokens(&task));
    assert_eq!(reward.bounty, BOUNTY);
    assert_eq!(t.ledger.bounty_available, 0, "no lamport bounty");
    assert_eq!(f.h.token_balance(&asset.ata(&creator)).await, 0);

    // ---- round 0: the liar commits to a wrong value and is challenged ----
    let wrong = b"not-the-answer".to_vec();
    f.warp_to(s.round_start(0)).await;
    for i in 0..5 {
        let value = if i == liar {
            wrong.clone()
        } else {
            honest_value(0)
        };
        f.submit(i, 0, &value).await.ok();
    }
    let round0: Round = f.h.account(&pda::round(&task, 0)).await.unwrap();
    assert_eq!(round0.pool_tokens, pda::pool_tokens(&pda::round(&task, 0)));
    assert_eq!(
        f.h.token_balance(&round0.pool_tokens).await,
        REWARD_PER_ROUND
    );
    f.warp_to(s.submit_end(0)).await;
    for i in 0..5 {
        let value = if i == liar {
            wrong.clone()
        } else {
            honest_value(0)
        };
        f.reveal(i, 0, &value).await.ok();
    }
    f.warp_to(s.reveal_end(0)).await;
    f.challenge(challenger, 0, liar).await.ok();
    for voter in 1..4 {
        f.vote(voter, 0, liar, true).await.ok();
    }

    // ---- round 1: everyone honest ----
    f.submit_all(1, &[0, 1, 2, 3, 4], &honest_value(1)).await;

    // ---- round 0 settles: the slash is SOL, and stays in SOL ----
    f.warp_to(s.audit_end(0)).await;
    let resolved: AuditResolved = f.resolve(0, liar, challenger).await.event();
    let slash = bps_of(STAKE, economics().slash_bps);
    let to_challenger = bps_of(slash, economics().challenger_share_bps);
    assert!(resolved.invalid);
    assert_eq!(
        (resolved.slashed, resolved.to_challenger),
        (slash, to_challenger)
    );
    let t = f.task_account().await;
    assert_eq!(
        t.ledger.bounty_available,
        slash - to_challenger,
        "a token task keeps the slash remainder in lamports"
    );
    assert_eq!(
        t.reward_token.unwrap().bounty,
        BOUNTY - 2 * REWARD_PER_ROUND
    );

    // Honest nodes claim exactly pool / valid in the mint, each into its
    // associated token account, created by its first claim.
    let share0 = REWARD_PER_ROUND / 4;
    let submission_rent = f.h.rent_for(8 + Submission::INIT_SPACE).await;
    for i in 0..4 {
        let lamports = f.h.balance(&f.node(i)).await;
        assert!(!f.h.exists(&asset.ata(&f.node(i))).await);
        let claimed: RewardClaimed = f.claim(i, 0).await.event();
        assert_eq!(claimed.amount, share0);
        assert_eq!(f.reward_balance(&f.node(i)).await, share0);
        // Lamports: the submission's rent back, the token account's paid.
        let ata_rent = f.h.balance(&asset.ata(&f.node(i))).await;
        assert_eq!(
            f.h.balance(&f.node(i)).await,
            lamports + submission_rent - ata_rent
        );
    }
    f.claim(liar, 0).await.err(TasknetError::NotClaimable);
    assert_eq!(f.reward_balance(&f.node(liar)).await, 0);

    // ---- round 2: three nodes ----
    f.submit_all(2, &[0, 1, 2], &honest_value(2)).await;
    f.warp_to(s.audit_end(1)).await;
    let share1 = REWARD_PER_ROUND / 5;
    for i in 0..4 {
        f.claim(i, 1).await.event::<RewardClaimed>();
    }
    f.warp_to(s.audit_end(2)).await;
    let share2 = REWARD_PER_ROUND / 3;
    for i in 0..3 {
        f.claim(i, 2).await.event::<RewardClaimed>();
    }

    // ---- cranking: the liar's unclaimed round-1 share is paid into its
    // token account, created by whoever cranks ----
    f.warp_to(s.claim_deadline(2)).await;
    for voter in 0..4 {
        let ix = sdk::close_vote(&task, 0, &f.node(liar), &f.node(voter));
        f.h.send(&[ix], &[]).await.ok();
    }
    let challenger_key = f.node(challenger);
    let ix = sdk::close_submission(&task, 0, &f.node(liar), Some(&challenger_key));
    let closed: SubmissionClosed = f.h.send(&[ix], &[]).await.event();
    assert_eq!(closed.reward_paid, 0);
    let payer = f.h.payer();
    let liar_key = f.node(liar);
    let close = sdk::close_submission_in(&task, 1, &liar_key, None, Some(&asset));
    f.h.send(std::slice::from_ref(&close), &[])
        .await
        .err(TasknetError::TokenAccountMissing);
    let closed: SubmissionClosed =
        f.h.send(&[asset.create_ata(&payer, &liar_key), close], &[])
            .await
            .event();
    assert_eq!(closed.reward_paid, share1);
    assert_eq!(f.reward_balance(&liar_key).await, share1);

    // ---- rounds close: the dust returns to the token bounty; each pool
    // account closes, its rent to the round's opener ----
    let opener_before = f.h.balance(&f.node(0)).await;
    let round_rent = f.h.rent_for(8 + Round::INIT_SPACE).await;
    let pool_rent = f.h.rent_for(165).await;
    let mut returned = 0;
    for round in 0..3 {
        let ix = sdk::close_round_in(&task, round, &f.node(0), Some(&asset));
        let closed: RoundClosed = f.h.send(&[ix], &[]).await.event();
        returned += closed.returned_to_bounty;
        let pool = pda::pool_tokens(&pda::round(&task, round));
        assert!(
            !f.h.exists(&pool).await,
            "round {round}'s pool account is left"
        );
    }
    let dust = (REWARD_PER_ROUND - 4 * share0)
        + (REWARD_PER_ROUND - 5 * share1)
        + (REWARD_PER_ROUND - 3 * share2);
    assert_eq!(returned, dust);
    assert_eq!(
        f.h.balance(&f.node(0)).await,
        opener_before + 3 * (round_rent + pool_rent)
    );
    let t = f.task_account().await;
    let bounty_left = BOUNTY - 3 * REWARD_PER_ROUND + dust;
    assert_eq!(t.reward_token.unwrap().bounty, bounty_left);
    assert_eq!(t.total_paid, 4 * share0 + 5 * share1 + 3 * share2);

    // ---- the creator pauses, withdraws some tokens and closes ----
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    let withdraw = sdk::withdraw_bounty_in(&creator, &task, bounty_left + 1, Some(&asset));
    f.creator_send(withdraw)
        .await
        .err(TasknetError::InsufficientBounty);
    let withdraw = sdk::withdraw_bounty_in(&creator, &task, 1_000, Some(&asset));
    f.creator_send(withdraw).await.event::<BountyWithdrawn>();
    assert_eq!(f.reward_balance(&creator).await, 1_000);
    let creator_lamports = f.h.balance(&creator).await;
    let closed: TaskClosed = f
        .creator_send(sdk::close_task_in(&creator, &task, Some(&asset)))
        .await
        .event();
    assert_eq!(closed.bounty_returned, bounty_left - 1_000);
    assert!(!closed.accounts_closed, "nodes are still staked");
    assert_eq!(f.reward_balance(&creator).await, bounty_left);
    assert_eq!(
        f.h.balance(&creator).await,
        creator_lamports + slash - to_challenger,
        "the lamport bounty (the slash remainder) returns to the creator"
    );
    for i in 0..5 {
        f.node_send(i, sdk::unstake(&f.node(i), &task)).await.ok();
        f.node_send(i, sdk::withdraw_stake(&f.node(i), &task))
            .await
            .ok();
    }
    let bounty_account = pda::bounty_tokens(&task);
    let rents = f.h.balance(&bounty_account).await
        + f.h.balance(&pda::vault(&task)).await
        + f.h.balance(&task).await;
    let creator_lamports = f.h.balance(&creator).await;
    let closed: TaskClosed = f
        .creator_send(sdk::close_task_in(&creator, &task, Some(&asset)))
        .await
        .event();
    assert!(closed.accounts_closed);
    assert!(
        !f.h.exists(&bounty_account).await,
        "the bounty account is left"
    );
    assert!(!f.h.exists(&task).await && !f.h.exists(&pda::vault(&task)).await);
    assert_eq!(f.h.balance(&creator).await, creator_lamports + rents);

    // Every token is somewhere it belongs: paid to a node or back with the
    // creator.
    let mut held = f.reward_balance(&creator).await;
    for i in 0..5 {
        held += f.reward_balance(&f.node(i)).await;
    }
    assert_eq!(held, BOUNTY);
}

/// A token task whose `create_task` is sent with `asset`'s accounts.
async fn try_create(h: &mut Harness, asset: &TokenAsset, accept_freeze: bool) -> (Pubkey, Sent) {
    let creator = h.funded_keypair(10 * LAMPORTS_PER_SOL).await;
    let args = tasknet::instructions::CreateTaskArgs {
        accept_freeze_authority: accept_freeze,
        ..task_args(1, true)
    };
    let task = pda::task(&creator.pubkey(), 1);
    let ix = sdk::create_task_in(&creator.pubkey(), args, Some(asset));
    let sent = h.send(&[ix], &[&creator]).await;
    (task, sent)
}

#[tokio::test]
async fn mints_that_could_move_freeze_or_shrink_the_tasks_tokens_are_refused() {
    let mut h = Harness::new(crate::BACKEND).await;
    let refused = [
        (Extension::TransferHook, TasknetError::MintHasTransferHook),
        (
            Extension::PermanentDelegate,
            TasknetError::MintHasPermanentDelegate,
        ),
        (
            Extension::NonTransferable,
            TasknetError::MintNonTransferable,
        ),
        (Extension::DefaultFrozen, TasknetError::MintDefaultFrozen),
        (
            Extension::ConfidentialTransfers,
            TasknetError::MintHasConfidentialTransfers,
        ),
        (Extension::TransferFee, TasknetError::MintHasTransferFee),
    ];
    for (extension, error) in refused {
        let asset = h.create_mint(&MintSpec::with(extension)).await;
        // Refused even when the creator accepts a freeze authority.
        let (task, sent) = try_create(&mut h, &asset, true).await;
        sent.err(error);
        assert!(!h.exists(&task).await, "{extension:?}: the task exists");
        assert!(!h.exists(&pda::bounty_tokens(&task)).await);
    }

    // A freeze authority only when the creator accepts it.
    for token_2022 in [false, true] {
        let spec = MintSpec {
            token_2022,
            extensions: Vec::new(),
            freeze_authority: true,
        };
        let asset = h.create_mint(&spec).await;
        let (task, sent) = try_create(&mut h, &asset, false).await;
        sent.err(TasknetError::MintFreezeAuthorityNotAccepted);
        assert!(!h.exists(&task).await);
        let (task, sent) = try_create(&mut h, &asset, true).await;
        sent.event::<TaskCreated>();
        h.track(task);
        let t: Task = h.account(&task).await.unwrap();
        assert!(t.reward_token.unwrap().freeze_authority_accepted);
    }
}

#[tokio::test]
async fn a_mint_that_cannot_be_read_or_a_foreign_token_program_is_refused() {
    let mut h = Harness::new(crate::BACKEND).await;
    let asset = h.create_mint(&MintSpec::classic()).await;
    let holder = h.payer();
    let token_account = h.mint_to(&asset, &holder, 1).await;

    // A token account is owned by the token program but is not a mint.
    let not_a_mint = TokenAsset::new(token_account, TOKEN_PROGRAM_ID);
    let (task, sent) = try_create(&mut h, &not_a_mint, false).await;
    sent.err(TasknetError::MintUnreadable);
    assert!(!h.exists(&task).await);

    // The system program as the token program; Token-2022 for a Token mint.
    for program in [anchor_lang::system_program::ID, TOKEN_2022_PROGRAM_ID] {
        let foreign = TokenAsset::new(asset.mint, program);
        let (task, sent) = try_create(&mut h, &foreign, false).await;
        sent.err(TasknetError::WrongTokenProgram);
        assert!(!h.exists(&task).await);
    }
}

/// Balances an attack must leave as they were: every token account in play
/// and the lamports of the task's vault.
async fn balances(h: &mut Harness, task: &Pubkey, accounts: &[Pubkey]) -> Vec<u64> {
    let mut all = vec![h.balance(&pda::vault(task)).await];
    for account in accounts {
        all.push(h.token_balance(account).await);
    }
    all
}

#[tokio::test]
async fn substituted_token_accounts_are_refused_and_move_nothing() {
    let mut f = Fixture::tokens(crate::BACKEND, &MintSpec::token_2022(), 3, BOUNTY, STAKE).await;
    let (task, asset, s) = (f.task, f.asset.unwrap(), f.schedule);
    // A second task on the same mint, and a mint of another program.
    let other_creator = f.h.funded_keypair(10 * LAMPORTS_PER_SOL).await;
    let other_task = pda::task(&other_creator.pubkey(), 1);
    let ix = sdk::create_task_in(&other_creator.pubkey(), task_args(1, true), Some(&asset));
    f.h.send(&[ix], &[&other_creator]).await.ok();
    f.h.track(other_task);
    let other_mint = f.h.create_mint(&MintSpec::classic()).await;
    let stranger = f.h.funded_keypair(LAMPORTS_PER_SOL).await.pubkey();
    let strangers_ata = f.h.mint_to(&asset, &stranger, 0).await;

    f.submit_all(0, &[0, 1, 2], &honest_value(0)).await;
    f.warp_to(s.audit_end(0)).await;
    let node = f.node(0);
    f.h.mint_to(&asset, &node, 0).await;
    let pool = pda::pool_tokens(&pda::round(&task, 0));
    let watched = [
        pool,
        pda::bounty_tokens(&task),
        pda::bounty_tokens(&other_task),
        asset.ata(&node),
        strangers_ata,
    ];
    let before = balances(&mut f.h, &task, &watched).await;
    let claim = sdk::claim_in(&node, &task, 0, Some(&asset));

    // Another task's bounty account as the round's pool.
    let ix = swap_account(claim.clone(), &pool, &pda::bounty_tokens(&other_task));
    f.node_send(0, ix)
        .await
        .err(TasknetError::WrongTokenAccount);
    // Paying into a token account of someone else (the stranger's ATA).
    let ix = swap_account(claim.clone(), &asset.ata(&node), &strangers_ata);
    f.node_send(0, ix).await.err(TasknetError::WrongTokenOwner);
    // Another mint, and the other token program.
    let ix = swap_account(claim.clone(), &asset.mint, &other_mint.mint);
    f.node_send(0, ix).await.err(TasknetError::WrongMint);
    let ix = swap_account(claim.clone(), &TOKEN_2022_PROGRAM_ID, &TOKEN_PROGRAM_ID);
    f.node_send(0, ix)
        .await
        .err(TasknetError::WrongTokenProgram);
    // A token round claimed as if it paid lamports.
    f.node_send(0, sdk::claim(&node, &task, 0))
        .await
        .err(TasknetError::TokenAccountsRequired);
    assert_eq!(balances(&mut f.h, &task, &watched).await, before);
    f.claim(0, 0).await.event::<RewardClaimed>();

    // Funding or opening through another task's bounty account.
    let creator = f.creator_key();
    f.h.mint_to(&asset, &creator, 5).await;
    let before = balances(&mut f.h, &task, &watched).await;
    let fund = sdk::fund_task_in(&creator, &task, 5, Some(&asset));
    let ix = swap_account(
        fund,
        &pda::bounty_tokens(&task),
        &pda::bounty_tokens(&other_task),
    );
    f.creator_send(ix)
        .await
        .err(TasknetError::WrongTokenAccount);
    f.warp_to(s.round_start(1)).await;
    let open = sdk::open_round_in(&node, &task, 1, Some(&asset));
    let ix = swap_account(
        open,
        &pda::bounty_tokens(&task),
        &pda::bounty_tokens(&other_task),
    );
    f.node_send(0, ix)
        .await
        .err(TasknetError::WrongTokenAccount);
    // A token task's round opened as if it paid lamports.
    f.node_send(0, sdk::open_round(&node, &task, 1))
        .await
        .err(TasknetError::TokenAccountsRequired);
    assert_eq!(balances(&mut f.h, &task, &watched).await, before);

    // The creator's withdrawal into a token account that is not theirs.
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    let withdraw = sdk::withdraw_bounty_in(&creator, &task, 1, Some(&asset));
    let ix = swap_account(withdraw, &asset.ata(&creator), &strangers_ata);
    f.creator_send(ix).await.err(TasknetError::WrongTokenOwner);
    assert_eq!(balances(&mut f.h, &task, &watched).await, before);
}

#[tokio::test]
async fn a_sol_task_refuses_token_accounts() {
    let mut f = Fixture::new(crate::BACKEND, true, 1, LAMPORTS_PER_SOL, STAKE).await;
    let asset = f.h.create_mint(&MintSpec::classic()).await;
    let creator = f.creator_key();
    f.h.mint_to(&asset, &creator, 5).await;
    let vault = f.h.balance(&pda::vault(&f.task)).await;
    // A SOL task has no bounty token account: any token account in its
    // place is refused.
    let elsewhere = f.h.mint_to(&asset, &f.node(0), 0).await;
    let fund = sdk::fund_task_in(&creator, &f.task, 5, Some(&asset));
    let ix = swap_account(fund, &pda::bounty_tokens(&f.task), &elsewhere);
    f.creator_send(ix).await.err(TasknetError::NotATokenTask);
    assert_eq!(f.h.balance(&pda::vault(&f.task)).await, vault);
    assert_eq!(f.h.token_balance(&asset.ata(&creator)).await, 5);
}

/// The mint authority (here the creator's accomplice) mints straight into
/// the task's bounty account and into a round's pool: the ledger does not
/// move, nobody can take out more than it records, and the extra tokens
/// join the bounty at the next `fund_task`, `open_round` or `close_round`
/// (as lamports sent to an address before it exists do), and go back to
/// the creator when the task closes.
#[tokio::test]
async fn tokens_minted_into_the_vault_join_the_bounty_and_pay_no_one_more() {
    let mut f = Fixture::tokens(crate::BACKEND, &MintSpec::classic(), 2, BOUNTY, STAKE).await;
    let (task, asset, s, creator) = (f.task, f.asset.unwrap(), f.schedule, f.creator_key());
    let bounty_account = pda::bounty_tokens(&task);
    f.submit_all(0, &[0, 1], &honest_value(0)).await;

    f.h.untrack(&task);
    f.h.mint_into(&asset, &bounty_account, None, 7_000_000)
        .await;
    let pool = pda::pool_tokens(&pda::round(&task, 0));
    f.h.mint_into(&asset, &pool, None, 500).await;
    f.creator_send(sdk::pause_task(&creator, &task)).await.ok();
    // The ledger says BOUNTY − one round: asking for the minted tokens too
    // is refused, and nothing moves.
    let recorded = BOUNTY - REWARD_PER_ROUND;
    let watched = [bounty_account, pool, asset.ata(&creator)];
    let before = balances(&mut f.h, &task, &watched).await;
    let ix = sdk::withdraw_bounty_in(&creator, &task, recorded + 1, Some(&asset));
    f.creator_send(ix)
        .await
        .err(TasknetError::InsufficientBounty);
    assert_eq!(balances(&mut f.h, &task, &watched).await, before);
    // Claims pay exactly the share, whatever the pool account holds.
    f.warp_to(s.audit_end(0)).await;
    let claimed: RewardClaimed = f.claim(0, 0).await.event();
    assert_eq!(claimed.amount, REWARD_PER_ROUND / 2);

    // Funding sweeps the extra into the bounty: its account and the task
    // agree again.
    f.h.mint_to(&asset, &creator, 1).await;
    f.creator_send(sdk::fund_task_in(&creator, &task, 1, Some(&asset)))
        .await
        .ok();
    let t = f.task_account().await;
    assert_eq!(t.reward_token.unwrap().bounty, recorded + 7_000_000 + 1);
    assert_eq!(
        f.h.token_balance(&bounty_account).await,
        t.reward_token.unwrap().bounty
    );
    // Closing the round returns the pool's extra with its dust; from then
    // on every account holds exactly what the ledger says.
    f.claim(1, 0).await.ok();
    f.warp_to(s.claim_deadline(0)).await;
    let opener = f.node(0);
    let ix = sdk::close_round_in(&task, 0, &opener, Some(&asset));
    let closed: RoundClosed = f.h.send(&[ix], &[]).await.event();
    assert_eq!(closed.returned_to_bounty, REWARD_PER_ROUND % 2 + 500);
    f.h.track(task);
    f.h.check_conservation().await;
    let close = sdk::close_task_in(&creator, &task, Some(&asset));
    let closed: TaskClosed = f.creator_send(close).await.event();
    assert_eq!(
        closed.bounty_returned,
        recorded + 7_000_000 + 1 + REWARD_PER_ROUND % 2 + 500
    );
}
