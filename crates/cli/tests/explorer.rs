//! What the task explorer reads over a live round, paged as a person pages
//! through it: 150 staked nodes that all submitted to round 0, listed 100
//! to a page by stake with each node's submission, and the round's
//! submissions in submission order, 100 to a page. The browser test
//! (`pages.rs`) shows the pages; this one checks what they read, on the
//! embedded chain or the validator in `ANCHOR_PROVIDER_URL`.

use std::time::Duration;

use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet::instructions::SubmissionPayload;
use tasknet_cli::commands::explore::Explorer;
use tasknet_sdk as sdk;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_testkit::{fund_each, open_plain_task, send_for_each, wait_for_slot, TestCluster, SOL};

const NODES: usize = 150;
/// What node `i` stakes: more for each, so the list's order is known.
fn stake_of(i: usize) -> u64 {
    1_000 + i as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_pages_through_a_round_of_150_nodes() {
    let cluster = TestCluster::start().await;
    let chain = &cluster.chain;
    let creator = cluster.funded(10 * SOL).await;
    let nodes: Vec<Keypair> = (0..NODES).map(|_| Keypair::new()).collect();
    fund_each(chain, &creator, &nodes, SOL / 50).await;

    // Stakes placed before the task starts count in round 0; 10 s of
    // slots is ample for 38 transactions sent 16 at a time.
    let start = chain.slot().await.unwrap() + slots_in(&cluster, Duration::from_secs(10));
    let task = chain
        .create_task(&creator, open_plain_task(1, start), SOL)
        .await
        .unwrap();
    send_for_each(chain, &nodes, 4, |i, node| {
        sdk::stake(
            node,
            &task,
            stake_of(i),
            Some(format!("http://10.0.0.{i}:9000")),
        )
    })
    .await;
    assert!(
        chain.slot().await.unwrap() < start,
        "staking ran past the start"
    );
    wait_for_slot(chain, start).await;
    chain
        .send(
            &[sdk::open_round(&creator.pubkey(), &task, 0)],
            &creator,
            &[],
        )
        .await
        .unwrap();
    send_for_each(chain, &nodes, 4, |i, node| {
        sdk::submit(node, &task, 0, SubmissionPayload::Value(vec![i as u8]))
    })
    .await;

    let explorer = Explorer::new(ChainClient::new(cluster.url(), SendConfig::default()));
    let addr = explorer
        .serve("127.0.0.1:0".parse().unwrap(), "/".into())
        .await
        .unwrap();
    let get = |path: String| async move {
        let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.text().await.unwrap()
    };

    // Nodes: largest stake first, 100 and then 50, each with its
    // submission to round 0 linked.
    let first = get(format!("/task/{task}")).await;
    let second = get(format!("/task/{task}?page=1")).await;
    let listed: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|p| listed_nodes(p))
        .collect();
    let by_stake: Vec<String> = (0..NODES)
        .rev()
        .map(|i| nodes[i].pubkey().to_string())
        .collect();
    assert_eq!(listed, by_stake, "every node once, largest stake first");
    assert!(first.contains("page 1 of 2") && second.contains("page 2 of 2"));
    let round_link = format!("href=\"/task/{task}/round/0\"");
    let records = |page: &str| nodes_section(page).matches(&round_link).count();
    assert_eq!(records(&first), 100, "each node's round 0 record");
    assert_eq!(records(&second), 50);
    assert_eq!(nodes_section(&first).matches(" Revealed").count(), 100);

    // Submissions: in submission order, 100 and then 50.
    let first = get(format!("/task/{task}/round/0")).await;
    let second = get(format!("/task/{task}/round/0?page=1")).await;
    let indexes: Vec<u32> = [&first, &second]
        .iter()
        .flat_map(|p| submission_indexes(p))
        .collect();
    assert_eq!(indexes, (0..NODES as u32).collect::<Vec<_>>());
    assert!(first.contains("page 1 of 2") && second.contains("page 2 of 2"));
    // A page past the end shows the last one.
    let past = get(format!("/task/{task}/round/0?page=9")).await;
    assert_eq!(
        submission_indexes(&past),
        (100..NODES as u32).collect::<Vec<_>>()
    );
    cluster.stop().await;
}

fn slots_in(cluster: &TestCluster, wall: Duration) -> u64 {
    (wall.as_millis() / cluster.net.slot_duration().as_millis().max(1)) as u64
}

/// A task page's list of staked nodes.
fn nodes_section(page: &str) -> &str {
    let start = page.find("<section class=\"nodes\">").expect("a node list");
    &page[start..]
}

/// The nodes a task page lists, in order.
fn listed_nodes(page: &str) -> Vec<String> {
    page.split("<tr data-node=\"")
        .skip(1)
        .map(|row| row[..row.find('"').unwrap()].to_string())
        .collect()
}

/// The submission indexes a round page lists, in order.
fn submission_indexes(page: &str) -> Vec<u32> {
    page.split("<tr><td class=\"num\">")
        .skip(1)
        .filter_map(|row| row[..row.find('<').unwrap()].parse().ok())
        .collect()
}
