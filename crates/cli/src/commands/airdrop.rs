//! `tasknet airdrop`: SOL from the cluster's faucet.

use anchor_lang::prelude::Pubkey;
use clap::Args;
use serde::Serialize;
use solana_signer::Signer;

use crate::context::{CliError, Ctx};
use crate::sol::Sol;

#[derive(Args)]
pub struct AirdropArgs {
    /// SOL to request (up to 9 decimals).
    amount: Sol,
    /// Recipient; default the keypair's address.
    #[arg(long)]
    to: Option<Pubkey>,
}

#[derive(Serialize)]
pub struct Airdropped {
    pub address: String,
    pub balance_sol: Sol,
}

pub async fn run(ctx: &Ctx, args: AirdropArgs) -> Result<Airdropped, CliError> {
    let to = match args.to {
        Some(to) => to,
        None => ctx.signer()?.pubkey(),
    };
    ctx.chain.airdrop(&to, args.amount.lamports()).await?;
    Ok(Airdropped {
        address: to.to_string(),
        balance_sol: Sol(ctx.chain.balance(&to).await?),
    })
}
