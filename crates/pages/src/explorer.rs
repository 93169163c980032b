//! The task explorer: a creator's tasks, a task (schedule, economics,
//! ledger, runway, staked nodes, rounds) and a round (submissions, audits,
//! votes, payouts). `tasknet explore` gathers these models from the chain;
//! the functions here draw them. Every page links to the others.

use crate::chart::{self, Window};
use crate::format::{short, Unit};
use crate::html::Html;
use crate::layout::page;

/// Seconds between an explorer page's refreshes.
pub const REFRESH_SECS: u32 = 5;

/// Staked nodes per page of the node list.
pub const NODES_PER_PAGE: usize = 100;

/// A creator's tasks.
#[derive(Clone, Debug)]
pub struct CreatorPage {
    pub creator: String,
    pub tasks: Vec<TaskRow>,
}

/// One task in a creator's list.
#[derive(Clone, Debug)]
pub struct TaskRow {
    pub task: String,
    pub name: String,
    pub state: String,
    pub unit: Unit,
    pub bounty: u64,
    pub reward_per_round: u64,
    pub node_count: u32,
    pub total_paid: u64,
}

/// One task.
#[derive(Clone, Debug)]
pub struct TaskPage {
    pub task: String,
    pub name: String,
    pub creator: String,
    pub metadata_uri: String,
    pub code_uri: String,
    pub code_hash: String,
    pub state: String,
    pub unit: Unit,
    pub slot: u64,
    /// The round being submitted now (or the last one started), and its
    /// phase at `slot`.
    pub current_round: Option<u64>,
    pub phase: String,
    /// The current round's windows, in slots.
    pub windows: Vec<Window>,
    /// (what, value) lines: the schedule and economics as set.
    pub terms: Vec<(&'static str, String)>,
    pub bounty: u64,
    pub reward_per_round: u64,
    /// (what, value) lines of the task's ledger.
    pub ledger: Vec<(&'static str, String)>,
    pub total_paid: u64,
    pub total_slashed: u64,
    pub nodes: NodeList,
    /// Rounds with accounts on chain, newest first.
    pub rounds: Vec<RoundSummary>,
}

impl TaskPage {
    /// Whole rounds the bounty still pays at the current reward.
    pub fn runway_rounds(&self) -> Option<u64> {
        self.bounty.checked_div(self.reward_per_round)
    }
}

/// One page of the task's staked nodes.
#[derive(Clone, Debug, Default)]
pub struct NodeList {
    pub rows: Vec<NodeRow>,
    /// 0-based.
    pub page: usize,
    pub total: usize,
}

/// A staked node.
#[derive(Clone, Debug)]
pub struct NodeRow {
    pub node: String,
    /// Stake counted now, lamports.
    pub stake: u64,
    pub unbonding: u64,
    pub slashed_total: u64,
    /// As staked: shown as text, never as a link.
    pub endpoint: String,
    /// Its submissions in the rounds on chain: (round, status).
    pub record: Vec<(u64, String)>,
}

/// A round with an account on chain.
#[derive(Clone, Debug)]
pub struct RoundSummary {
    pub round: u64,
    pub phase: String,
    pub submissions: u32,
    pub revealed: u32,
    pub invalidated: u32,
    pub open_audits: u32,
    pub reward_pool: u64,
    pub claimed_count: u32,
    pub claimed_sum: u64,
}

/// One round in full.
#[derive(Clone, Debug)]
pub struct RoundPage {
    pub task: String,
    pub unit: Unit,
    pub summary: RoundSummary,
    /// One page of the round's submissions, in submission order.
    pub submissions: Vec<SubmissionRow>,
    /// 0-based.
    pub page: usize,
    /// Submissions on chain.
    pub total: usize,
    pub audits: Vec<AuditRow>,
}

#[derive(Clone, Debug)]
pub struct SubmissionRow {
    pub node: String,
    pub index: u32,
    pub status: String,
    /// The value, hex.
    pub value: String,
    pub slot: u64,
    /// What its claim paid, when claimed and known.
    pub paid: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct AuditRow {
    pub node: String,
    pub challenger: String,
    pub verdict: String,
    pub votes_valid: u64,
    pub votes_invalid: u64,
    /// The voters, by their vote: (voter, says valid).
    pub voters: Vec<(String, bool)>,
}

/// Where each page lives.
pub fn task_path(task: &str) -> String {
    format!("/task/{task}")
}

pub fn round_path(task: &str, round: u64) -> String {
    format!("/task/{task}/round/{round}")
}

pub fn creator_path(creator: &str) -> String {
    format!("/creator/{creator}")
}

/// The explorer's front page: what to look at.
pub fn render_home(cluster: &str, tasks: &[TaskRow]) -> String {
    let mut main = Html::new();
    main.raw("<section><h2>Tasks on this cluster</h2>");
    task_table(&mut main, tasks);
    main.raw("<p class=\"muted\">Open <code>/task/&lt;address&gt;</code> for a task or <code>/creator/&lt;address&gt;</code> for a creator's tasks.</p></section>");
    page(
        "tasknet explorer",
        &format!("cluster {cluster}"),
        Some(REFRESH_SECS),
        main,
    )
}

pub fn render_creator(cluster: &str, creator: &CreatorPage) -> String {
    let mut main = Html::new();
    main.raw("<section><h2>creator <span class=\"key\">")
        .text(&creator.creator)
        .raw("</span></h2>");
    task_table(&mut main, &creator.tasks);
    main.raw("</section>");
    page(
        "tasknet explorer",
        &format!("cluster {cluster}"),
        Some(REFRESH_SECS),
        main,
    )
}

fn task_table(html: &mut Html, tasks: &[TaskRow]) {
    if tasks.is_empty() {
        html.raw("<p class=\"muted\">No tasks.</p>");
        return;
    }
    html.raw(
        "<div class=\"scroll\"><table class=\"tasks\"><thead><tr><th>task</th><th>name</th><th>state</th>\
         <th class=\"num\">bounty</th><th class=\"num\">rounds left</th><th class=\"num\">nodes</th>\
         <th class=\"num\">paid</th></tr></thead><tbody>",
    );
    for task in tasks {
        html.raw("<tr><td class=\"key\">")
            .link(&task_path(&task.task), short(&task.task))
            .raw("</td>");
        html.td(&task.name).td(&task.state);
        html.raw("<td class=\"num\">")
            .text(task.unit.with_symbol(task.bounty))
            .raw("</td><td class=\"num\">");
        match task.bounty.checked_div(task.reward_per_round) {
            Some(left) => html.text(left),
            None => html.raw("—"),
        };
        html.raw("</td><td class=\"num\">")
            .text(task.node_count)
            .raw("</td><td class=\"num\">");
        html.text(task.unit.with_symbol(task.total_paid))
            .raw("</td></tr>");
    }
    html.raw("</tbody></table></div>");
}

pub fn render_task(cluster: &str, task: &TaskPage) -> String {
    let mut main = Html::new();
    identity_section(&mut main, task);
    schedule_section(&mut main, task);
    economics_section(&mut main, task);
    rounds_section(&mut main, task);
    nodes_section(&mut main, task);
    let subtitle = format!("cluster {cluster}");
    page("tasknet explorer", &subtitle, Some(REFRESH_SECS), main)
}

fn identity_section(main: &mut Html, task: &TaskPage) {
    main.raw("<section><h2>").text(if task.name.is_empty() {
        "task"
    } else {
        &task.name
    });
    main.raw(" <span class=\"key\">")
        .text(&task.task)
        .raw("</span></h2><dl class=\"facts\">");
    fact(main, "state", |h| {
        h.text(&task.state);
    });
    fact(main, "creator", |h| {
        h.raw("<span class=\"key\">")
            .link(&creator_path(&task.creator), &task.creator)
            .raw("</span>");
    });
    fact(main, "metadata", |h| {
        h.raw("<span class=\"key\">")
            .text(&task.metadata_uri)
            .raw("</span>");
    });
    fact(main, "code", |h| {
        h.raw("<code>")
            .text(&task.code_hash)
            .raw("</code><br><span class=\"key\">")
            .text(&task.code_uri)
            .raw("</span>");
    });
    main.raw("</dl></section>");
}

fn schedule_section(main: &mut Html, task: &TaskPage) {
    main.raw("<section class=\"schedule\"><h2>Schedule</h2><p>slot ")
        .text(task.slot);
    if let Some(round) = task.current_round {
        main.raw(" · round ")
            .link(&round_path(&task.task, round), round)
            .raw(" in its ");
        main.raw("<strong class=\"phase\">")
            .text(&task.phase)
            .raw("</strong> window");
    }
    main.raw("</p>");
    if !task.windows.is_empty() {
        let title = match task.current_round {
            Some(round) => format!("round {round}"),
            None => "first round".into(),
        };
        match chart::timeline(&title, &task.windows, task.slot) {
            Ok(chart) => main
                .raw("<figure class=\"chart\" data-chart=\"timeline\">")
                .chart(&chart)
                .raw("</figure>"),
            Err(e) => main.raw("<p class=\"bad\">").text(e).raw("</p>"),
        };
    }
    main.raw("<dl class=\"facts\">");
    for (what, value) in &task.terms {
        fact(main, what, |h| {
            h.text(value);
        });
    }
    main.raw("</dl></section>");
}

fn economics_section(main: &mut Html, task: &TaskPage) {
    let unit = &task.unit;
    main.raw("<section class=\"economics\"><h2>Bounty and ledger</h2><dl class=\"facts\">");
    fact(main, "bounty available", |h| {
        h.raw("<span class=\"bounty\">")
            .text(unit.with_symbol(task.bounty))
            .raw("</span>");
    });
    fact(main, "reward per round", |h| {
        h.text(unit.with_symbol(task.reward_per_round));
    });
    fact(main, "runway", |h| {
        match task.runway_rounds() {
            Some(rounds) => h
                .raw("<span class=\"runway\">")
                .text(format!("{rounds} rounds"))
                .raw("</span>"),
            None => h.raw("<span class=\"muted\">no reward set</span>"),
        };
    });
    fact(main, "paid to nodes", |h| {
        h.text(unit.with_symbol(task.total_paid));
    });
    fact(main, "slashed", |h| {
        h.text(Unit::sol().with_symbol(task.total_slashed));
    });
    for (what, value) in &task.ledger {
        fact(main, what, |h| {
            h.text(value);
        });
    }
    main.raw("</dl></section>");
}

fn rounds_section(html: &mut Html, task: &TaskPage) {
    html.raw("<section><h2>Rounds on chain</h2>");
    if task.rounds.is_empty() {
        html.raw("<p class=\"muted\">No round account is open.</p></section>");
        return;
    }
    html.raw(
        "<div class=\"scroll\"><table class=\"rounds\"><thead><tr><th class=\"num\">round</th><th>phase</th>\
         <th class=\"num\">submissions</th><th class=\"num\">revealed</th><th class=\"num\">invalid</th>\
         <th class=\"num\">open audits</th><th class=\"num\">pool</th><th class=\"num\">claimed</th></tr></thead><tbody>",
    );
    for round in &task.rounds {
        html.raw("<tr data-round=\"")
            .text(round.round)
            .raw("\"><td class=\"num\">");
        html.link(&round_path(&task.task, round.round), round.round)
            .raw("</td>");
        html.td(&round.phase);
        for n in [
            round.submissions,
            round.revealed,
            round.invalidated,
            round.open_audits,
        ] {
            html.raw("<td class=\"num\">").text(n).raw("</td>");
        }
        html.raw("<td class=\"num\">")
            .text(task.unit.with_symbol(round.reward_pool))
            .raw("</td><td class=\"num\">");
        html.text(format!(
            "{} ({})",
            task.unit.with_symbol(round.claimed_sum),
            round.claimed_count
        ))
        .raw("</td></tr>");
    }
    html.raw("</tbody></table></div></section>");
}

fn nodes_section(html: &mut Html, task: &TaskPage) {
    let nodes = &task.nodes;
    html.raw("<section class=\"nodes\"><h2>Staked nodes <span class=\"muted\">(")
        .text(nodes.total)
        .raw(")</span></h2>");
    if nodes.rows.is_empty() {
        html.raw("<p class=\"muted\">No node is staked on this page.</p>");
    } else {
        html.raw(
            "<div class=\"scroll\"><table class=\"nodes\"><thead><tr><th>node</th><th class=\"num\">stake</th>\
             <th class=\"num\">slashed</th><th>endpoint</th><th>recent rounds</th></tr></thead><tbody>",
        );
        let sol = Unit::sol();
        for node in &nodes.rows {
            html.raw("<tr data-node=\"")
                .text(&node.node)
                .raw("\"><td class=\"key\">")
                .text(&node.node)
                .raw("</td>");
            html.raw("<td class=\"num\">")
                .text(sol.with_symbol(node.stake));
            if node.unbonding > 0 {
                html.raw("<br><span class=\"muted\">unbonding ")
                    .text(sol.with_symbol(node.unbonding))
                    .raw("</span>");
            }
            html.raw("</td><td class=\"num\">");
            if node.slashed_total > 0 {
                html.raw("<span class=\"bad\">")
                    .text(sol.with_symbol(node.slashed_total))
                    .raw("</span>");
            } else {
                html.raw("0");
            }
            html.raw("</td><td class=\"endpoint key\">")
                .text(&node.endpoint)
                .raw("</td><td>");
            for (i, (round, status)) in node.record.iter().enumerate() {
                if i > 0 {
                    html.raw(", ");
                }
                html.link(&round_path(&task.task, *round), round)
                    .raw(" ")
                    .text(status);
            }
            html.raw("</td></tr>");
        }
        html.raw("</tbody></table></div>");
    }
    pager(html, &task_path(&task.task), nodes.page, nodes.total);
    html.raw("</section>");
}

/// Links to the previous and next pages of a list of `total` rows shown
/// [`NODES_PER_PAGE`] at a time, when there is more than one.
fn pager(html: &mut Html, path: &str, page: usize, total: usize) {
    let pages = total.div_ceil(NODES_PER_PAGE);
    if pages <= 1 {
        return;
    }
    html.raw("<nav class=\"pages\">");
    if page > 0 {
        html.link(&format!("{path}?page={}", page - 1), "← previous");
    }
    html.raw("<span>page ")
        .text(page + 1)
        .raw(" of ")
        .text(pages)
        .raw("</span>");
    if page + 1 < pages {
        html.link(&format!("{path}?page={}", page + 1), "next →");
    }
    html.raw("</nav>");
}

pub fn render_round(cluster: &str, round: &RoundPage) -> String {
    let mut main = Html::new();
    let s = &round.summary;
    main.raw("<section><h2>round ")
        .text(s.round)
        .raw(" of task <span class=\"key\">");
    main.link(&task_path(&round.task), &round.task)
        .raw("</span></h2><dl class=\"facts\">");
    let unit = &round.unit;
    for (what, value) in [
        ("phase", s.phase.clone()),
        ("submissions", s.submissions.to_string()),
        ("revealed", s.revealed.to_string()),
        ("invalidated", s.invalidated.to_string()),
        ("open audits", s.open_audits.to_string()),
        ("reward pool", unit.with_symbol(s.reward_pool)),
        (
            "claimed",
            format!(
                "{} by {} nodes",
                unit.with_symbol(s.claimed_sum),
                s.claimed_count
            ),
        ),
    ] {
        fact(&mut main, what, |h| {
            h.text(value);
        });
    }
    main.raw("</dl></section><section><h2>Submissions</h2>");
    if round.submissions.is_empty() {
        main.raw("<p class=\"muted\">None on chain.</p>");
    } else {
        main.raw(
            "<div class=\"scroll\"><table class=\"submissions\"><thead><tr><th class=\"num\">#</th><th>node</th>\
             <th>status</th><th>value</th><th class=\"num\">slot</th><th class=\"num\">paid</th></tr></thead><tbody>",
        );
        for sub in &round.submissions {
            main.raw("<tr><td class=\"num\">")
                .text(sub.index)
                .raw("</td><td class=\"key\">")
                .text(short(&sub.node))
                .raw("</td>");
            main.td(&sub.status)
                .raw("<td><code>")
                .text(&sub.value[..sub.value.len().min(16)])
                .raw("</code></td>");
            main.raw("<td class=\"num\">")
                .text(sub.slot)
                .raw("</td><td class=\"num\">");
            match sub.paid {
                Some(paid) => main.text(unit.with_symbol(paid)),
                None => main.raw("—"),
            };
            main.raw("</td></tr>");
        }
        main.raw("</tbody></table></div>");
    }
    pager(
        &mut main,
        &round_path(&round.task, s.round),
        round.page,
        round.total,
    );
    main.raw("</section>");
    audits_section(&mut main, &round.audits);
    page(
        "tasknet explorer",
        &format!("cluster {cluster}"),
        Some(REFRESH_SECS),
        main,
    )
}

fn audits_section(main: &mut Html, audits: &[AuditRow]) {
    main.raw("<section><h2>Audits and votes</h2>");
    if audits.is_empty() {
        main.raw("<p class=\"muted\">Nobody challenged a submission of this round.</p>");
    } else {
        main.raw(
            "<div class=\"scroll\"><table class=\"audits\"><thead><tr><th>accused</th><th>challenger</th>\
             <th>verdict</th><th class=\"num\">votes valid / invalid</th><th>voters</th></tr></thead><tbody>",
        );
        for audit in audits {
            main.raw("<tr><td class=\"key\">")
                .text(short(&audit.node))
                .raw("</td><td class=\"key\">")
                .text(short(&audit.challenger))
                .raw("</td>");
            main.td(&audit.verdict)
                .raw("<td class=\"num\">")
                .text(format!("{} / {}", audit.votes_valid, audit.votes_invalid))
                .raw("</td><td>");
            for (i, (voter, valid)) in audit.voters.iter().enumerate() {
                if i > 0 {
                    main.raw(", ");
                }
                main.raw("<span class=\"key\">")
                    .text(short(voter))
                    .raw("</span> ");
                main.raw(if *valid { "valid" } else { "invalid" });
            }
            main.raw("</td></tr>");
        }
        main.raw("</tbody></table></div>");
    }
    main.raw("</section>");
}

fn fact(html: &mut Html, name: &str, value: impl FnOnce(&mut Html)) {
    html.raw("<div><dt>").text(name).raw("</dt><dd>");
    value(html);
    html.raw("</dd></div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(nodes: usize) -> TaskPage {
        TaskPage {
            task: "Task1".into(),
            name: "hash <race>".into(),
            creator: "Creator1".into(),
            metadata_uri: "javascript:alert(1)".into(),
            code_uri: "https://example.org/task.wasm".into(),
            code_hash: "ab".repeat(32),
            state: "Active".into(),
            unit: Unit::sol(),
            slot: 125,
            current_round: Some(3),
            phase: "Reveal".into(),
            windows: vec![
                Window {
                    name: "submit",
                    start: 100,
                    end: 120,
                },
                Window {
                    name: "reveal",
                    start: 120,
                    end: 130,
                },
            ],
            terms: vec![("round", "40 slots".into())],
            bounty: 10_000_000_000,
            reward_per_round: 3_000_000_000,
            ledger: vec![],
            total_paid: 0,
            total_slashed: 0,
            nodes: NodeList {
                rows: (0..nodes.min(NODES_PER_PAGE))
                    .map(|i| NodeRow {
                        node: format!("Node{i}"),
                        stake: 1,
                        unbonding: 0,
                        slashed_total: 0,
                        endpoint: "<script>alert('x')</script>".into(),
                        record: vec![(3, "Revealed".into())],
                    })
                    .collect(),
                page: 0,
                total: nodes,
            },
            rounds: vec![],
        }
    }

    #[test]
    fn runway_links_and_paging() {
        let page = render_task("http://127.0.0.1:8899", &task(250));
        assert!(page.contains("<span class=\"runway\">3 rounds</span>"));
        assert!(page.contains("href=\"/task/Task1/round/3\""));
        assert!(page.contains("href=\"/creator/Creator1\""));
        assert_eq!(page.matches("<tr data-node=").count(), NODES_PER_PAGE);
        assert!(page.contains("page 1 of 3"));
        assert!(page.contains("href=\"/task/Task1?page=1\""));
        assert!(page.contains("data-chart=\"timeline\""));
    }

    #[test]
    fn endpoints_and_uris_render_inert() {
        let page = render_task("c", &task(1));
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(
            !page.contains("href=\"javascript:"),
            "a URI is text, never a link"
        );
        assert!(page.contains("hash &lt;race&gt;"));
    }

    #[test]
    fn a_round_lists_one_page_of_submissions_with_links_to_the_others() {
        let round = RoundPage {
            task: "Task1".into(),
            unit: Unit::sol(),
            summary: RoundSummary {
                round: 4,
                phase: "Audit".into(),
                submissions: 250,
                revealed: 250,
                invalidated: 1,
                open_audits: 0,
                reward_pool: 3_000_000_000,
                claimed_count: 0,
                claimed_sum: 0,
            },
            submissions: (100..200)
                .map(|i| SubmissionRow {
                    node: format!("Node{i}"),
                    index: i,
                    status: "<b>Revealed</b>".into(),
                    value: "ab".repeat(20),
                    slot: 1_000 + u64::from(i),
                    paid: (i % 2 == 0).then_some(12_000_000),
                })
                .collect(),
            page: 1,
            total: 250,
            audits: vec![],
        };
        let page = render_round("c", &round);
        assert_eq!(page.matches("<tr><td class=\"num\">").count(), 100);
        assert!(page.contains("page 2 of 3"));
        assert!(page.contains("href=\"/task/Task1/round/4?page=0\""));
        assert!(page.contains("href=\"/task/Task1/round/4?page=2\""));
        assert!(
            page.contains("<code>abababababababab</code>"),
            "values are cut to 16 hex digits"
        );
        assert!(!page.contains("<b>Revealed"), "a status is text");
    }
}
