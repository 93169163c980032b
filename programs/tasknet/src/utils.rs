//! Lamport movements in and out of a task vault. Every change to a ledger
//! field is paired with exactly one of these.

use anchor_lang::prelude::*;

/// Moves `amount` from a signer's system account into the vault.
pub fn deposit<'info>(from: &Signer<'info>, vault: &AccountInfo<'info>, amount: u64) -> Result<()> {
    crate::system::transfer(&from.to_account_info(), vault, amount)
}

/// Moves `amount` out of a program-owned account (a vault or a round's
/// pool). No CPI is needed: the program may debit accounts it owns.
pub fn pay_out<'info>(
    from: &AccountInfo<'info>,
    to: &AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    if amount == 0 {
        return Ok(());
    }
    from.sub_lamports(amount)?;
    to.add_lamports(amount)?;
    Ok(())
}
