//! The example task as a WebAssembly module: `ITERATIONS` of sha256 over
//! the round's seed. Every honest node computes the same 32 bytes.

use tasknet_example_tasks::{iterated_hash, ITERATIONS};
use tasknet_task_kit::Input;

fn execute(input: &Input) -> Vec<u8> {
    iterated_hash(&input.seed, ITERATIONS).to_vec()
}

fn audit(input: &Input, payload: &[u8]) -> bool {
    payload == iterated_hash(&input.seed, ITERATIONS)
}

fn main() -> std::process::ExitCode {
    tasknet_task_kit::run(execute, audit)
}
