//! Lamports sent to a program address before its account exists block
//! nothing, on whatever cluster the suite runs on (an embedded chain, or
//! `solana-test-validator` 4.2.2 under `anchor test`, whose runtime knows
//! `CreateAccountAllowPrefund` while agave 3.1's does not): a task and its
//! vault, a node's stake, a round, an audit and the challenger's vote are
//! created over donations, and lamports a pool holder's address held above
//! rent join the bounty. The program's own tests check the same on both
//! in-process runtimes (`tests/tests/cases/attacks.rs`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::Space;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::Schedule;
use tasknet::state::{Audit, Round, Stake, Task, Vault};
use tasknet_sdk::chain::ChainClient;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::{schedule_from, task_args, wait_for_slot, TestCluster, SOL};

/// Sends `lamports` to `address`, as anyone may.
async fn donate(chain: &ChainClient, donor: &Keypair, address: &Pubkey, lamports: u64) {
    let ix = system_instruction::transfer(&donor.pubkey(), address, lamports);
    chain.send(&[ix], donor, &[]).await.unwrap();
}

async fn rent(chain: &ChainClient, data_len: usize) -> u64 {
    chain
        .rpc()
        .get_minimum_balance_for_rent_exemption(data_len)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn donated_addresses_block_nothing_and_join_the_bounty() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let donor = cluster.funded(10 * SOL).await;
    let creator = cluster.funded(10 * SOL).await;
    let (honest, liar) = (
        cluster.funded(10 * SOL).await,
        cluster.funded(10 * SOL).await,
    );
    let (empty_rent, extra) = (rent(chain, 0).await, SOL / 3);

    // A plain task whose round 0 starts once both stakes are in.
    let start_slot = chain.slot().await.unwrap() + 80;
    let schedule = Schedule {
        reveal_slots: 0,
        ..schedule_from(start_slot)
    };
    let args = task_args(1, [7; 32], schedule);
    let task = pda::task(&creator.pubkey(), 1);
    donate(chain, &donor, &task, empty_rent).await;
    donate(chain, &donor, &pda::vault(&task), empty_rent + extra).await;
    chain.create_task(&creator, args, 0).await.unwrap();
    let vault_rent = rent(chain, 8 + Vault::INIT_SPACE).await;
    let created: Task = chain.account(&task).await.unwrap().unwrap();
    assert_eq!(
        created.ledger.bounty_available,
        empty_rent + extra - vault_rent
    );

    for node in [&honest, &liar] {
        donate(
            chain,
            &donor,
            &pda::stake(&task, &node.pubkey()),
            empty_rent,
        )
        .await;
        let ix = sdk::stake(&node.pubkey(), &task, SOL, None);
        chain.send(&[ix], node, &[]).await.unwrap();
        let stake: Stake = chain
            .account(&pda::stake(&task, &node.pubkey()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stake.bonded.total(), SOL);
    }

    // Round 0's address, with more than a round's rent.
    let round_key = pda::round(&task, 0);
    donate(chain, &donor, &round_key, empty_rent + extra).await;
    wait_for_slot(chain, schedule.round_start(0)).await;
    for (node, value) in [(&honest, b"right".to_vec()), (&liar, b"wrong".to_vec())] {
        let payload = SubmissionPayload::Value(value);
        let ix = sdk::submit_opening(&node.pubkey(), &task, 0, payload, false);
        chain.send(&ix, node, &[]).await.unwrap();
    }
    let round: Round = chain.account(&round_key).await.unwrap().unwrap();
    let round_rent = rent(chain, 8 + Round::INIT_SPACE).await;
    assert_eq!(
        chain.balance(&round_key).await.unwrap(),
        round_rent + round.reward_pool,
        "the round holds its rent and pool, the donation went to the bounty"
    );
    let task_now: Task = chain.account(&task).await.unwrap().unwrap();
    assert_eq!(
        task_now.ledger.bounty_available,
        empty_rent + extra - vault_rent + (empty_rent + extra - round_rent) - round.reward_pool
    );

    // The liar's audit and the challenger's vote.
    let audit = pda::audit(&pda::submission(&task, 0, &liar.pubkey()));
    donate(chain, &donor, &audit, empty_rent).await;
    donate(
        chain,
        &donor,
        &pda::vote(&audit, &honest.pubkey()),
        empty_rent,
    )
    .await;
    wait_for_slot(chain, schedule.reveal_end(0)).await;
    let ix = sdk::challenge(&honest.pubkey(), &task, 0, &liar.pubkey());
    chain.send(&[ix], &honest, &[]).await.unwrap();
    let opened: Audit = chain.account(&audit).await.unwrap().unwrap();
    assert_eq!(
        (opened.challenger, opened.invalid_weight),
        (honest.pubkey(), SOL)
    );
    let vault_balance = chain.balance(&pda::vault(&task)).await.unwrap();
    let ledger = chain.account::<Task>(&task).await.unwrap().unwrap().ledger;
    assert_eq!(Some(vault_balance - vault_rent), ledger.total());
    cluster.stop().await;
}
