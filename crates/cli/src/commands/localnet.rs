//! `tasknet localnet`: the embedded development chain, until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use solana_signer::Signer;
use tasknet_localnet::{Localnet, LocalnetConfig};

use crate::context::CliError;

#[derive(Args)]
pub struct LocalnetArgs {
    #[command(flatten)]
    _cluster: crate::context::UnusedClusterFlags,
    /// Address to serve JSON-RPC on (PubSub is served on the next port).
    #[arg(long, default_value = "127.0.0.1:8899")]
    bind: SocketAddr,
    /// Milliseconds per slot.
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
}

pub async fn run(args: LocalnetArgs) -> Result<(), CliError> {
    let net = Localnet::start(LocalnetConfig {
        bind: args.bind,
        slot_duration: Duration::from_millis(args.slot_ms),
    })
    .await?;
    let banner = format!(
        "tasknet localnet: single-bank development chain (no consensus, no votes), JSON-RPC at {}, PubSub at {}\n\
         program {} (SBF) loaded; faucet {}; Ctrl-C to stop\n",
        net.url,
        net.ws_url,
        tasknet::ID,
        net.faucet().pubkey()
    );
    // A reader that went away (`tasknet localnet | head -1`) must not stop
    // the chain: the banner is best effort.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|_| out.flush());
    drop(out);
    tokio::signal::ctrl_c().await?;
    net.stop().await;
    Ok(())
}
