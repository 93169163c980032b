//! The node runtime end to end: honest nodes and adversaries, in process,
//! each with its own state database and payload server, against a real
//! chain over real HTTP (the validator under `anchor test`, else embedded).

use tasknet::logic::{bps_of, reward_share};
use tasknet_demo::{run_scenario, ClusterChoice, Role, Scenario, NODE_STAKE};
use tasknet_testkit::SLOT;

/// Scenarios share two cores and real-time windows: run them one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn scenario(roles: Vec<Role>, rounds: u64) -> Scenario {
    Scenario {
        roles,
        rounds,
        slot_duration: SLOT,
        cluster: ClusterChoice::FromEnv,
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        token: false,
        verifier: false,
    }
}

/// A proof-of-work task decided by the example verifier program: the liar
/// (and the copier, whose copied nonce is not its own work) are slashed in
/// the challenge's own transaction, with no vote; the honest are paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_verifier_task_cheats_are_slashed_without_a_vote() {
    let _serial = SERIAL.lock().await;
    let roles = vec![Role::Honest, Role::Honest, Role::Honest, Role::Liar];
    let report = run_scenario(&Scenario {
        verifier: true,
        ..scenario(roles, 2)
    })
    .await
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    for row in &report.rounds {
        assert_eq!(
            (row.submissions, row.challenges, row.invalid),
            (4, 1, 1),
            "{row:?}"
        );
        assert_eq!(row.votes, 0, "a verifier decided it: {row:?}");
        assert!(row.slashed > 0, "{row:?}");
    }
    let liar = report.nodes.iter().find(|n| n.role == Role::Liar).unwrap();
    assert!(liar.slashed > 0 && liar.rounds_paid == 0, "{liar:?}");
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
            Role::Withholder | Role::Tamperer => unreachable!("not in this scenario"),
        }
    }
}

/// Sampled audits: each node audits one other submission, yet the liar's
/// one assigned auditor challenges it, every eligible node votes, and it is
/// slashed while every honest node is paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_audit_per_node_a_liar_is_still_caught() {
    let _serial = SERIAL.lock().await;
    let mut roles = vec![Role::Honest; 6];
    roles.push(Role::Liar);
    let report = run_scenario(&Scenario {
        audits_per_round: 1,
        ..scenario(roles, 1)
    })
    .await
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let row = &report.rounds[0];
    assert_eq!(
        (row.submissions, row.revealed, row.challenges, row.invalid),
        (7, 7, 1, 1),
        "{row:?}"
    );
    for node in &report.nodes {
        // Its one sampled submission, plus the liar's if that was not it:
        // a challenged submission is checked by every voter.
        assert!(
            (1..=2).contains(&node.audits_run),
            "{} audited {} payloads, not a sample of one",
            node.node,
            node.audits_run
        );
        match node.role {
            Role::Honest => assert_eq!(
                node.earnings,
                vec![(0, reward_share(row.pool, 6).unwrap().share)]
            ),
            _ => assert_eq!(
                (node.earned, node.slashed),
                (0, bps_of(NODE_STAKE, report.economics.slash_bps))
            ),
        }
    }
}

/// Payloads travel over real HTTP between node runtimes: good payloads pass
/// audit; a withheld or tampered one is challenged and slashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_tampered_payloads_are_challenged() {
    let _serial = SERIAL.lock().await;
    let roles = vec![
        Role::Honest,
        Role::Honest,
        Role::Honest,
        Role::Withholder,
        Role::Tamperer,
    ];
    let report = run_scenario(&scenario(roles, 1)).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let row = &report.rounds[0];
    assert_eq!(
        (row.submissions, row.revealed, row.challenges, row.invalid),
        (5, 5, 2, 2),
        "{row:?}"
    );
    let first = bps_of(NODE_STAKE, report.economics.slash_bps);
    for node in &report.nodes {
        match node.role {
            Role::Honest => assert_eq!(
                node.earnings,
                vec![(0, reward_share(row.pool, 3).unwrap().share)]
            ),
            _ => assert_eq!((node.slashed, node.earned), (first, 0), "{:?}", node.role),
        }
    }
}
