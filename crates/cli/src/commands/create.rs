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
use crate::sol::Sol;

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
    pub economics: Economics,
    pub fund: u64,
}

#[derive(Serialize)]
pub struct Created {
    pub task: String,
    pub signature: String,
    pub start_slot: u64,
    /// When round 0 starts, in seconds from now.
    pub starts_in_seconds: f64,
    pub commit_reveal: bool,
    pub funded_sol: Sol,
}

pub async fn create(ctx: &Ctx, mut o: CreateOptions) -> Result<Created, CliError> {
    check_code_uri(&o.code_uri)?;
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
    };
    let ixs = sdk::create_funded_task(&creator.pubkey(), args, o.fund);
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
        funded_sol: Sol(o.fund),
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
