//! A task in which every node does different work: its own shard of
//! hashing, chosen by its address and the round's seed; an audit
//! recomputes a few of the shard's chunks.

use tasknet_example_tasks::{audit_shard, shard_payload};
use tasknet_task_kit::Input;

fn execute(input: &Input) -> Vec<u8> {
    shard_payload(&input.seed, &input.node)
}

fn audit(input: &Input, payload: &[u8]) -> bool {
    audit_shard(&input.seed, &input.node, payload)
}

fn main() -> std::process::ExitCode {
    tasknet_task_kit::run(execute, audit)
}
