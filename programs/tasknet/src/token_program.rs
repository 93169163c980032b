//! The three token-program calls the program makes (`TransferChecked`,
//! `CloseAccount`, `InitializeAccount3`), encoded by hand; SPL Token and
//! Token-2022 share these layouts.
//!
//! anchor-spl's wrappers build their data with the token interface's
//! `TokenInstruction::pack`, which links an encoder for every instruction
//! of Token-2022 (about 5 KB of SBF code) for three fixed layouts: a one
//! byte tag, then the fields in order. The caller has already checked the
//! program is one of the two token programs (`Interface<TokenInterface>`
//! or the task's recorded token program). A unit test holds each one to
//! the interface's own builder.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

const INITIALIZE_ACCOUNT3: u8 = 18;
const CLOSE_ACCOUNT: u8 = 9;
const TRANSFER_CHECKED: u8 = 12;

/// `TransferChecked` of `amount` (of a mint with `decimals`) from `from`
/// to `to`, signed by `authority` (with `signer_seeds` when it is a PDA).
#[allow(clippy::too_many_arguments)]
pub fn transfer_checked<'info>(
    program: &Pubkey,
    from: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
    amount: u64,
    decimals: u8,
) -> Result<()> {
    let instruction = transfer_checked_instruction(
        program,
        from.key,
        mint.key,
        to.key,
        authority.key,
        amount,
        decimals,
    );
    let infos = [from.clone(), mint.clone(), to.clone(), authority.clone()];
    invoke_signed(&instruction, &infos, signer_seeds).map_err(Into::into)
}

/// `CloseAccount`: the empty token account `account`'s rent goes to
/// `destination`, signed by its owner `authority`.
pub fn close_account<'info>(
    program: &Pubkey,
    account: &AccountInfo<'info>,
    destination: &AccountInfo<'info>,
    authority: &AccountInfo<'info>,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    let instruction =
        close_account_instruction(program, account.key, destination.key, authority.key);
    let infos = [account.clone(), destination.clone(), authority.clone()];
    invoke_signed(&instruction, &infos, signer_seeds).map_err(Into::into)
}

/// `InitializeAccount3`: `account` becomes a token account of `mint`
/// owned by `owner`.
pub fn initialize_account3<'info>(
    program: &Pubkey,
    account: &AccountInfo<'info>,
    mint: &AccountInfo<'info>,
    owner: &Pubkey,
) -> Result<()> {
    let instruction = initialize_account3_instruction(program, account.key, mint.key, owner);
    let infos = [account.clone(), mint.clone()];
    invoke_signed(&instruction, &infos, &[]).map_err(Into::into)
}

fn instruction(
    program: &Pubkey,
    tag: u8,
    accounts: Vec<AccountMeta>,
    fields: &[&[u8]],
) -> Instruction {
    let mut data = Vec::with_capacity(33);
    data.push(tag);
    for field in fields {
        data.extend_from_slice(field);
    }
    Instruction {
        program_id: *program,
        accounts,
        data,
    }
}

fn transfer_checked_instruction(
    program: &Pubkey,
    from: &Pubkey,
    mint: &Pubkey,
    to: &Pubkey,
    authority: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Instruction {
    instruction(
        program,
        TRANSFER_CHECKED,
        vec![
            AccountMeta::new(*from, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*to, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        &[&amount.to_le_bytes(), &[decimals]],
    )
}

fn close_account_instruction(
    program: &Pubkey,
    account: &Pubkey,
    destination: &Pubkey,
    authority: &Pubkey,
) -> Instruction {
    instruction(
        program,
        CLOSE_ACCOUNT,
        vec![
            AccountMeta::new(*account, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        &[],
    )
}

fn initialize_account3_instruction(
    program: &Pubkey,
    account: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Instruction {
    instruction(
        program,
        INITIALIZE_ACCOUNT3,
        vec![
            AccountMeta::new(*account, false),
            AccountMeta::new_readonly(*mint, false),
        ],
        &[owner.as_ref()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_spl::token_2022::spl_token_2022::instruction as reference;

    #[test]
    fn hand_encoded_instructions_equal_the_token_interface_builders() {
        let [from, mint, to, authority] = [(); 4].map(|_| Pubkey::new_unique());
        for program in [anchor_spl::token::ID, anchor_spl::token_2022::ID] {
            assert_eq!(
                transfer_checked_instruction(&program, &from, &mint, &to, &authority, 1 << 40, 9),
                reference::transfer_checked(
                    &program,
                    &from,
                    &mint,
                    &to,
                    &authority,
                    &[],
                    1 << 40,
                    9
                )
                .unwrap()
            );
            assert_eq!(
                close_account_instruction(&program, &from, &to, &authority),
                reference::close_account(&program, &from, &to, &authority, &[]).unwrap()
            );
            assert_eq!(
                initialize_account3_instruction(&program, &from, &mint, &authority),
                reference::initialize_account3(&program, &from, &mint, &authority).unwrap()
            );
        }
    }
}
