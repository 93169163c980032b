//! Token tasks from the client side: the reward asset (mint and token
//! program), associated token accounts, and the token program ids.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::associated_token::{
    get_associated_token_address_with_program_id, spl_associated_token_account,
};
use tasknet::state::{Task, TokenReward};

pub use anchor_spl::associated_token::ID as ASSOCIATED_TOKEN_PROGRAM_ID;
pub use anchor_spl::token::ID as TOKEN_PROGRAM_ID;
pub use anchor_spl::token_2022::ID as TOKEN_2022_PROGRAM_ID;

/// What a token task pays in: its mint and the token program that owns it
/// (SPL Token or Token-2022). Builders given `None` instead build a SOL
/// task's instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAsset {
    pub mint: Pubkey,
    pub token_program: Pubkey,
}

impl TokenAsset {
    pub fn new(mint: Pubkey, token_program: Pubkey) -> Self {
        Self {
            mint,
            token_program,
        }
    }

    /// The asset a task pays in: `None` for a SOL task.
    pub fn of(task: &Task) -> Option<Self> {
        task.reward_token.as_ref().map(Self::from)
    }

    /// `owner`'s associated token account of this mint.
    pub fn ata(&self, owner: &Pubkey) -> Pubkey {
        get_associated_token_address_with_program_id(owner, &self.mint, &self.token_program)
    }

    /// Creates `owner`'s associated token account unless it exists (then
    /// it does nothing), paid by `payer`: a node puts it before its first
    /// claim of a token task.
    pub fn create_ata(&self, payer: &Pubkey, owner: &Pubkey) -> Instruction {
        spl_associated_token_account::instruction::create_associated_token_account_idempotent(
            payer,
            owner,
            &self.mint,
            &self.token_program,
        )
    }

    pub fn is_token_2022(&self) -> bool {
        self.token_program == TOKEN_2022_PROGRAM_ID
    }
}

impl From<&TokenReward> for TokenAsset {
    fn from(reward: &TokenReward) -> Self {
        Self::new(reward.mint, reward.token_program)
    }
}

/// What clients show of a mint: its decimals and, when its Token-2022
/// metadata has one, its symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintInfo {
    pub asset: TokenAsset,
    pub decimals: u8,
    pub symbol: Option<String>,
}

impl MintInfo {
    /// Reads a mint account (`owner` is the program that owns it): `None`
    /// when it is not a mint of SPL Token or Token-2022.
    pub fn read(mint: Pubkey, owner: &Pubkey, data: &[u8]) -> Option<Self> {
        if *owner != TOKEN_PROGRAM_ID && *owner != TOKEN_2022_PROGRAM_ID {
            return None;
        }
        // A mint is 82 bytes; with extensions, 165 (padding) + an account
        // type byte (1 = mint) + the extensions.
        let is_mint = data.len() == MINT_LEN
            || (data.len() > EXTENSIONS_AT && data.get(ACCOUNT_TYPE_AT) == Some(&1));
        if !is_mint || data.get(45) != Some(&1) {
            return None;
        }
        Some(Self {
            asset: TokenAsset::new(mint, *owner),
            decimals: *data.get(44)?,
            symbol: metadata_symbol(data),
        })
    }

    /// The name people read: the symbol, or the mint's address.
    pub fn label(&self) -> String {
        self.symbol
            .clone()
            .unwrap_or_else(|| self.asset.mint.to_string())
    }
}

const MINT_LEN: usize = 82;
const ACCOUNT_TYPE_AT: usize = 165;
const EXTENSIONS_AT: usize = 166;

/// The symbol in a Token-2022 mint's metadata extension (type-length-value
/// entries after the account type; the value is Borsh: update authority,
/// mint, name, symbol, …).
fn metadata_symbol(data: &[u8]) -> Option<String> {
    use anchor_spl::token_2022::spl_token_2022::extension::ExtensionType;
    let metadata = ExtensionType::TokenMetadata as u16;
    let mut at = EXTENSIONS_AT;
    while let Some(header) = data.get(at..at + 4) {
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let value = data.get(at + 4..at + 4 + len)?;
        if kind == metadata {
            let string_at = |offset: usize| -> Option<(String, usize)> {
                let n = u32::from_le_bytes(value.get(offset..offset + 4)?.try_into().ok()?);
                let end = offset + 4 + usize::try_from(n).ok()?;
                let text = std::str::from_utf8(value.get(offset + 4..end)?).ok()?;
                Some((text.to_string(), end))
            };
            let (_name, after_name) = string_at(64)?;
            let (symbol, _) = string_at(after_name)?;
            return (!symbol.is_empty()).then_some(symbol);
        }
        at += 4 + len;
    }
    None
}
