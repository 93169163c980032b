use anchor_lang::compat::solana_sysvar::slot_hashes;
use anchor_lang::prelude::*;

use crate::errors::TasknetError;
use crate::events::{emit, AuditSeedRecorded};
use crate::state::in_place;
use crate::state::RoundData;

/// Records a round's audit seed from the `SlotHashes` sysvar: the hash of
/// the first block after the submit window (`logic::audit_seed`). Anyone
/// may send it once that block exists; the first `reveal` after it records
/// the seed too, so a commit–reveal round rarely needs this crank. The
/// round is written in place (`state::in_place`), as `reveal` writes it.
#[derive(Accounts)]
pub struct RecordAuditSeed<'info> {
    /// CHECK: a `Round` (`in_place::load_mut`).
    #[account(mut)]
    pub round_account: UncheckedAccount<'info>,
    /// CHECK: the SlotHashes sysvar (address-checked), read in place.
    #[account(address = slot_hashes::ID @ TasknetError::WrongSysvar)]
    pub slot_hashes: UncheckedAccount<'info>,
}

impl RecordAuditSeed<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let round = in_place::load::<RoundData>(&self.round_account)?;
        require!(!round.seed_recorded(), TasknetError::SeedAlreadyRecorded);
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let accounts = ctx.accounts;
        let data = accounts.slot_hashes.try_borrow_data()?;
        let mut round = in_place::load_mut::<RoundData>(&accounts.round_account)?;
        round.record_seed(&data)?;
        emit(AuditSeedRecorded {
            task: round.task,
            round: round.round,
            slot: round.seed_slot,
        });
        Ok(())
    }
}
