//! `tasknet keygen`: a new keypair file, as the Solana CLI writes them.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_sdk::keys::write_keypair;

use crate::context::CliError;

#[derive(Args)]
pub struct KeygenArgs {
    #[command(flatten)]
    _cluster: crate::context::UnusedClusterFlags,
    /// Where to write it.
    #[arg(long)]
    outfile: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    force: bool,
}

#[derive(Serialize)]
pub struct Generated {
    pub address: String,
    pub outfile: String,
}

pub fn run(args: KeygenArgs) -> Result<Generated, CliError> {
    if args.outfile.exists() && !args.force {
        let message = format!(
            "{} exists; pass --force to overwrite it",
            args.outfile.display()
        );
        return Err(CliError::Input(message));
    }
    let keypair = Keypair::new();
    write_keypair(&keypair, &args.outfile)?;
    Ok(Generated {
        address: keypair.pubkey().to_string(),
        outfile: args.outfile.display().to_string(),
    })
}
