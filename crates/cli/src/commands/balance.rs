//! `tasknet balance [ADDRESS] [--mint MINT]`: an account's SOL (the
//! keypair's by default), or its tokens of a mint.

use anchor_lang::prelude::Pubkey;
use clap::Args;
use serde::Serialize;
use solana_signer::Signer;

use super::create::AssetUnits;
use crate::context::{CliError, Ctx};
use crate::sol::Sol;

#[derive(Args)]
pub struct BalanceArgs {
    /// The account's address; default the keypair's.
    address: Option<Pubkey>,
    /// Show its tokens of this mint (in its associated token account)
    /// instead of its SOL.
    #[arg(long)]
    mint: Option<Pubkey>,
}

#[derive(Serialize)]
pub struct Balance {
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_sol: Option<Sol>,
    /// With `--mint`: the balance in the mint's units, and its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_account: Option<String>,
}

pub async fn run(ctx: &Ctx, args: BalanceArgs) -> Result<Balance, CliError> {
    let address = match args.address {
        Some(address) => address,
        None => ctx.signer()?.pubkey(),
    };
    let Some(mint) = args.mint else {
        return Ok(Balance {
            address: address.to_string(),
            balance_sol: Some(Sol(ctx.chain.balance(&address).await?)),
            balance: None,
            asset: None,
            token_account: None,
        });
    };
    let units = AssetUnits::of_mint(ctx, &mint).await?;
    let account = units
        .asset()
        .map(|a| a.ata(&address))
        .ok_or_else(|| CliError::Input(format!("{mint} is not a mint")))?;
    Ok(Balance {
        address: address.to_string(),
        balance_sol: None,
        balance: Some(units.format(ctx.chain.token_balance(&account).await?)),
        asset: Some(units.label()),
        token_account: Some(account.to_string()),
    })
}
