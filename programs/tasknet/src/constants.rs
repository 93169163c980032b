//! PDA seeds and size limits.

use anchor_lang::prelude::*;

#[constant]
pub const TASK_SEED: &[u8] = b"task";
#[constant]
pub const VAULT_SEED: &[u8] = b"vault";
#[constant]
pub const STAKE_SEED: &[u8] = b"stake";
#[constant]
pub const ROUND_SEED: &[u8] = b"round";
#[constant]
pub const SUBMISSION_SEED: &[u8] = b"submission";
#[constant]
pub const AUDIT_SEED: &[u8] = b"audit";
#[constant]
pub const VOTE_SEED: &[u8] = b"vote";
/// A token task's bounty account: `[BOUNTY_SEED, task]`, owned by the task.
#[constant]
pub const BOUNTY_SEED: &[u8] = b"bounty";
/// A token round's pool account: `[POOL_SEED, round]`, owned by the round.
#[constant]
pub const POOL_SEED: &[u8] = b"pool";

// Byte limits of the variable-length fields (fixed account sizes).
pub const MAX_NAME_LEN: usize = 32;
pub const MAX_METADATA_URI_LEN: usize = 128;
/// Room for an HTTPS URL of an IPFS or Arweave gateway with its path.
pub const MAX_CODE_URI_LEN: usize = 200;
pub const MAX_ENDPOINT_LEN: usize = 96;
pub const MAX_VALUE_LEN: usize = 256;
