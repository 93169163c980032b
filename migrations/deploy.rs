//! The post-deploy step: reconcile the tasks declared in a manifest with the
//! cluster (`anchor run migrate`, see Anchor.toml). It creates missing tasks,
//! tops bounties up to their target, and updates metadata and code hashes;
//! it never touches anything else, and running it again changes nothing.
//!
//! Cluster and wallet come from the variables `anchor run` sets
//! (`ANCHOR_PROVIDER_URL`, `ANCHOR_WALLET`), falling back to localnet and
//! the Solana CLI's default keypair.
//!
//! ```sh
//! cargo run --bin tasknet-migrate -- migrations/tasks.toml
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use tasknet_cli::commands::manifest;
use tasknet_cli::config::expand_home;
use tasknet_cli::output::Output;
use tasknet_cli::Ctx;
use tasknet_sdk::chain::{ChainClient, SendConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let manifest_path = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "migrations/tasks.toml".into()),
    );
    let url =
        std::env::var("ANCHOR_PROVIDER_URL").unwrap_or_else(|_| "http://127.0.0.1:8899".into());
    let wallet =
        std::env::var("ANCHOR_WALLET").unwrap_or_else(|_| "~/.config/solana/id.json".into());
    let ctx = Ctx {
        chain: ChainClient::new(&url, SendConfig::default()),
        keypair_path: expand_home(&wallet),
    };
    match manifest::apply(&ctx, &manifest_path).await {
        Ok(rows) => {
            print!("{}", Output::table(&rows).render(false));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
