//! `tasknet token create`: a Token-2022 mint to pay a task in, for local
//! chains and devnet (a real project brings its own mint, or makes one with
//! `spl-token create-token`).

use clap::{Args, Subcommand};
use serde::Serialize;
use solana_signer::Signer;
use tasknet_demo::mint::{create_mint, NewMint};

use super::create::AssetUnits;
use crate::context::{CliError, Ctx};
use crate::output::Output;
use crate::sol::Amount;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a Token-2022 mint (name and symbol in its metadata, no freeze
    /// authority; you mint) and mint a supply to your associated token
    /// account.
    Create(CreateArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// The symbol wallets and `task show` print.
    #[arg(long)]
    symbol: String,
    /// The token's name (default: the symbol).
    #[arg(long)]
    name: Option<String>,
    /// Decimal places of the token's amounts (6, as USDC's).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=9))]
    decimals: u8,
    /// How much to mint to you, in the token's units ("1000").
    #[arg(long, default_value = "0")]
    supply: Amount,
}

#[derive(Serialize)]
pub struct Created {
    pub mint: String,
    pub symbol: String,
    pub decimals: u8,
    /// Your associated token account of the mint, holding the supply.
    pub token_account: String,
    pub supply: String,
}

impl TokenCommand {
    pub async fn run(self, ctx: &Ctx) -> Result<Output, CliError> {
        match self {
            Self::Create(args) => Ok(Output::record(&create(ctx, args).await?)),
        }
    }
}

async fn create(ctx: &Ctx, args: CreateArgs) -> Result<Created, CliError> {
    if args.symbol.is_empty() || args.symbol.len() > 10 {
        return Err(CliError::Input("--symbol takes 1 to 10 characters".into()));
    }
    let supply = args
        .supply
        .units(args.decimals, &args.symbol)
        .map_err(CliError::Input)?;
    let signer = ctx.signer()?;
    let new = NewMint {
        name: args.name.unwrap_or_else(|| args.symbol.clone()),
        symbol: args.symbol,
        decimals: args.decimals,
    };
    let asset = create_mint(&ctx.chain, &signer, &new, supply).await?;
    let units = AssetUnits::of_mint(ctx, &asset.mint).await?;
    Ok(Created {
        mint: asset.mint.to_string(),
        symbol: units.label(),
        decimals: new.decimals,
        token_account: asset.ata(&signer.pubkey()).to_string(),
        supply: units.format(supply),
    })
}
