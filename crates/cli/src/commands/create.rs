//! The create path `task create` and `task apply` share: where a task's
//! code hash comes from, the options a task is created with, and creating
//! (and funding) it in one transaction.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use solana_signer::Signer;
use tasknet::instructions::CreateTaskArgs;
use tasknet::logic::Schedule;
use tasknet::state::{CodeLimits, Economics};
use tasknet_node::code::CodeSource;
use tasknet_sdk::{self as sdk, pda};

use crate::context::{CliError, Ctx, Progress};
use crate::sol::{Amount, Sol};
use anchor_lang::prelude::Pubkey;
use tasknet::state::Task;
use tasknet_sdk::amount::format_units;
use tasknet_sdk::tokens::{MintInfo, TokenAsset};

pub fn parse_hash(text: &str) -> Result<[u8; 32], String> {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("'{text}' is not a 64-digit hex sha256"))
}

/// The task code from exactly one of a hash, a file or the built-in
/// example; `None` when none or several are given.
pub fn code_source(
    hash: Option<[u8; 32]>,
    file: Option<PathBuf>,
    example: bool,
) -> Option<CodeSource> {
    match (hash, file, example) {
        (Some(hash), None, false) => Some(CodeSource::Hash(hash)),
        (None, Some(path), false) => Some(CodeSource::File(path)),
        (None, None, true) => Some(CodeSource::Example),
        _ => None,
    }
}

/// Everything `task create` takes besides who signs.
pub struct CreateOptions {
    pub task_id: u64,
    pub name: String,
    pub metadata_uri: String,
    pub code_hash: [u8; 32],
    pub code_uri: String,
    pub code_limits: CodeLimits,
    pub start_in_slots: u64,
    pub schedule: Schedule,
    /// `economics.reward_per_round` is set from `reward` once the asset's
    /// decimals are known.
    pub economics: Economics,
    pub reward: Amount,
    /// Funded at creation, in the task's asset.
    pub fund: Amount,
    /// A token task's mint; `None` pays in SOL.
    pub mint: Option<Pubkey>,
    pub accept_freeze_authority: bool,
    /// A verifier program that decides challenges exactly (no vote).
    pub verifier: Option<Pubkey>,
}

#[derive(Serialize)]
pub struct Created {
    pub task: String,
    pub signature: String,
    pub start_slot: u64,
    /// When round 0 starts, in seconds from now.
    pub starts_in_seconds: f64,
    pub commit_reveal: bool,
    /// What the task pays in: "SOL", or the mint's symbol or address.
    pub asset: String,
    /// The bounty funded at creation, in the task's asset.
    pub funded: String,
    /// The same in SOL, for a SOL task.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub funded_sol: Option<Sol>,
}

/// A task's reward asset as the CLI reads and writes amounts in it.
pub struct AssetUnits {
    pub token: Option<MintInfo>,
}

impl AssetUnits {
    pub const SOL: Self = Self { token: None };

    /// The asset of a mint (read from the chain), refused by a readable
    /// line when it is not an SPL Token or Token-2022 mint.
    pub async fn of_mint(ctx: &Ctx, mint: &Pubkey) -> Result<Self, CliError> {
        let info = ctx.chain.mint_info(mint).await?.ok_or_else(|| {
            CliError::Input(format!(
                "{mint} is not a mint of SPL Token or Token-2022 on this cluster"
            ))
        })?;
        Ok(Self { token: Some(info) })
    }

    /// The asset a task pays in.
    pub async fn of_task(ctx: &Ctx, task: &Task) -> Result<Self, CliError> {
        match &task.reward_token {
            Some(reward) => Self::of_mint(ctx, &reward.mint).await,
            None => Ok(Self::SOL),
        }
    }

    pub fn asset(&self) -> Option<TokenAsset> {
        self.token.as_ref().map(|t| t.asset)
    }

    pub fn label(&self) -> String {
        self.token
            .as_ref()
            .map_or_else(|| "SOL".to_string(), MintInfo::label)
    }

    /// `amount` in the asset's smallest units.
    pub fn units(&self, amount: &Amount) -> Result<u64, CliError> {
        match &self.token {
            Some(t) => amount.units(t.decimals, &self.label()),
            None => amount.lamports(),
        }
        .map_err(CliError::Input)
    }

    /// Smallest units as people read them.
    pub fn format(&self, units: u64) -> String {
        match &self.token {
            Some(t) => format_units(units, t.decimals),
            None => format_units(units, 9),
        }
    }
}

pub async fn create(ctx: &Ctx, mut o: CreateOptions) -> Result<Created, CliError> {
    check_code_uri(&o.code_uri)?;
    let units = match &o.mint {
        Some(mint) => AssetUnits::of_mint(ctx, mint).await?,
        None => AssetUnits::SOL,
    };
    o.economics.reward_per_round = units.units(&o.reward)?;
    let fund = units.units(&o.fund)?;
    let creator = ctx.signer()?;
    let clock = ctx.slot_clock().await?;
    // Checked here first, so a bad schedule sends nothing.
    o.schedule.start_slot = clock.slot + o.start_in_slots;
    let commit_reveal = o.schedule.reveal_slots > 0;
    o.schedule.validate(commit_reveal).map_err(|e| {
        CliError::Input(format!("invalid schedule: {e:?} (see --round-slots, --submit-slots, --reveal-slots, --audit-slots)"))
    })?;
    let task = pda::task(&creator.pubkey(), o.task_id);
    if ctx.chain.raw_account(&task).await?.is_some() {
        return Err(CliError::Input(format!(
            "task id {} is taken: {task} exists; choose another --id",
            o.task_id
        )));
    }
    let args = CreateTaskArgs {
        task_id: o.task_id,
        name: o.name,
        metadata_uri: o.metadata_uri,
        code_hash: o.code_hash,
        code_uri: o.code_uri,
        code_limits: o.code_limits,
        schedule: o.schedule,
        economics: o.economics,
        commit_reveal,
        accept_freeze_authority: o.accept_freeze_authority,
        verifier: o.verifier,
    };
    let asset = units.asset();
    let mut ixs = vec![sdk::create_task_in(&creator.pubkey(), args, asset.as_ref())];
    if fund > 0 {
        ixs.push(sdk::fund_task_in(
            &creator.pubkey(),
            &task,
            fund,
            asset.as_ref(),
        ));
    }
    let signature = {
        let _progress = Progress::show("creating the task…");
        ctx.chain.send(&ixs, &creator, &[]).await?
    };
    Ok(Created {
        task: task.to_string(),
        signature: signature.to_string(),
        start_slot: o.schedule.start_slot,
        starts_in_seconds: clock.seconds(o.start_in_slots),
        commit_reveal,
        asset: units.label(),
        funded: units.format(fund),
        funded_sol: asset.is_none().then_some(Sol(fund)),
    })
}

/// A code URI nodes can fetch: empty, or HTTP(S) (IPFS and Arweave
/// through their gateways) within the program's 200 bytes.
pub fn check_code_uri(uri: &str) -> Result<(), CliError> {
    let max = tasknet::constants::MAX_CODE_URI_LEN;
    if uri.len() > max {
        return Err(CliError::Input(format!(
            "the code URI is {} bytes; at most {max}",
            uri.len()
        )));
    }
    if !uri.is_empty() && !uri.starts_with("https://") && !uri.starts_with("http://") {
        return Err(CliError::Input(format!(
            "code URI {uri}: nodes fetch code over http:// or https:// (use an IPFS or Arweave gateway URL)"
        )));
    }
    Ok(())
}

/// What a call of the task's module may use, as the task asks (`task
/// create`, and `task test` to try a module under them).
#[derive(Args)]
pub struct LimitArgs {
    /// Fuel a WebAssembly module may burn per call (about one unit per
    /// instruction); 0: the node's default. Nodes cap it by their own.
    #[arg(long, default_value_t = 0)]
    fuel: u64,
    /// Linear memory a module may use, in MiB; 0: the node's default.
    #[arg(long, default_value_t = 0)]
    memory_mib: u32,
    /// Wall-clock time per call, in milliseconds; 0: the node's default.
    #[arg(long, default_value_t = 0)]
    deadline_ms: u32,
}

impl LimitArgs {
    pub fn code_limits(&self) -> CodeLimits {
        CodeLimits {
            fuel: self.fuel,
            memory_mib: self.memory_mib,
            deadline_ms: self.deadline_ms,
        }
    }
}
