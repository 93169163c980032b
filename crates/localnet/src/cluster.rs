//! Where a test suite (or a scenario) runs: against the cluster in
//! `ANCHOR_PROVIDER_URL` when it is set — `anchor test` starts a
//! `solana-test-validator` with the program deployed and sets it — and
//! otherwise on an embedded `tasknet localnet` it starts itself. The same
//! scenarios run both ways.

use std::time::{Duration, Instant};

use super::{Localnet, LocalnetConfig, LocalnetError};

/// The environment variable `anchor test` sets to its validator's URL.
pub const PROVIDER_URL_VAR: &str = "ANCHOR_PROVIDER_URL";

pub enum Cluster {
    Embedded(Localnet),
    External {
        url: String,
        slot_duration: Duration,
    },
}

impl Cluster {
    /// The cluster in `ANCHOR_PROVIDER_URL`, or a new embedded one with
    /// `slot_duration`.
    pub async fn from_env(slot_duration: Duration) -> Result<Self, LocalnetError> {
        match std::env::var(PROVIDER_URL_VAR) {
            Ok(url) if !url.is_empty() => Ok(Self::external(url).await),
            _ => Self::embedded(slot_duration).await,
        }
    }

    /// A running cluster at `url`; its slot time is measured (400 ms if it
    /// cannot be).
    pub async fn external(url: String) -> Self {
        let measured = measure_slot_duration(&url).await;
        Cluster::External {
            url,
            slot_duration: measured.unwrap_or(Duration::from_millis(400)),
        }
    }

    pub async fn embedded(slot_duration: Duration) -> Result<Self, LocalnetError> {
        Ok(Cluster::Embedded(
            Localnet::start(LocalnetConfig {
                bind: "127.0.0.1:0".parse().expect("address"),
                slot_duration,
            })
            .await?,
        ))
    }

    pub fn url(&self) -> &str {
        match self {
            Cluster::Embedded(net) => &net.url,
            Cluster::External { url, .. } => url,
        }
    }

    /// Wall-clock length of a slot: set for an embedded chain, measured for
    /// an external one (schedules are in slots; timeouts are in seconds).
    pub fn slot_duration(&self) -> Duration {
        match self {
            Cluster::Embedded(net) => net.slot_duration,
            Cluster::External { slot_duration, .. } => *slot_duration,
        }
    }

    pub async fn stop(self) {
        if let Cluster::Embedded(net) = self {
            net.stop().await;
        }
    }
}

/// Slot time over one second of the cluster's clock.
async fn measure_slot_duration(url: &str) -> Option<Duration> {
    let rpc = solana_rpc_client::nonblocking::rpc_client::RpcClient::new(url.to_string());
    let (start, started) = (rpc.get_slot().await.ok()?, Instant::now());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let slots = rpc.get_slot().await.ok()?.checked_sub(start)?;
    (slots > 0).then(|| started.elapsed() / slots as u32)
}
