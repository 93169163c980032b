//! `tasknet balance [ADDRESS]`: an account's SOL, the keypair's by default.

use anchor_lang::prelude::Pubkey;
use clap::Args;
use serde::Serialize;
use solana_signer::Signer;

use crate::context::{CliError, Ctx};
use crate::sol::Sol;

#[derive(Args)]
pub struct BalanceArgs {
    /// The account's address; default the keypair's.
    address: Option<Pubkey>,
}

#[derive(Serialize)]
pub struct Balance {
    pub address: String,
    pub balance_sol: Sol,
}

pub async fn run(ctx: &Ctx, args: BalanceArgs) -> Result<Balance, CliError> {
    let address = match args.address {
        Some(address) => address,
        None => ctx.signer()?.pubkey(),
    };
    Ok(Balance {
        address: address.to_string(),
        balance_sol: Sol(ctx.chain.balance(&address).await?),
    })
}
