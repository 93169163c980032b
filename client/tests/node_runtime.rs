//! The node runtime end to end: several nodes, in process, each with its own
//! state database, against `tasknet localnet` over real HTTP.

use std::time::Duration;

use tasknet::logic::{bps_of, reward_share};
use tasknet_client::demo::{run_scenario, Role, Scenario, NODE_STAKE};

/// Scenarios share two cores and real-time windows: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn scenario(roles: Vec<Role>, rounds: u64) -> Scenario {
    Scenario {
        roles,
        rounds,
        slot_duration: Duration::from_millis(50),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_honest_nodes_earn_exactly_their_shares() {
    let _serial = SERIAL.lock().await;
    let report = run_scenario(&scenario(vec![Role::Honest; 3], 3))
        .await
        .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.rounds.len(), 3);
    for row in &report.rounds {
        assert_eq!(
            (row.submissions, row.revealed, row.challenges, row.invalid),
            (3, 3, 0, 0),
            "{row:?}"
        );
    }
    for node in &report.nodes {
        let expected: Vec<(u64, u64)> = report
            .rounds
            .iter()
            .map(|r| (r.round, reward_share(r.pool, 3).unwrap().share))
            .collect();
        assert_eq!(node.earnings, expected, "node {}", node.node);
        assert_eq!(node.slashed, 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liar_is_slashed_and_a_copier_gains_nothing() {
    let _serial = SERIAL.lock().await;
    let roles = vec![
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::Copier,
        Role::Liar,
    ];
    let report = run_scenario(&scenario(roles, 2)).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let slash_bps = report.economics.slash_bps;
    let first = bps_of(NODE_STAKE, slash_bps);
    let second = bps_of(NODE_STAKE - first, slash_bps);
    for row in &report.rounds {
        // Five commitments; the copier cannot reveal one that binds another
        // node's key and salt; the liar's value is challenged and voted down.
        assert_eq!(
            (row.submissions, row.revealed, row.challenges, row.invalid),
            (5, 4, 1, 1),
            "{row:?}"
        );
    }
    assert_eq!(report.rounds[0].slashed, first);
    assert_eq!(report.rounds[1].slashed, second);
    for node in &report.nodes {
        match node.role {
            Role::Honest => {
                let expected: Vec<(u64, u64)> = report
                    .rounds
                    .iter()
                    .map(|r| (r.round, reward_share(r.pool, 3).unwrap().share))
                    .collect();
                assert_eq!(node.earnings, expected);
            }
            Role::Liar => {
                assert_eq!(
                    node.slashed,
                    first + second,
                    "slashed exactly slash_bps, each round"
                );
                assert_eq!(node.earned, 0);
            }
            Role::Copier => {
                assert_eq!(
                    (node.earned, node.slashed),
                    (0, 0),
                    "no reward, and a non-reveal is not a lie"
                );
            }
        }
    }
}
