use anchor_lang::compat::solana_sysvar::slot_hashes;
use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, AuditSeedRecorded};
use crate::state::Round;

/// Records a round's audit seed from the `SlotHashes` sysvar: the hash of
/// the first block after the submit window (`logic::audit_seed`). Anyone
/// may send it once that block exists; the first `reveal` after it records
/// the seed too, so a commit–reveal round rarely needs this crank.
#[derive(Accounts)]
pub struct RecordAuditSeed<'info> {
    #[account(mut)]
    pub round_account: Box<Account<'info, Round>>,
    /// CHECK: the SlotHashes sysvar (address-checked), read in place.
    #[account(address = slot_hashes::ID @ TasknetError::WrongSysvar)]
    pub slot_hashes: UncheckedAccount<'info>,
}

impl RecordAuditSeed<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        require!(
            !self.round_account.seed_recorded(),
            TasknetError::SeedAlreadyRecorded
        );
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let data = accounts.slot_hashes.try_borrow_data()?;
        let round = &mut accounts.round_account;
        round.record_seed(&data)?;
        emit(AuditSeedRecorded {
            task: round.task,
            round: round.round,
            slot: round.seed_slot,
        });
        Ok(())
    }
}
