//! The four System Program calls the program makes, encoded by hand.
//!
//! Anchor's `system_program` wrappers build their data with
//! `Instruction::new_with_bincode::<SystemInstruction>`, which links a
//! bincode encoder for every variant of the enum: 14.7 KB of SBF code for
//! four fixed layouts. The layouts are bincode's: a little-endian `u32`
//! variant index, then the fields in order. A unit test holds each one to
//! `solana_system_interface`'s own builder.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

const CREATE_ACCOUNT: u32 = 0;
const ASSIGN: u32 = 1;
const TRANSFER: u32 = 2;
const ALLOCATE: u32 = 8;

/// `CreateAccount`: `to` (signing with `signer_seeds`) gets `lamports`,
/// `space` bytes and `owner`, paid by `from`.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn create_account<'info>(
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    lamports: u64,
    space: u64,
    owner: &Pubkey,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    let instruction = create_account_instruction(from.key, to.key, lamports, space, owner);
    call(&instruction, &[from.clone(), to.clone()], signer_seeds)
}

/// `Transfer`: `lamports` from the system account `from` to `to`.
pub fn transfer<'info>(
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    lamports: u64,
) -> Result<()> {
    let instruction = transfer_instruction(from.key, to.key, lamports);
    call(&instruction, &[from.clone(), to.clone()], &[])
}

/// `Allocate`: gives `account` (signing with `signer_seeds`) `space` bytes.
pub fn allocate<'info>(
    account: &AccountInfo<'info>,
    space: u64,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    let instruction = allocate_instruction(account.key, space);
    call(&instruction, std::slice::from_ref(account), signer_seeds)
}

/// `Assign`: hands `account` (signing with `signer_seeds`) to `owner`.
pub fn assign<'info>(
    account: &AccountInfo<'info>,
    owner: &Pubkey,
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    let instruction = assign_instruction(account.key, owner);
    call(&instruction, std::slice::from_ref(account), signer_seeds)
}

#[cfg_attr(target_os = "solana", optimize(speed))]
fn call(
    instruction: &Instruction,
    infos: &[AccountInfo<'_>],
    signer_seeds: &[&[&[u8]]],
) -> Result<()> {
    invoke_signed(instruction, infos, signer_seeds).map_err(Into::into)
}

#[cfg_attr(target_os = "solana", optimize(speed))]
fn instruction(variant: u32, accounts: Vec<AccountMeta>, fields: &[&[u8]]) -> Instruction {
    let mut data = Vec::with_capacity(52);
    data.extend_from_slice(&variant.to_le_bytes());
    for field in fields {
        data.extend_from_slice(field);
    }
    Instruction {
        program_id: anchor_lang::system_program::ID,
        accounts,
        data,
    }
}

#[cfg_attr(target_os = "solana", optimize(speed))]
fn create_account_instruction(
    from: &Pubkey,
    to: &Pubkey,
    lamports: u64,
    space: u64,
    owner: &Pubkey,
) -> Instruction {
    instruction(
        CREATE_ACCOUNT,
        vec![AccountMeta::new(*from, true), AccountMeta::new(*to, true)],
        &[
            &lamports.to_le_bytes(),
            &space.to_le_bytes(),
            owner.as_ref(),
        ],
    )
}

fn transfer_instruction(from: &Pubkey, to: &Pubkey, lamports: u64) -> Instruction {
    instruction(
        TRANSFER,
        vec![AccountMeta::new(*from, true), AccountMeta::new(*to, false)],
        &[&lamports.to_le_bytes()],
    )
}

fn allocate_instruction(account: &Pubkey, space: u64) -> Instruction {
    instruction(
        ALLOCATE,
        vec![AccountMeta::new(*account, true)],
        &[&space.to_le_bytes()],
    )
}

fn assign_instruction(account: &Pubkey, owner: &Pubkey) -> Instruction {
    instruction(
        ASSIGN,
        vec![AccountMeta::new(*account, true)],
        &[owner.as_ref()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::system_instruction as reference;

    #[test]
    fn hand_encoded_instructions_equal_the_system_interface_builders() {
        let (a, b, owner) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let (lamports, space) = (1_461_600u64, 0x0102_0304_0506u64);
        assert_eq!(
            create_account_instruction(&a, &b, lamports, space, &owner),
            reference::create_account(&a, &b, lamports, space, &owner)
        );
        assert_eq!(
            transfer_instruction(&a, &b, lamports),
            reference::transfer(&a, &b, lamports)
        );
        assert_eq!(
            allocate_instruction(&a, space),
            reference::allocate(&a, space)
        );
        assert_eq!(
            assign_instruction(&a, &owner),
            reference::assign(&a, &owner)
        );
    }
}
