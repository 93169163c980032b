//! The SPL Token methods wallets and explorers call, answered as a
//! validator answers them (`http` parses their parameters and wraps these
//! answers) (agave's `rpc.rs` and `parsed_token_accounts.rs`
//! are the reference; the differential test checks the shapes and errors
//! against `solana-test-validator`): balances and supplies as
//! `UiTokenAmount`, the owner's token accounts (raw or `jsonParsed`), the
//! largest holders, and the mint data `jsonParsed` token accounts need.

use anchor_lang::prelude::Pubkey;
use anchor_spl::token_2022::spl_token_2022::extension::interest_bearing_mint::InterestBearingConfig;
use anchor_spl::token_2022::spl_token_2022::extension::scaled_ui_amount::ScaledUiAmountConfig;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::generic_token_account::GenericTokenAccount;
use anchor_spl::token_2022::spl_token_2022::state::{Account as TokenAccount, Mint};
use solana_account::Account;
use solana_account_decoder::parse_account_data::{
    AccountAdditionalDataV3, SplTokenAdditionalDataV2,
};
use solana_account_decoder::parse_token::{get_token_account_mint, token_amount_to_ui_amount_v3};
use solana_account_decoder_client_types::token::UiTokenAmount;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_rpc_client_api::response::RpcTokenAccountBalance;

use crate::ledger::Ledger;

/// A token account's owner and mint, where both token programs keep them.
const OWNER_OFFSET: usize = 32;
const MINT_OFFSET: usize = 0;
/// getTokenLargestAccounts answers at most this many.
const NUM_LARGEST_ACCOUNTS: usize = 20;

fn is_token_program(program: &Pubkey) -> bool {
    *program == anchor_spl::token::ID || *program == anchor_spl::token_2022::ID
}

/// What a token amount's display needs from its mint.
fn mint_data(ledger: &Ledger, data: &[u8]) -> Result<SplTokenAdditionalDataV2, Refusal> {
    let mint = StateWithExtensions::<Mint>::unpack(data)
        .map_err(|_| "Invalid param: Token mint could not be unpacked")?;
    let now = ledger.unix_timestamp();
    Ok(SplTokenAdditionalDataV2 {
        decimals: mint.base.decimals,
        interest_bearing_config: mint
            .get_extension::<InterestBearingConfig>()
            .map(|x| (*x, now))
            .ok(),
        scaled_ui_amount_config: mint
            .get_extension::<ScaledUiAmountConfig>()
            .map(|x| (*x, now))
            .ok(),
    })
}

/// A mint's owner (token program) and display data.
fn mint_owner_and_data(
    ledger: &Ledger,
    mint: &Pubkey,
) -> Result<(Pubkey, SplTokenAdditionalDataV2), Refusal> {
    if *mint == anchor_spl::token::spl_token::native_mint::ID {
        return Ok((
            anchor_spl::token::ID,
            SplTokenAdditionalDataV2::with_decimals(
                anchor_spl::token::spl_token::native_mint::DECIMALS,
            ),
        ));
    }
    let account = ledger
        .account(mint)
        .ok_or("Invalid param: could not find mint")?;
    Ok((account.owner, mint_data(ledger, &account.data)?))
}

/// The mint data a `jsonParsed` token account needs (its decimals); `None`
/// for any other account or encoding.
pub(crate) fn additional_data(
    ledger: &Ledger,
    account: &Account,
    encoding: Option<UiAccountEncoding>,
) -> Option<AccountAdditionalDataV3> {
    if encoding != Some(UiAccountEncoding::JsonParsed) || !is_token_program(&account.owner) {
        return None;
    }
    let mint = get_token_account_mint(&account.data)?;
    let mint_account = ledger.account(&mint)?;
    let data = mint_data(ledger, &mint_account.data).ok()?;
    Some(AccountAdditionalDataV3 {
        spl_token_additional_data: Some(data),
    })
}

/// What a token method refuses a request with: its invalid-params message,
/// word for word the validator's.
pub(crate) type Refusal = &'static str;

/// `getTokenAccountBalance`: a token account's balance.
pub(crate) fn account_balance(ledger: &Ledger, address: &Pubkey) -> Result<UiTokenAmount, Refusal> {
    let account = ledger
        .account(address)
        .ok_or("Invalid param: could not find account")?;
    if !is_token_program(&account.owner) {
        return Err("Invalid param: not a Token account");
    }
    let token = StateWithExtensions::<TokenAccount>::unpack(&account.data)
        .map_err(|_| "Invalid param: not a Token account")?;
    let (_, data) = mint_owner_and_data(ledger, &token.base.mint)?;
    Ok(token_amount_to_ui_amount_v3(token.base.amount, &data))
}

/// `getTokenSupply`: a mint's supply.
pub(crate) fn supply(ledger: &Ledger, mint: &Pubkey) -> Result<UiTokenAmount, Refusal> {
    let account = ledger
        .account(mint)
        .ok_or("Invalid param: could not find account")?;
    if !is_token_program(&account.owner) {
        return Err("Invalid param: not a Token mint");
    }
    let state = StateWithExtensions::<Mint>::unpack(&account.data)
        .map_err(|_| "Invalid param: mint could not be unpacked")?;
    let data = mint_data(ledger, &account.data)?;
    Ok(token_amount_to_ui_amount_v3(state.base.supply, &data))
}

/// Initialized token accounts of `program` whose key at `offset` is `key`.
fn token_accounts_where(
    ledger: &Ledger,
    program: &Pubkey,
    offset: usize,
    key: &Pubkey,
) -> Vec<(Pubkey, Account)> {
    ledger.program_accounts(program, |data| {
        TokenAccount::valid_account_data(data)
            && data.get(offset..offset + 32) == Some(key.as_ref())
    })
}

/// `getTokenLargestAccounts`: the largest holders of a mint, largest
/// first (equal amounts in key order), at most 20.
pub(crate) fn largest_accounts(
    ledger: &Ledger,
    mint: &Pubkey,
) -> Result<Vec<RpcTokenAccountBalance>, Refusal> {
    let (owner, data) = mint_owner_and_data(ledger, mint)?;
    if !is_token_program(&owner) {
        return Err("Invalid param: not a Token mint");
    }
    let mut balances: Vec<(u64, RpcTokenAccountBalance)> =
        token_accounts_where(ledger, &owner, MINT_OFFSET, mint)
            .into_iter()
            .map(|(address, account)| {
                let amount = StateWithExtensions::<TokenAccount>::unpack(&account.data)
                    .map(|a| a.base.amount)
                    .unwrap_or(0);
                let balance = RpcTokenAccountBalance {
                    address: address.to_string(),
                    amount: token_amount_to_ui_amount_v3(amount, &data),
                };
                (amount, balance)
            })
            .collect();
    balances.sort_by_key(|b| std::cmp::Reverse(b.0));
    balances.truncate(NUM_LARGEST_ACCOUNTS);
    Ok(balances.into_iter().map(|(_, b)| b).collect())
}

/// Which of an owner's token accounts `getTokenAccountsByOwner` wants.
pub(crate) enum OwnerFilter {
    Mint(Pubkey),
    Program(Pubkey),
}

/// `getTokenAccountsByOwner`: an owner's token accounts of a mint or a
/// token program.
pub(crate) fn owner_accounts(
    ledger: &Ledger,
    owner: &Pubkey,
    filter: OwnerFilter,
) -> Result<Vec<(Pubkey, Account)>, Refusal> {
    let (program, mint) = match filter {
        OwnerFilter::Mint(mint) => {
            let (program, _) = mint_owner_and_data(ledger, &mint)?;
            if !is_token_program(&program) {
                return Err("Invalid param: not a Token mint");
            }
            (program, Some(mint))
        }
        OwnerFilter::Program(program) => {
            if !is_token_program(&program) {
                return Err("Invalid param: unrecognized Token program id");
            }
            (program, None)
        }
    };
    Ok(token_accounts_where(ledger, &program, OWNER_OFFSET, owner)
        .into_iter()
        .filter(|(_, a)| mint.is_none_or(|m| a.data.get(MINT_OFFSET..32) == Some(m.as_ref())))
        .collect())
}
