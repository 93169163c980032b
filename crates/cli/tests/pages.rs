//! The operator's dashboard and the task explorer in a real browser:
//! a short demo scenario (honest nodes and a liar) on the embedded chain —
//! or the validator under `anchor test` — then headless Chromium opens each
//! node's dashboard and the task's explorer page, and the test asserts on
//! what a person sees there against what the chain paid. Screenshots are
//! kept in `target/tmp/pages/`.
//!
//! Chromium comes from `tools/browser/chromium.sh` (Debian's package,
//! installed on first use where apt-get may run); where it can be neither
//! found nor installed, the test says so and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use anchor_lang::prelude::Pubkey;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_cli::commands::explore::Explorer;
use tasknet_demo::{
    run_scenario_then, ClusterChoice, DemoReport, Role, Scenario, Served, NODE_STAKE,
};
use tasknet_pages::format::Unit;
use tasknet_sdk::chain::{ChainClient, SendConfig};

/// An endpoint that would run script if a page put it in as markup.
const INJECTION: &str = "\"><img src=x onerror=alert(1)><script>document.title='pwned'</script>";

struct Browser {
    path: PathBuf,
    profile: tempfile::TempDir,
}

impl Browser {
    /// The machine's Chromium, installed if need be; `None` (with the
    /// reason printed) where that cannot be.
    fn find() -> Option<Self> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/browser/chromium.sh");
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .expect("run chromium.sh");
        if output.status.code() == Some(3) {
            eprintln!(
                "SKIPPED: no browser for the page tests: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            return None;
        }
        assert!(
            output.status.success(),
            "chromium.sh: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let path = String::from_utf8_lossy(&output.stdout).trim().to_string();
        Some(Self {
            path: path.into(),
            profile: tempfile::tempdir().unwrap(),
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.path);
        command.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            // Lets the page's script run (and nothing wait for real time).
            "--virtual-time-budget=1500",
        ]);
        command.arg(format!("--user-data-dir={}", self.profile.path().display()));
        command
    }

    /// The page's DOM after its scripts ran, as Chromium serializes it.
    fn dom(&self, url: &str) -> String {
        let output = self.command().arg("--dump-dom").arg(url).output().unwrap();
        assert!(
            output.status.success(),
            "chromium --dump-dom {url}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A screenshot of the page at a desktop or phone width.
    fn screenshot(&self, url: &str, file: &Path, (width, height): (u32, u32)) {
        let output = self
            .command()
            .arg(format!("--screenshot={}", file.display()))
            .arg(format!("--window-size={width},{height}"))
            .arg(url)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "chromium --screenshot {url}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            std::fs::metadata(file)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "{} is a real image",
            file.display()
        );
    }
}

/// The part of `dom` from `start` to the next `end`.
fn between<'a>(dom: &'a str, start: &str, end: &str) -> &'a str {
    let from = dom
        .find(start)
        .unwrap_or_else(|| panic!("{start} not on the page"));
    let rest = &dom[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

fn artefacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pages");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A task of its own (the demo's is paused once played) with one node
/// staked whose endpoint is an HTML/JS injection: (task, node).
async fn task_with_injection(served: &Served) -> (Pubkey, Pubkey) {
    let chain = ChainClient::new(&served.url, SendConfig::fast_polling());
    let (creator, node) = (Keypair::new(), Keypair::new());
    for key in [&creator, &node] {
        chain.airdrop(&key.pubkey(), 5 * NODE_STAKE).await.unwrap();
    }
    let slot = chain.slot().await.unwrap();
    let args = tasknet_testkit::task_args(7, [7; 32], tasknet_testkit::schedule_from(slot + 1000));
    let task = chain.create_task(&creator, args, NODE_STAKE).await.unwrap();
    let ix = tasknet_sdk::stake(&node.pubkey(), &task, NODE_STAKE, Some(INJECTION.into()));
    chain.send(&[ix], &node, &[]).await.unwrap();
    (task, node.pubkey())
}

/// What the browser saw, checked after the chain stopped.
struct Seen {
    dashboards: Vec<(Role, String, String)>,
    explorer: String,
    /// The explorer's page of the task with the injected endpoint.
    injected_page: String,
    injected: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_and_explorer_show_what_the_chain_paid() {
    let Some(browser) = Browser::find() else {
        return;
    };
    let scenario = Scenario {
        roles: vec![Role::Honest, Role::Honest, Role::Honest, Role::Liar],
        rounds: 2,
        slot_duration: tasknet_testkit::SLOT,
        cluster: ClusterChoice::FromEnv,
        audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        token: false,
        verifier: false,
    };
    let browser = std::sync::Arc::new(browser);
    let eyes = browser.clone();
    let (report, seen) = run_scenario_then(
        &scenario,
        async move |_report: &DemoReport, served: Served| {
            let (injected_task, injected) = task_with_injection(&served).await;
            let chain = ChainClient::new(&served.url, SendConfig::fast_polling());
            let explorer = Explorer::new(chain);
            let start = format!("/task/{}", served.task);
            let addr = explorer
                .serve("127.0.0.1:0".parse().unwrap(), start.clone())
                .await
                .unwrap();
            let dir = artefacts();
            tokio::task::spawn_blocking(move || {
                let mut dashboards = Vec::new();
                for (role, node, endpoint) in &served.dashboards {
                    let url = format!("{endpoint}/");
                    dashboards.push((*role, node.to_string(), eyes.dom(&url)));
                    if matches!(role, Role::Honest | Role::Liar) {
                        let file = dir.join(format!("dashboard-{}.png", role.name()));
                        eyes.screenshot(&url, &file, (1280, 1800));
                    }
                }
                let explorer_url = format!("http://{addr}{start}");
                let explorer = eyes.dom(&explorer_url);
                let injected_page = eyes.dom(&format!("http://{addr}/task/{injected_task}"));
                eyes.screenshot(&explorer_url, &dir.join("explorer.png"), (1280, 1800));
                eyes.screenshot(&explorer_url, &dir.join("explorer-phone.png"), (390, 1400));
                // `/` leads to the task's page.
                let home = eyes.dom(&format!("http://{addr}/"));
                assert!(home.contains(&served.task.to_string()), "{home}");
                Seen {
                    dashboards,
                    explorer,
                    injected_page,
                    injected: injected.to_string(),
                }
            })
            .await
            .unwrap()
        },
    )
    .await
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let played = report.rounds.len();
    let sol = Unit::sol();

    for (role, node, dom) in &seen.dashboards {
        let row = report
            .nodes
            .iter()
            .find(|n| n.node.to_string() == *node)
            .unwrap();
        assert!(dom.contains("<title>tasknet node</title>"), "{dom}");
        // A row per round the node took part in, newest first.
        let rows = dom.matches("<tr data-round=").count();
        assert!(
            rows >= played,
            "{role:?}: {rows} rows for {played} rounds: {dom}"
        );
        // The earnings chart: one dot per round played.
        let chart = between(dom, "data-chart=\"earnings\"", "</figure>");
        assert_eq!(
            chart.matches("<circle").count(),
            played,
            "{role:?}: {chart}"
        );
        assert!(
            chart.contains(&format!("data-points=\"{played}\"")),
            "{chart}"
        );
        // What it earned, as the chain paid it.
        let earned = between(dom, "<span class=\"earned-total\">", "</span>");
        assert!(
            earned.ends_with(&sol.with_symbol(row.earned)),
            "{role:?}: {earned} vs {}",
            row.earned
        );
        let slashed = between(dom, "<span class=\"slashed-total", "</span>");
        match role {
            Role::Liar => {
                assert!(row.slashed > 0);
                assert!(
                    slashed.ends_with(&sol.with_symbol(row.slashed)),
                    "liar: {slashed} vs {}",
                    row.slashed
                );
                assert!(slashed.contains("bad"), "a slash is marked: {slashed}");
                assert!(
                    dom.contains("class=\"challenge bad\""),
                    "challenges against the liar are listed"
                );
            }
            _ => assert!(slashed.ends_with(">0 SOL"), "{role:?}: {slashed}"),
        }
        // Honest nodes audited the liar and found it invalid.
        if *role == Role::Honest {
            assert!(dom.contains("<span class=\"bad\">invalid</span>"), "{dom}");
        }
    }

    // The explorer lists every staked node of the demo's task.
    let dom = &seen.explorer;
    let staked = dom.matches("<tr data-node=").count();
    assert_eq!(staked, report.nodes.len(), "{dom}");
    for node in &report.nodes {
        assert!(
            dom.contains(&format!("data-node=\"{}\"", node.node)),
            "{dom}"
        );
    }
    assert!(dom.contains("data-chart=\"timeline\""), "{dom}");
    assert!(dom.contains("class=\"runway\""), "{dom}");
    // An endpoint that is an injection renders as text: no element, no
    // script run (the title would change), the characters shown.
    let dom = &seen.injected_page;
    assert!(
        dom.contains(&format!("data-node=\"{}\"", seen.injected)),
        "{dom}"
    );
    assert!(
        dom.contains("<title>tasknet explorer</title>"),
        "the title was not rewritten: {dom}"
    );
    assert!(
        !dom.contains("<img src=\"x\""),
        "no injected element: {dom}"
    );
    assert!(
        !dom.contains("<script>document.title"),
        "no injected script: {dom}"
    );
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;"),
        "shown as text: {dom}"
    );
}
