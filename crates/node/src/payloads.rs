//! Payloads for auditors. A node submits `sha256(payload)` on-chain and
//! serves the payload itself over HTTP at the endpoint recorded in its
//! `Stake`; auditors fetch it, check it against the submitted value, then
//! audit it. A payload that cannot be fetched in time, is too large, or does
//! not match counts as a failed audit.
//!
//! The server answers only `GET /payloads/<hex sha256>` with the node's own
//! payloads, bounds the size of what it sends and how many requests it takes
//! per second, and serves nothing else.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::store::Store;

/// Largest payload a node serves or an auditor accepts.
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;
/// Requests the server answers per second; more get 429.
pub const MAX_REQUESTS_PER_SECOND: u64 = 200;
/// How long an auditor waits for a payload.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

struct ServerState {
    store: Arc<Store>,
    limit: RateLimit,
}

/// At most `per_second` requests answered in each one-second window; more
/// get 429. A fixed window: simple, and enough to bound the load.
pub struct RateLimit {
    per_second: u64,
    window_start: std::sync::Mutex<Instant>,
    in_window: AtomicU64,
}

impl RateLimit {
    pub fn new(per_second: u64) -> Self {
        Self {
            per_second,
            window_start: std::sync::Mutex::new(Instant::now()),
            in_window: AtomicU64::new(0),
        }
    }

    pub fn admit(&self) -> bool {
        let mut start = self.window_start.lock().unwrap_or_else(|p| p.into_inner());
        if start.elapsed() >= Duration::from_secs(1) {
            *start = Instant::now();
            self.in_window.store(0, Ordering::SeqCst);
        }
        self.in_window.fetch_add(1, Ordering::SeqCst) < self.per_second
    }
}

/// A request's `<hex sha256>` path part, if the limit admits the request:
/// else the status that refuses it (429, or 400 for a malformed hash).
pub(crate) fn admitted_hash(limit: &RateLimit, text: &str) -> Result<[u8; 32], StatusCode> {
    if !limit.admit() {
        return Err(StatusCode::TOO_MANY_REQUESTS);
    }
    hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(StatusCode::BAD_REQUEST)
}

async fn serve_payload(
    State(state): State<Arc<ServerState>>,
    Path(hash): Path<String>,
) -> Response {
    let hash = match admitted_hash(&state.limit, &hash) {
        Ok(hash) => hash,
        Err(refused) => return refused.into_response(),
    };
    match state.store.payload(&hash) {
        Ok(Some(data)) if data.len() <= MAX_PAYLOAD_BYTES => data.into_response(),
        Ok(_) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Starts the payload server; returns the address it listens on.
pub async fn serve(store: Arc<Store>, bind: SocketAddr) -> std::io::Result<SocketAddr> {
    serve_with(store, bind, Router::new()).await
}

/// Starts the payload server with more routes beside `/payloads` (the
/// operator's `/metrics` and `/status`); returns the address.
pub async fn serve_with(
    store: Arc<Store>,
    bind: SocketAddr,
    extra: Router,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(ServerState {
        store,
        limit: RateLimit::new(MAX_REQUESTS_PER_SECOND),
    });
    let app = Router::new()
        .route("/payloads/{hash}", get(serve_payload))
        .with_state(state)
        .merge(extra);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("payload server stopped: {e}");
        }
    });
    Ok(addr)
}

/// Why a payload did not pass.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("the node has no payload endpoint")]
    NoEndpoint,
    #[error("fetching the payload failed: {0}")]
    Unreachable(String),
    #[error("the payload is larger than {MAX_PAYLOAD_BYTES} bytes")]
    TooLarge,
    #[error("the payload does not match the submitted hash")]
    Mismatch,
}

/// Fetches `value`'s payload from `endpoint` and checks it hashes to `value`.
pub async fn fetch(
    http: &reqwest::Client,
    endpoint: &str,
    value: &[u8],
) -> Result<Vec<u8>, FetchError> {
    if endpoint.is_empty() {
        return Err(FetchError::NoEndpoint);
    }
    let url = format!(
        "{}/payloads/{}",
        endpoint.trim_end_matches('/'),
        hex::encode(value)
    );
    let body = get_bounded(http, &url, FETCH_TIMEOUT, MAX_PAYLOAD_BYTES)
        .await
        .map_err(|e| match e {
            BoundedGetError::Unreachable(e) => FetchError::Unreachable(e),
            BoundedGetError::TooLarge => FetchError::TooLarge,
        })?;
    if Sha256::digest(&body).as_slice() == value {
        Ok(body)
    } else {
        Err(FetchError::Mismatch)
    }
}

/// Quick retries of an unreachable payload within one look.
const FETCH_ATTEMPTS: u32 = 2;

/// [`fetch`], patient with failures that may pass: an unreachable endpoint
/// is retried a few times at once, and after that, until `deadline` (a
/// slot), answered with `Ok(None)`: look again on a later tick. Only at the
/// deadline does it count as unfetchable. A payload that arrives but is too
/// large or does not match is a definite failure at once.
pub async fn fetch_patiently(
    http: &reqwest::Client,
    endpoint: &str,
    value: &[u8],
    slot: u64,
    deadline: u64,
) -> Result<Option<Vec<u8>>, FetchError> {
    let mut attempt = 1;
    loop {
        match fetch(http, endpoint, value).await {
            Ok(payload) => return Ok(Some(payload)),
            Err(FetchError::Unreachable(_)) if attempt < FETCH_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(100) * attempt).await;
                attempt += 1;
            }
            Err(FetchError::Unreachable(e)) if slot < deadline => {
                tracing::debug!(
                    endpoint,
                    "payload unreachable ({e}); retrying until slot {deadline}"
                );
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
}

/// Why a bounded GET gave no body.
pub(crate) enum BoundedGetError {
    Unreachable(String),
    TooLarge,
}

/// The body at `url`, fetched within `timeout` and refused past `max`
/// bytes (read in chunks, so a larger body is never held whole).
pub(crate) async fn get_bounded(
    http: &reqwest::Client,
    url: &str,
    timeout: Duration,
    max: usize,
) -> Result<Vec<u8>, BoundedGetError> {
    let unreachable = |e: reqwest::Error| BoundedGetError::Unreachable(e.to_string());
    let mut response = http
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(unreachable)?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > max {
            return Err(BoundedGetError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_own_payloads_only_and_auditors_check_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("n.db")).unwrap());
        let payload = b"the answer".to_vec();
        let hash: [u8; 32] = Sha256::digest(&payload).into();
        store.save_payload(&hash, &payload).unwrap();
        let addr = serve(store.clone(), "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let endpoint = format!("http://{addr}");
        let http = reqwest::Client::new();
        assert_eq!(fetch(&http, &endpoint, &hash).await.unwrap(), payload);
        // Unknown hash: 404, and never anything but own payloads.
        assert!(matches!(
            fetch(&http, &endpoint, &[0; 32]).await,
            Err(FetchError::Unreachable(_))
        ));
        assert_eq!(fetch(&http, "", &hash).await, Err(FetchError::NoEndpoint));
        let other = reqwest::get(format!("{endpoint}/etc/passwd"))
            .await
            .unwrap();
        assert_eq!(other.status(), 404);

        // A server that answers with other bytes than the hash names.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tampered = listener.local_addr().unwrap();
        let app = Router::new().route("/payloads/{hash}", get(|| async { "not the answer" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        assert_eq!(
            fetch(&http, &format!("http://{tampered}"), &hash).await,
            Err(FetchError::Mismatch)
        );
    }

    /// A server that fails its first `failures` requests with 503.
    async fn flaky(payload: &'static [u8], failures: usize) -> String {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let seen = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route(
            "/payloads/{hash}",
            get(move || {
                let seen = seen.clone();
                async move {
                    if seen.fetch_add(1, Ordering::SeqCst) < failures {
                        Err(axum::http::StatusCode::SERVICE_UNAVAILABLE)
                    } else {
                        Ok(payload)
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn transient_failures_are_retried_not_judged() {
        let http = reqwest::Client::new();
        let payload: &'static [u8] = b"the answer";
        let hash: [u8; 32] = Sha256::digest(payload).into();
        // A failure, then the payload: found within one look.
        let endpoint = flaky(payload, 1).await;
        assert_eq!(
            fetch_patiently(&http, &endpoint, &hash, 10, 20).await,
            Ok(Some(payload.to_vec()))
        );
        // Down for good: "look again later" before the deadline, and
        // unfetchable only from the deadline on.
        let endpoint = flaky(payload, usize::MAX).await;
        assert_eq!(
            fetch_patiently(&http, &endpoint, &hash, 19, 20).await,
            Ok(None)
        );
        assert!(matches!(
            fetch_patiently(&http, &endpoint, &hash, 20, 20).await,
            Err(FetchError::Unreachable(_))
        ));
        // A wrong payload is judged at once, deadline or not.
        let endpoint = flaky(b"not the answer", 0).await;
        assert_eq!(
            fetch_patiently(&http, &endpoint, &hash, 0, 20).await,
            Err(FetchError::Mismatch)
        );
    }
}
