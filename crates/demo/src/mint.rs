//! The token demo's mint: a Token-2022 mint with its name and symbol in
//! its own metadata extension (what wallets and `tasknet task show` read),
//! created by the real Token-2022 program on the scenario's chain.

use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022::extension::{metadata_pointer, ExtensionType};
use anchor_spl::token_2022::spl_token_2022::instruction as token_ix;
use anchor_spl::token_2022::spl_token_2022::state::Mint;
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_sdk::chain::{ChainClient, ChainError};
use tasknet_sdk::tokens::{TokenAsset, TOKEN_2022_PROGRAM_ID};

/// The demo token's decimals, name and symbol.
pub const DECIMALS: u8 = 6;
pub const NAME: &str = "tasknet demo token";
pub const SYMBOL: &str = "TASK";

/// Creates the demo mint (`authority` mints, no freeze authority) and
/// mints `amount` into `authority`'s associated token account.
pub async fn create_demo_mint(
    chain: &ChainClient,
    authority: &Keypair,
    amount: u64,
) -> Result<TokenAsset, ChainError> {
    let demo = NewMint {
        name: NAME.into(),
        symbol: SYMBOL.into(),
        decimals: DECIMALS,
    };
    create_mint(chain, authority, &demo, amount).await
}

/// A Token-2022 mint to make: its metadata and decimals.
#[derive(Clone, Debug)]
pub struct NewMint {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
}

/// Creates a Token-2022 mint with its name and symbol in its own metadata
/// extension (`authority` mints and updates the metadata; no freeze
/// authority), and mints `amount` (smallest units) into `authority`'s
/// associated token account.
pub async fn create_mint(
    chain: &ChainClient,
    authority: &Keypair,
    new: &NewMint,
    amount: u64,
) -> Result<TokenAsset, ChainError> {
    let mint = Keypair::new();
    let program = TOKEN_2022_PROGRAM_ID;
    let asset = TokenAsset::new(mint.pubkey(), program);
    let me = authority.pubkey();
    let space = ExtensionType::try_calculate_account_len::<Mint>(&[ExtensionType::MetadataPointer])
        .map_err(instruction_error)?;
    // Token-2022 grows the mint to hold the metadata: it must already hold
    // the rent of the grown account. Header, authority, mint, three
    // strings and an empty list.
    let metadata = 4 + 32 + 32 + (4 + new.name.len()) + (4 + new.symbol.len()) + 4 + 4;
    let rent = chain
        .rpc()
        .get_minimum_balance_for_rent_exemption(space + metadata)
        .await
        .map_err(|e| ChainError::Rpc(e.to_string()))?;
    let create = [
        system_instruction::create_account(&me, &mint.pubkey(), rent, space as u64, &program),
        metadata_pointer::instruction::initialize(
            &program,
            &mint.pubkey(),
            Some(me),
            Some(mint.pubkey()),
        )
        .map_err(instruction_error)?,
        token_ix::initialize_mint2(&program, &mint.pubkey(), &me, None, new.decimals)
            .map_err(instruction_error)?,
        spl_token_metadata_interface::instruction::initialize(
            &program,
            &mint.pubkey(),
            &me,
            &mint.pubkey(),
            &me,
            new.name.clone(),
            new.symbol.clone(),
            String::new(),
        ),
    ];
    chain.send(&create, authority, &[&mint]).await?;
    let fill = [
        asset.create_ata(&me, &me),
        token_ix::mint_to(&program, &mint.pubkey(), &asset.ata(&me), &me, &[], amount)
            .map_err(instruction_error)?,
    ];
    chain.send(&fill, authority, &[]).await?;
    Ok(asset)
}

/// Token-2022's builders refuse only another program id; ours is fixed.
fn instruction_error(e: impl std::fmt::Display) -> ChainError {
    ChainError::Rpc(format!("building a Token-2022 instruction: {e}"))
}
