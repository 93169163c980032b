//! The example task as native code and as a WebAssembly module in the
//! sandbox, on the same input: compile (once per machine), load from the
//! compiled cache, and execute/audit calls; fuel per call. Prints figures
//! (docs/BENCHMARKS.md records a run); it asserts only that both compute
//! the same bytes.
//!
//! ```sh
//! cargo build --release --target wasm32-wasip1 -p tasknet-example-tasks --bin iterated_hash
//! cargo run --profile perf -p tasknet-node --example wasm_bench -- target/wasm32-wasip1/release/iterated_hash.wasm
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use sha2::{Digest, Sha256};
use tasknet_node::code::{execute_request, IteratedHash, RoundInput, TaskCode};
use tasknet_node::wasm::{round_clock, WasmCode};
use tasknet_sandbox::{Call, Limits, Sandbox};

const CALLS: u32 = 20;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_calls(code: &dyn TaskCode, input: &RoundInput, payload: &[u8]) -> (Duration, Duration) {
    let mut execute = Vec::new();
    let mut audit = Vec::new();
    for _ in 0..CALLS {
        let started = Instant::now();
        let out = code.execute(input).unwrap();
        execute.push(started.elapsed());
        assert_eq!(out, payload);
        let started = Instant::now();
        assert!(code.audit(input, &input.node, payload).unwrap());
        audit.push(started.elapsed());
    }
    (median(execute), median(audit))
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: wasm_bench <iterated_hash.wasm>");
    let bytes = std::fs::read(&path).unwrap();
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let input = RoundInput::new(Pubkey::new_unique(), 3, Pubkey::new_unique());
    let payload = IteratedHash.execute(&input).unwrap();

    let cache = tempfile::tempdir().unwrap();
    let sandbox = Arc::new(Sandbox::new(Some(cache.path().to_path_buf())).unwrap());
    let started = Instant::now();
    let wasm = WasmCode::load(sandbox, &bytes, &hash, Limits::default()).unwrap();
    let compile = started.elapsed();
    let fresh = Arc::new(Sandbox::new(Some(cache.path().to_path_buf())).unwrap());
    let started = Instant::now();
    let cached = WasmCode::load(fresh, &bytes, &hash, Limits::default()).unwrap();
    let from_cache = started.elapsed();
    let started = Instant::now();
    assert_eq!(cached.execute(&input).unwrap(), payload);
    let first_call = started.elapsed();

    // Fuel, from the sandbox itself (WasmCode only logs it).
    let sandbox = Sandbox::new(None).unwrap();
    let module = sandbox.load(&bytes, &hash).unwrap();
    let request = serde_json::to_vec(&execute_request(&input)).unwrap();
    let call = Call {
        stdin: &request,
        clock: round_clock(input.round),
        seed: input.seed,
    };
    let fuel = sandbox
        .run(&module, &call, &Limits::default())
        .unwrap()
        .fuel_used;

    let (native_execute, native_audit) = time_calls(&IteratedHash, &input, &payload);
    let (wasm_execute, wasm_audit) = time_calls(&wasm, &input, &payload);
    println!("module {path}: {} bytes", bytes.len());
    println!("compile (first load on a machine):  {compile:?}");
    println!("load from the compiled cache:        {from_cache:?}");
    println!("first call after a cached load:      {first_call:?}");
    println!("fuel per execute call:               {fuel}");
    println!("median of {CALLS} calls      native      wasm      ratio");
    for (name, native, wasm) in [
        ("execute", native_execute, wasm_execute),
        ("audit", native_audit, wasm_audit),
    ] {
        let ratio = wasm.as_secs_f64() / native.as_secs_f64();
        println!("{name:<24} {native:>9.2?} {wasm:>9.2?} {ratio:>8.2}x");
    }
}
