//! The operator's dashboard: per task, the node's condition, its recent
//! rounds, its earnings and slashes as charts; the last errors. The node
//! gathers a [`Dashboard`] from its own store and what it already read
//! from the chain; [`render`] draws it.

use crate::chart::{self, Series, Tone};
use crate::format::{ago, short, utc, Unit};
use crate::html::Html;
use crate::layout::page;

/// Seconds between the dashboard's refreshes.
pub const REFRESH_SECS: u32 = 3;

/// Everything the dashboard shows.
#[derive(Clone, Debug, Default)]
pub struct Dashboard {
    pub node: String,
    /// Unix ms the node started, and now.
    pub started_ms: u64,
    pub now_ms: u64,
    pub tasks: Vec<TaskPanel>,
    /// Newest first.
    pub errors: Vec<ErrorLine>,
}

/// One task as this node runs it.
#[derive(Clone, Debug)]
pub struct TaskPanel {
    pub task: String,
    pub eligible: bool,
    /// Eligible, or why not.
    pub condition: String,
    /// The stake weight counted in the current round, if staked.
    pub stake_counted: Option<u64>,
    /// The slot of the node's last look.
    pub slot: u64,
    pub live_rounds: Vec<u64>,
    pub code: CodePanel,
    /// Mean time of a tick's chain reads.
    pub rpc_latency_ms: Option<f64>,
    /// What the task pays in.
    pub unit: Unit,
    /// Newest first, as many as the page shows.
    pub rounds: Vec<RoundRow>,
    /// Rounds the node took part in, oldest first: what it earned and
    /// what was slashed from it in each.
    pub money: Vec<RoundMoney>,
}

/// The task code's standing.
#[derive(Clone, Debug, Default)]
pub struct CodePanel {
    /// "ready", "not run yet", or why the last run failed.
    pub standing: String,
    /// The code hash it runs (hex), once found and verified.
    pub hash: Option<String>,
    /// Fuel the last WebAssembly call used.
    pub fuel_used: Option<u64>,
}

/// One round in the rounds table.
#[derive(Clone, Debug)]
pub struct RoundRow {
    pub round: u64,
    pub phase: String,
    pub sent: Vec<Sent>,
    /// Our audits of others: (node, valid).
    pub audits: Vec<(String, bool)>,
    /// Challenges of our submission: (challenger, verdict).
    pub challenges: Vec<(String, String)>,
    /// What our claim paid, once recorded.
    pub claimed: Option<u64>,
}

/// A transaction the node signed for an action of the round.
#[derive(Clone, Debug)]
pub struct Sent {
    pub action: String,
    /// Unix ms it was signed, if known.
    pub at_ms: Option<u64>,
    /// pending, confirmed, failed, expired, or done by another node.
    pub state: String,
    pub signature: String,
    /// Transactions signed for the action (this is the latest).
    pub tries: u32,
}

/// Money in one round the node took part in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundMoney {
    pub round: u64,
    /// In the task's unit.
    pub earned: u64,
    /// Lamports slashed from the stake.
    pub slashed: u64,
}

/// An error the node met, with its named cause.
#[derive(Clone, Debug)]
pub struct ErrorLine {
    pub at_ms: u64,
    pub task: Option<String>,
    pub round: Option<u64>,
    /// The error's name: a program error (`RevealWindowClosed`), or a kind
    /// (`transport`, `out_of_fuel`).
    pub cause: String,
    pub message: String,
}

/// The dashboard as a page.
pub fn render(dashboard: &Dashboard) -> String {
    let mut main = Html::new();
    if dashboard.tasks.is_empty() {
        main.raw("<section><p class=\"muted\">This node runs no task yet.</p></section>");
    }
    for task in &dashboard.tasks {
        task_section(&mut main, task, dashboard.now_ms);
    }
    errors_section(&mut main, &dashboard.errors, dashboard.now_ms);
    let subtitle = format!(
        "node {} · up since {} UTC",
        dashboard.node,
        utc(dashboard.started_ms)
    );
    page("tasknet node", &subtitle, Some(REFRESH_SECS), main)
}

fn task_section(html: &mut Html, task: &TaskPanel, now_ms: u64) {
    html.raw("<section class=\"task\" data-task=\"")
        .text(&task.task)
        .raw("\"><h2>task <span class=\"key\">")
        .text(&task.task)
        .raw("</span></h2><dl class=\"facts\">");
    fact(html, "condition", |h| {
        let class: &'static str = if task.eligible { "ok" } else { "warn" };
        h.raw("<span class=\"condition ")
            .raw(class)
            .raw("\">")
            .text(&task.condition)
            .raw("</span>");
    });
    fact(html, "stake counted this round", |h| {
        match task.stake_counted {
            Some(weight) => h.text(Unit::sol().with_symbol(weight)),
            None => h.raw("none"),
        };
    });
    fact(html, "slot", |h| {
        h.text(task.slot);
    });
    fact(html, "live rounds", |h| {
        let live: Vec<String> = task.live_rounds.iter().map(u64::to_string).collect();
        h.text(if live.is_empty() {
            "none".into()
        } else {
            live.join(", ")
        });
    });
    fact(html, "task code", |h| {
        let class: &'static str = if task.code.standing == "ready" {
            "ok"
        } else {
            "warn"
        };
        h.raw("<span class=\"code ")
            .raw(class)
            .raw("\">")
            .text(&task.code.standing)
            .raw("</span>");
        if let Some(hash) = &task.code.hash {
            h.raw("<br><span class=\"muted\">verified sha256 </span><code>")
                .text(&hash[..hash.len().min(16)])
                .raw("…</code>");
        }
    });
    fact(html, "fuel of the last call", |h| {
        match task.code.fuel_used {
            Some(fuel) => h.text(fuel),
            None => h.raw("<span class=\"muted\">native code or not run</span>"),
        };
    });
    fact(html, "RPC latency (mean read)", |h| {
        match task.rpc_latency_ms {
            Some(ms) => h.text(format!("{ms:.1} ms")),
            None => h.raw("<span class=\"muted\">no reads yet</span>"),
        };
    });
    let earned: u64 = task.money.iter().map(|m| m.earned).sum();
    let slashed: u64 = task.money.iter().map(|m| m.slashed).sum();
    fact(html, "earned", |h| {
        h.raw("<span class=\"earned-total\">")
            .text(task.unit.with_symbol(earned))
            .raw("</span>");
    });
    fact(html, "slashed", |h| {
        let class: &'static str = if slashed > 0 { "bad" } else { "muted" };
        h.raw("<span class=\"slashed-total ")
            .raw(class)
            .raw("\">")
            .text(Unit::sol().with_symbol(slashed))
            .raw("</span>");
    });
    html.raw("</dl>");
    charts(html, task);
    rounds_table(html, task, now_ms);
    html.raw("</section>");
}

fn fact(html: &mut Html, name: &'static str, value: impl FnOnce(&mut Html)) {
    html.raw("<div><dt>").raw(name).raw("</dt><dd>");
    value(html);
    html.raw("</dd></div>");
}

/// Earnings and slashes, per round (a dot each) and cumulative (a line).
fn charts(html: &mut Html, task: &TaskPanel) {
    let sol = Unit::sol();
    let earned = money_series(&task.money, |m| task.unit.value(m.earned));
    let slashed = money_series(&task.money, |m| sol.value(m.slashed));
    html.raw("<div class=\"charts\">");
    chart_figure(
        html,
        "earnings",
        &format!("earned ({})", task.unit.symbol),
        &task.unit.symbol,
        earned,
        Tone::Earned,
    );
    chart_figure(
        html,
        "slashes",
        "slashed (SOL)",
        "SOL",
        slashed,
        Tone::Slashed,
    );
    html.raw("</div>");
}

fn money_series(money: &[RoundMoney], value: impl Fn(&RoundMoney) -> f64) -> [Vec<(u64, f64)>; 2] {
    let per_round: Vec<(u64, f64)> = money.iter().map(|m| (m.round, value(m))).collect();
    let mut sum = 0.0;
    let cumulative = per_round
        .iter()
        .map(|&(round, v)| {
            sum += v;
            (round, sum)
        })
        .collect();
    [per_round, cumulative]
}

fn chart_figure(
    html: &mut Html,
    kind: &'static str,
    title: &str,
    unit: &str,
    [per_round, cumulative]: [Vec<(u64, f64)>; 2],
    tone: Tone,
) {
    let drawn = chart::rounds(
        title,
        unit,
        &[
            Series {
                name: "cumulative",
                tone: Tone::Total,
                dots: false,
                points: cumulative,
            },
            Series {
                name: "per round",
                tone,
                dots: true,
                points: per_round,
            },
        ],
    );
    html.raw("<figure class=\"chart\" data-chart=\"")
        .raw(kind)
        .raw("\"");
    match drawn {
        Ok(chart) => {
            html.raw(" data-points=\"")
                .text(chart.points())
                .raw("\">")
                .chart(&chart);
        }
        Err(e) => {
            html.raw("><p class=\"bad\">").text(e).raw("</p>");
        }
    }
    html.raw("</figure>");
}

fn rounds_table(html: &mut Html, task: &TaskPanel, now_ms: u64) {
    html.raw("<h3>Recent rounds</h3>");
    if task.rounds.is_empty() {
        html.raw("<p class=\"muted\">No round yet.</p>");
        return;
    }
    html.raw(
        "<div class=\"scroll\"><table class=\"rounds\"><thead><tr><th class=\"num\">round</th>\
         <th>phase</th><th>sent</th><th>audits run</th><th>challenges against us</th>\
         <th class=\"num\">claimed</th></tr></thead><tbody>",
    );
    for row in &task.rounds {
        html.raw("<tr data-round=\"")
            .text(row.round)
            .raw("\"><td class=\"num\">")
            .text(row.round)
            .raw("</td>");
        html.td(&row.phase);
        html.raw("<td>");
        for (i, sent) in row.sent.iter().enumerate() {
            if i > 0 {
                html.raw("<br>");
            }
            let class: &'static str = match sent.state.as_str() {
                "confirmed" => "ok",
                "pending" | "done by another node" => "muted",
                _ => "bad",
            };
            html.raw("<span class=\"")
                .raw(class)
                .raw("\" title=\"")
                .text(&sent.signature)
                .raw("\">")
                .text(&sent.action);
            html.raw("</span> <span class=\"muted\">").text(&sent.state);
            if sent.tries > 1 {
                html.raw(", ").text(sent.tries).raw(" tries");
            }
            if let Some(at) = sent.at_ms {
                html.raw(", ").text(ago(at, now_ms));
            }
            html.raw("</span>");
        }
        html.raw("</td><td>");
        for (i, (node, valid)) in row.audits.iter().enumerate() {
            if i > 0 {
                html.raw("<br>");
            }
            html.raw("<span class=\"key\">")
                .text(short(node))
                .raw("</span> ");
            if *valid {
                html.raw("<span class=\"ok\">valid</span>");
            } else {
                html.raw("<span class=\"bad\">invalid</span>");
            }
        }
        html.raw("</td><td>");
        for (i, (challenger, verdict)) in row.challenges.iter().enumerate() {
            if i > 0 {
                html.raw("<br>");
            }
            html.raw("<span class=\"challenge bad\">by <span class=\"key\">")
                .text(short(challenger))
                .raw("</span>: ")
                .text(verdict)
                .raw("</span>");
        }
        html.raw("</td><td class=\"num claimed\">");
        match row.claimed {
            Some(amount) => html.text(task.unit.with_symbol(amount)),
            None => html.raw("<span class=\"muted\">—</span>"),
        };
        html.raw("</td></tr>");
    }
    html.raw("</tbody></table></div>");
}

fn errors_section(html: &mut Html, errors: &[ErrorLine], now_ms: u64) {
    html.raw("<section class=\"errors\"><h2>Last errors</h2>");
    if errors.is_empty() {
        html.raw("<p class=\"muted\">None since the node started.</p></section>");
        return;
    }
    html.raw("<ul class=\"errors\">");
    for error in errors {
        html.raw("<li><strong class=\"cause\">")
            .text(&error.cause)
            .raw("</strong> ");
        if let Some(task) = &error.task {
            html.raw("<span class=\"muted\">task </span><span class=\"key\">")
                .text(short(task))
                .raw("</span> ");
        }
        if let Some(round) = error.round {
            html.raw("<span class=\"muted\">round </span>")
                .text(round)
                .raw(" ");
        }
        html.raw("<span class=\"muted\">")
            .text(ago(error.at_ms, now_ms))
            .raw("</span><br>")
            .text(&error.message)
            .raw("</li>");
    }
    html.raw("</ul></section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel() -> TaskPanel {
        TaskPanel {
            task: "Task1111111111111111111111111111111111111111".into(),
            eligible: true,
            condition: "eligible with weight 2000000000".into(),
            stake_counted: Some(2_000_000_000),
            slot: 420,
            live_rounds: vec![3, 4],
            code: CodePanel {
                standing: "ready".into(),
                hash: Some("ab".repeat(32)),
                fuel_used: Some(1234),
            },
            rpc_latency_ms: Some(2.5),
            unit: Unit::sol(),
            rounds: vec![RoundRow {
                round: 4,
                phase: "Settle".into(),
                sent: vec![Sent {
                    action: "submit".into(),
                    at_ms: Some(9_000),
                    state: "confirmed".into(),
                    signature: "sig".into(),
                    tries: 1,
                }],
                audits: vec![("Liar1111111111111111111111111111".into(), false)],
                challenges: vec![],
                claimed: Some(1_500_000_000),
            }],
            money: vec![
                RoundMoney {
                    round: 3,
                    earned: 1_000_000_000,
                    slashed: 0,
                },
                RoundMoney {
                    round: 4,
                    earned: 1_500_000_000,
                    slashed: 0,
                },
            ],
        }
    }

    #[test]
    fn shows_rounds_charts_and_totals() {
        let page = render(&Dashboard {
            node: "Node1".into(),
            started_ms: 0,
            now_ms: 10_000,
            tasks: vec![panel()],
            errors: vec![ErrorLine {
                at_ms: 5_000,
                task: None,
                round: Some(4),
                cause: "RevealWindowClosed".into(),
                message: "the reveal window closed".into(),
            }],
        });
        assert_eq!(page.matches("<tr data-round=").count(), 1);
        assert!(page.contains("data-chart=\"earnings\" data-points=\"2\""));
        assert!(page.contains("<span class=\"earned-total\">2.5 SOL</span>"));
        assert!(page.contains("1.5 SOL"));
        assert!(page.contains("RevealWindowClosed"));
        assert!(page.contains("<span class=\"bad\">invalid</span>"));
        assert!(page.contains("data-refresh=\"3\""));
        assert!(!page.contains("<script>"), "no inline script");
    }

    #[test]
    fn chain_text_renders_inert() {
        let mut task = panel();
        task.condition = "<img src=x onerror=alert(1)>".into();
        task.rounds[0].challenges = vec![("<script>alert(2)</script>".into(), "\"><b>".into())];
        let page = render(&Dashboard {
            tasks: vec![task],
            ..Default::default()
        });
        assert!(!page.contains("<img"));
        assert!(!page.contains("<script>alert"));
        assert!(!page.contains("\"><b>"));
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }
}
