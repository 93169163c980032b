//! Token movements of token-bounty tasks (SPL Token and Token-2022), the
//! token counterpart of `utils`: every change to a token ledger field is
//! paired with exactly one of these. Every transfer is `transfer_checked`
//! (the mint and its decimals checked by the token program), signed by the
//! PDA that owns the source account.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022::extension::default_account_state::DefaultAccountState;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_2022::spl_token_2022::state::{AccountState, Mint as MintState};

use crate::errors::TasknetError;
use crate::pda;
use crate::token_program;

/// A token account without extensions: what both token programs create for
/// a mint whose extensions we accept (none of them adds an account
/// extension).
pub const TOKEN_ACCOUNT_LEN: usize = 165;

/// SPL Token and Token-2022: the only programs a task's tokens may live in.
pub fn is_token_program(program: &Pubkey) -> bool {
    *program == anchor_spl::token::ID || *program == anchor_spl::token_2022::ID
}

/// The mint extensions a task accepts: they change how a wallet shows the
/// token, never who can move it or how much arrives.
fn accepted(extension: ExtensionType) -> Result<()> {
    use ExtensionType::*;
    match extension {
        MetadataPointer
        | TokenMetadata
        | GroupPointer
        | TokenGroup
        | GroupMemberPointer
        | TokenGroupMember
        | InterestBearingConfig
        | ScaledUiAmount
        | MintCloseAuthority
        | DefaultAccountState => Ok(()),
        // Someone outside the protocol could move or block the task's tokens.
        TransferHook => err!(TasknetError::MintHasTransferHook),
        PermanentDelegate => err!(TasknetError::MintHasPermanentDelegate),
        NonTransferable => err!(TasknetError::MintNonTransferable),
        ConfidentialTransferMint | ConfidentialTransferFeeConfig | ConfidentialMintBurn => {
            err!(TasknetError::MintHasConfidentialTransfers)
        }
        // Less would arrive than the ledger records.
        TransferFeeConfig => err!(TasknetError::MintHasTransferFee),
        Pausable => err!(TasknetError::MintPausable),
        _ => err!(TasknetError::MintExtensionUnsupported),
    }
}

/// Reads a reward mint and refuses one that would break the token ledger
/// or let anyone outside the protocol move or freeze the task's tokens.
/// Returns its decimals.
pub fn check_mint(mint: &AccountInfo<'_>, accept_freeze_authority: bool) -> Result<u8> {
    require!(
        is_token_program(mint.owner),
        TasknetError::WrongTokenProgram
    );
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<MintState>::unpack(&data)
        .map_err(|_| error!(TasknetError::MintUnreadable))?;
    require!(state.base.is_initialized, TasknetError::MintUnreadable);
    let extensions = state
        .get_extension_types()
        .map_err(|_| error!(TasknetError::MintUnreadable))?;
    for extension in extensions {
        accepted(extension)?;
    }
    if let Ok(default_state) = state.get_extension::<DefaultAccountState>() {
        require!(
            default_state.state != AccountState::Frozen as u8,
            TasknetError::MintDefaultFrozen
        );
    }
    require!(
        state.base.freeze_authority.is_none() || accept_freeze_authority,
        TasknetError::MintFreezeAuthorityNotAccepted
    );
    Ok(state.base.decimals)
}

/// Creates a token account of `mint` at the PDA `seeds` + `bump`, owned by
/// the token program and with `authority` as its owner, paid by `payer`
/// (through `pda::create_at`, so a donation to the address cannot block
/// it). Lamports donated to the address stay in it and go where its rent
/// goes when it closes.
pub fn create_token_account<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    token_program: &AccountInfo<'info>,
    seeds: &[&[u8]],
    bump: u8,
) -> Result<()> {
    pda::create_owned_by(
        payer,
        account,
        seeds,
        bump,
        TOKEN_ACCOUNT_LEN,
        token_program.key,
    )?;
    token_program::initialize_account3(token_program.key, account, mint, authority.key)
}

/// The accounts of one token movement.
pub struct TokenMove<'a, 'info> {
    pub token_program: &'a AccountInfo<'info>,
    pub mint: &'a AccountInfo<'info>,
    pub decimals: u8,
}

impl<'info> TokenMove<'_, 'info> {
    /// Moves `amount` from `from` to `to`; `authority` owns `from` and
    /// signs with `signer_seeds` when it is a PDA (empty when it signed
    /// the transaction).
    pub fn transfer(
        &self,
        from: &AccountInfo<'info>,
        to: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        signer_seeds: &[&[&[u8]]],
        amount: u64,
    ) -> Result<()> {
        if amount == 0 {
            return Ok(());
        }
        token_program::transfer_checked(
            self.token_program.key,
            from,
            self.mint,
            to,
            authority,
            signer_seeds,
            amount,
            self.decimals,
        )
    }

    /// Closes an empty token account owned by the PDA `authority`: its
    /// rent goes to `destination`.
    pub fn close(
        &self,
        account: &AccountInfo<'info>,
        destination: &AccountInfo<'info>,
        authority: &AccountInfo<'info>,
        signer_seeds: &[&[&[u8]]],
    ) -> Result<()> {
        token_program::close_account(
            self.token_program.key,
            account,
            destination,
            authority,
            signer_seeds,
        )
    }
}

/// Whether an instruction on a token task (`is_token_task`) or a SOL task
/// got the token accounts it needs: all of them for a token task, none for
/// a SOL task. Returns `is_token_task`.
pub fn expect_accounts(is_token_task: bool, given: &[bool]) -> Result<bool> {
    if is_token_task {
        require!(
            given.iter().all(|g| *g),
            TasknetError::TokenAccountsRequired
        );
    } else {
        require!(!given.iter().any(|g| *g), TasknetError::NotATokenTask);
    }
    Ok(is_token_task)
}

/// Refuses a token account that is not of `mint` or not owned by `owner`.
pub fn check_holder(
    account: &anchor_spl::token_interface::TokenAccount,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Result<()> {
    require_keys_eq!(account.mint, *mint, TasknetError::WrongMint);
    require_keys_eq!(account.owner, *owner, TasknetError::WrongTokenOwner);
    Ok(())
}

/// The account behind an `InterfaceAccount` (which is also `AsRef` of its
/// data, so `as_ref()` alone is ambiguous).
pub fn info<'a, 'info, T>(account: &'a InterfaceAccount<'info, T>) -> &'a AccountInfo<'info>
where
    T: AccountSerialize + AccountDeserialize + Clone,
{
    account.as_ref()
}

/// The fields of a token account the per-node path checks, read in place
/// (a full `InterfaceAccount` unpack costs compute on every claim). Both
/// token programs keep them at the same offsets.
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
}

/// Offsets in a token account: mint, owner, state (0 = uninitialized).
const ACCOUNT_MINT: usize = 0;
const ACCOUNT_OWNER: usize = 32;
const ACCOUNT_STATE: usize = 108;
/// Offset of `decimals` in a mint.
const MINT_DECIMALS: usize = 44;
const MINT_LEN: usize = 82;

fn key_at(data: &[u8], offset: usize) -> Result<Pubkey> {
    let bytes: [u8; 32] = data
        .get(offset..offset.saturating_add(32))
        .and_then(|b| b.try_into().ok())
        .ok_or(TasknetError::TokenAccountMissing)?;
    Ok(Pubkey::new_from_array(bytes))
}

/// Reads an initialized token account of `token_program`.
pub fn read_token_account(
    account: &AccountInfo<'_>,
    token_program: &Pubkey,
) -> Result<TokenAccountView> {
    let data = account.try_borrow_data()?;
    require!(
        account.owner == token_program || data.is_empty(),
        TasknetError::WrongTokenProgram
    );
    require!(
        data.len() >= TOKEN_ACCOUNT_LEN && data.get(ACCOUNT_STATE).is_some_and(|s| *s != 0),
        TasknetError::TokenAccountMissing
    );
    Ok(TokenAccountView {
        mint: key_at(&data, ACCOUNT_MINT)?,
        owner: key_at(&data, ACCOUNT_OWNER)?,
    })
}

/// A mint's decimals, read in place from a mint of `token_program`.
pub fn decimals_of(mint: &AccountInfo<'_>, token_program: &Pubkey) -> Result<u8> {
    require!(mint.owner == token_program, TasknetError::WrongTokenProgram);
    let data = mint.try_borrow_data()?;
    require!(data.len() >= MINT_LEN, TasknetError::MintUnreadable);
    data.get(MINT_DECIMALS)
        .copied()
        .ok_or_else(|| error!(TasknetError::MintUnreadable))
}
