//! The operator's dashboard at `/` of the node's server (`node run
//! --serve`), beside the payloads, `/metrics` and `/status`. It reads only
//! what the node already holds — its store and its last look at each task
//! (`/status`) — so a page view costs no RPC request; the page is drawn by
//! `tasknet-pages` and refreshes itself from the same server. Every route
//! here is a GET that changes nothing.

use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tasknet_pages::dashboard::{
    self, CodePanel, Dashboard, ErrorLine, RoundMoney, RoundRow, Sent, TaskPanel,
};
use tasknet_pages::format::Unit;
use tasknet_pages::serve;

use crate::metrics::{Ops, TaskStatus};
use crate::store::{unix_ms, RoundRecord, Store, StoreError};

/// Rounds listed per task.
pub const ROUNDS_SHOWN: usize = 30;

/// What the dashboard reads: the operator endpoints' state and the store.
#[derive(Clone)]
pub struct Pages {
    ops: Ops,
    store: Arc<Store>,
}

impl Pages {
    pub fn new(ops: Ops, store: Arc<Store>) -> Self {
        Self { ops, store }
    }

    /// `/`, and the stylesheet and script the page loads.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(page))
            .merge(serve::assets())
            .with_state(self.clone())
    }

    /// The dashboard as it stands now.
    pub fn gather(&self) -> Result<Dashboard, StoreError> {
        let status = self
            .ops
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let latency = self.ops.mean_rpc_latency_ms();
        let mut tasks = Vec::new();
        for (task, task_status) in &status.tasks {
            // Written from a Pubkey by the node; skip anything else.
            let Ok(key) = task.parse::<Pubkey>() else {
                continue;
            };
            tasks.push(self.task_panel(&key, task_status, latency)?);
        }
        let errors = self
            .ops
            .errors()
            .into_iter()
            .map(|e| ErrorLine {
                at_ms: e.at_ms,
                task: e.task,
                round: e.round,
                cause: e.cause,
                message: e.message,
            })
            .collect();
        Ok(Dashboard {
            node: status.node,
            started_ms: status.started.saturating_mul(1000),
            now_ms: unix_ms(),
            tasks,
            errors,
        })
    }

    fn task_panel(
        &self,
        task: &Pubkey,
        status: &TaskStatus,
        rpc_latency_ms: Option<f64>,
    ) -> Result<TaskPanel, StoreError> {
        let unit = match &status.mint {
            Some(mint) => Unit::token(mint, status.decimals),
            None => Unit::sol(),
        };
        let rounds = self
            .store
            .recent_rounds(task, ROUNDS_SHOWN)?
            .into_iter()
            .map(|record| round_row(record, status))
            .collect();
        let money = self
            .store
            .money_by_round(task)?
            .into_iter()
            .map(|(round, earned, slashed)| RoundMoney {
                round,
                earned,
                slashed,
            })
            .collect();
        Ok(TaskPanel {
            task: task.to_string(),
            eligible: status.eligible,
            condition: status.condition.clone(),
            stake_counted: status.stake_counted,
            slot: status.slot,
            live_rounds: status.live_rounds.clone(),
            code: CodePanel {
                standing: if status.code.is_empty() {
                    "not run yet".into()
                } else {
                    status.code.clone()
                },
                hash: status.code_hash.clone(),
                fuel_used: status.fuel_used,
            },
            rpc_latency_ms,
            unit,
            rounds,
            money,
        })
    }
}

/// A round's row: its phase as the node last saw it ("live" before it
/// did), or "done" once it left the live rounds.
fn round_row(record: RoundRecord, status: &TaskStatus) -> RoundRow {
    let phase = match status.phases.get(&record.round) {
        _ if !status.live_rounds.contains(&record.round) => "done".into(),
        Some(phase) => phase.clone(),
        None => "live".into(),
    };
    RoundRow {
        round: record.round,
        phase,
        sent: record
            .sent
            .into_iter()
            .map(|s| Sent {
                action: s.action,
                at_ms: s.sent_at,
                state: if s.by_other {
                    "done by another node".into()
                } else {
                    s.state.name().into()
                },
                signature: s.signature,
                tries: s.tries,
            })
            .collect(),
        audits: record.audits,
        challenges: record.challenges,
        claimed: record.earned,
    }
}

async fn page(State(pages): State<Pages>) -> Response {
    // SQLite reads are quick but blocking: off the async threads.
    let gathered = tokio::task::spawn_blocking(move || pages.gather()).await;
    match gathered {
        Ok(Ok(model)) => serve::html(dashboard::render(&model)),
        Ok(Err(e)) => serve::plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        Err(e) => serve::plain(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::OutboxKey;
    use crate::store::TxState;

    fn status(live: Vec<u64>) -> TaskStatus {
        TaskStatus {
            condition: "eligible with weight 5".into(),
            eligible: true,
            slot: 100,
            live_rounds: live,
            code: String::new(),
            code_hash: None,
            fuel_used: None,
            stake_counted: Some(5),
            mint: None,
            decimals: 9,
            phases: Default::default(),
        }
    }

    #[test]
    fn gathers_the_store_and_the_last_look() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("n.db")).unwrap());
        let (task, peer) = (Pubkey::new_unique(), Pubkey::new_unique());
        for round in 0..3 {
            let id = store
                .record_tx(
                    &task,
                    round,
                    &OutboxKey::Submit,
                    &format!("s{round}"),
                    b"tx",
                    1,
                )
                .unwrap();
            store.set_tx_state(id, TxState::Confirmed).unwrap();
        }
        store.record_earning(&task, 0, 250, "c0", None).unwrap();
        store.record_slash(&task, 1, 40).unwrap();
        store.save_audit_verdict(&task, 2, &peer, false).unwrap();
        let ops = Ops::new(&Pubkey::new_unique());
        ops.set_task(&task, status(vec![1, 2]));
        ops.set_phase(&task, 2, "Audit".into());
        ops.set_code_run(&task, "ab".repeat(32), Some(77));
        ops.note_error(
            Some(&task),
            Some(2),
            "RevealWindowClosed",
            "reveal: too late".into(),
        );

        let model = Pages::new(ops, store).gather().unwrap();
        let panel = &model.tasks[0];
        assert_eq!(panel.task, task.to_string());
        assert_eq!(
            panel.rounds.iter().map(|r| r.round).collect::<Vec<_>>(),
            [2, 1, 0]
        );
        assert_eq!(panel.rounds[0].phase, "Audit");
        assert_eq!(panel.rounds[1].phase, "live");
        assert_eq!(panel.rounds[2].claimed, Some(250));
        assert_eq!(panel.rounds[0].audits, vec![(peer.to_string(), false)]);
        assert_eq!(
            panel.money,
            vec![
                RoundMoney {
                    round: 0,
                    earned: 250,
                    slashed: 0
                },
                RoundMoney {
                    round: 1,
                    earned: 0,
                    slashed: 40
                },
                RoundMoney {
                    round: 2,
                    earned: 0,
                    slashed: 0
                },
            ]
        );
        assert_eq!(
            (panel.code.fuel_used, panel.code.standing.as_str()),
            (Some(77), "not run yet")
        );
        assert_eq!(model.errors[0].cause, "RevealWindowClosed");
        let page = dashboard::render(&model);
        assert!(
            page.contains("data-points=\"3\""),
            "one dot per round played"
        );
    }
}
