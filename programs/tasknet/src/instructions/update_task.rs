use anchor_lang::prelude::*;

use crate::constants::{MAX_CODE_URI_LEN, MAX_METADATA_URI_LEN};
use crate::errors::TasknetError;
use crate::events::{emit, TaskUpdated};
use crate::state::*;

/// Fields a creator may change in place. The schedule never changes, so
/// rounds in flight keep their windows; new economics and code apply from
/// the next round opened (a round copies them when it opens).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct UpdateTaskArgs {
    pub reward_per_round: Option<u64>,
    pub metadata_uri: Option<String>,
    pub code_hash: Option<[u8; 32]>,
    pub min_stake: Option<u64>,
    pub code_uri: Option<String>,
    pub code_limits: Option<CodeLimits>,
}

#[derive(Accounts)]
pub struct UpdateTask<'info> {
    pub creator: Signer<'info>,
    #[account(mut, has_one = creator @ TasknetError::NotTaskCreator)]
    pub task: Box<Account<'info, Task>>,
}

impl UpdateTask<'_> {
    pub(crate) fn validate(&self, args: &UpdateTaskArgs) -> Result<()> {
        require!(
            self.task.state != TaskState::Closed,
            TasknetError::TaskClosed
        );
        if let Some(uri) = &args.metadata_uri {
            require!(
                uri.len() <= MAX_METADATA_URI_LEN,
                TasknetError::MetadataUriTooLong
            );
        }
        if let Some(uri) = &args.code_uri {
            require!(uri.len() <= MAX_CODE_URI_LEN, TasknetError::CodeUriTooLong);
        }
        if let Some(min_stake) = args.min_stake {
            require!(min_stake > 0, TasknetError::ZeroMinStake);
        }
        Ok(())
    }

    pub(crate) fn handler(ctx: Context<Self>, args: UpdateTaskArgs) -> Result<()> {
        let task = &mut ctx.accounts.task;
        if let Some(reward) = args.reward_per_round {
            task.economics.reward_per_round = reward;
        }
        if let Some(uri) = args.metadata_uri {
            task.metadata_uri = uri;
        }
        if let Some(code_hash) = args.code_hash {
            task.code_hash = code_hash;
        }
        if let Some(min_stake) = args.min_stake {
            task.economics.min_stake = min_stake;
        }
        if let Some(uri) = args.code_uri {
            task.code_uri = uri;
        }
        if let Some(limits) = args.code_limits {
            task.code_limits = limits;
        }
        emit(TaskUpdated {
            task: task.key(),
            reward_per_round: task.economics.reward_per_round,
            min_stake: task.economics.min_stake,
            code_hash: task.code_hash,
        });
        Ok(())
    }
}
