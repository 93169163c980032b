use anchor_lang::prelude::*;

/// Holds every lamport of one task. Program-owned so the program can move
/// lamports out directly; inflows are system transfers.
#[account]
#[derive(InitSpace, Debug)]
pub struct Vault {
    pub task: Pubkey,
    pub bump: u8,
}
