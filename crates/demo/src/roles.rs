//! Who a demo node is. Anything but `Honest` is an adversary, made from the
//! node's extension points so the node itself carries no cheating code.

use std::net::SocketAddr;
use std::sync::Arc;

use anchor_lang::prelude::Pubkey;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::Phase;
use tasknet::state::Submission;
use tasknet_node::code::{CodeError, RoundInput, TaskCode};
use tasknet_node::decide::{honest_reads, may_submit};
use tasknet_node::snapshot::Submissions;
use tasknet_node::store::Store;
use tasknet_node::{decide, Action, Policy, Reads, RoundSnapshot};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Honest,
    /// Copies another node's commitment instead of working.
    Copier,
    /// Submits a wrong answer.
    Liar,
    /// Submits a right answer's hash but never serves the payload.
    Withholder,
    /// Serves a payload that does not match what it submitted.
    Tamperer,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Honest => "honest",
            Role::Copier => "copier",
            Role::Liar => "liar",
            Role::Withholder => "withholder",
            Role::Tamperer => "tamperer",
        }
    }
}

/// A task's code, except that it lies about its own result (it audits
/// others honestly).
pub struct Lying<C>(pub C);

impl<C: TaskCode> TaskCode for Lying<C> {
    fn code_hash(&self) -> [u8; 32] {
        self.0.code_hash()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        let honest = self.0.execute(input)?;
        // A changed value that still passes the audit (a proof of work can
        // have many answers) is no lie: change it otherwise until it fails.
        let mut value = honest.clone();
        for flip in (1..=0xffu8).rev() {
            if let (Some(first), Some(was)) = (value.first_mut(), honest.first()) {
                *first = was ^ flip;
            }
            if !self.0.audit(input, &input.node, &value)? {
                break;
            }
        }
        Ok(value)
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, value: &[u8]) -> Result<bool, CodeError> {
        self.0.audit(input, node, value)
    }
}

/// Submits another node's commitment instead of running the code; audits
/// and settles like an honest node.
pub struct Copier;

impl Copier {
    fn someone_else<'s>(s: &'s RoundSnapshot<'_>, with_value: bool) -> Option<&'s Submission> {
        s.submissions
            .iter()
            .map(|(_, sub)| sub)
            .find(|sub| sub.node != s.view.me && (!with_value || !sub.value.is_empty()))
    }

    fn submit(s: &RoundSnapshot<'_>) -> Vec<Action> {
        if !may_submit(s) {
            return Vec::new();
        }
        let commit_reveal = s.view.task.schedule.commit_reveal();
        let payload = match Self::someone_else(s, !commit_reveal) {
            Some(other) if commit_reveal => SubmissionPayload::Commitment(other.commitment),
            Some(other) => SubmissionPayload::Value(other.value.clone()),
            None => return Vec::new(), // nothing to copy yet
        };
        vec![Action::Submit {
            payload,
            open_round: s.round_account.is_none(),
        }]
    }

    /// A copied commitment binds someone else's key and salt, so no reveal
    /// can match it: the copier tries the value it learns now, then gives up.
    fn reveal(s: &RoundSnapshot<'_>) -> Vec<Action> {
        match Self::someone_else(s, true) {
            Some(other) if s.committed() => vec![
                Action::Reveal {
                    value: other.value.clone(),
                    salt: [0; 32],
                },
                Action::Finish,
            ],
            _ => Vec::new(),
        }
    }
}

impl Policy for Copier {
    fn reads(&self, base: &RoundSnapshot<'_>) -> Reads {
        match base.phase {
            Phase::Submit | Phase::Reveal => Reads {
                submissions: Submissions::All,
                ..Reads::default()
            },
            _ => honest_reads(base),
        }
    }

    fn decide(&self, s: &RoundSnapshot<'_>) -> Vec<Action> {
        match s.phase {
            Phase::Submit => Self::submit(s),
            Phase::Reveal => Self::reveal(s),
            _ => decide(s),
        }
    }
}

async fn tampered_payload(State(store): State<Arc<Store>>, Path(hash): Path<String>) -> Response {
    let hash = hex::decode(&hash)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok());
    match hash.map(|h| store.payload(&h)) {
        Some(Ok(Some(mut data))) => {
            if let Some(first) = data.first_mut() {
                *first ^= 0xff;
            }
            data.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Serves the node's payloads with one byte changed, where auditors look
/// for them; returns the address.
pub async fn serve_tampered(store: Arc<Store>) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = Router::new()
        .route("/payloads/{hash}", get(tampered_payload))
        .with_state(store);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("tampering payload server stopped: {e}");
        }
    });
    Ok(addr)
}
