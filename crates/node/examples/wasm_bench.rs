//! The example task as native code and as a WebAssembly module in the
//! sandbox, on the same input: compile (once per machine), load from the
//! compiled cache, and execute/audit calls; fuel per call. Then the
//! sandbox's own costs, apart from what the task computes: instantiating
//! and running a module that does nothing, and one integer loop (no
//! hashing, so no CPU extension the module cannot reach) native and in the
//! sandbox. Prints figures (docs/BENCHMARKS.md records a run); it asserts
//! only that the example computes the same bytes both ways.
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
    sandbox_overhead();
}

/// Steps of the integer loop: about as long as the example's hashing.
const LOOP_STEPS: i64 = 2_000_000;

/// splitmix64's finaliser, `steps` times: what the loop module computes.
fn mix_loop(steps: i64) -> i64 {
    let mut z: i64 = 42;
    for _ in 0..steps {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15_u64 as i64);
        z = (z ^ ((z as u64) >> 30) as i64).wrapping_mul(0xbf58_476d_1ce4_e5b9_u64 as i64);
        z = (z ^ ((z as u64) >> 27) as i64).wrapping_mul(0x94d0_49bb_1331_11eb_u64 as i64);
        z ^= ((z as u64) >> 31) as i64;
    }
    z
}

/// The same loop as a module: the result in an exported global, no I/O.
fn mix_loop_module() -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (global $result (export "result") (mut i64) (i64.const 0))
  (func (export "_start")
    (local $i i64) (local $z i64)
    (local.set $z (i64.const 42))
    (block $done
      (loop $next
        (br_if $done (i64.ge_s (local.get $i) (i64.const {LOOP_STEPS})))
        (local.set $z (i64.add (local.get $z) (i64.const 0x9e3779b97f4a7c15)))
        (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30))) (i64.const 0xbf58476d1ce4e5b9)))
        (local.set $z (i64.mul (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27))) (i64.const 0x94d049bb133111eb)))
        (local.set $z (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $next)))
    (global.set $result (local.get $z))))"#
    ))
    .unwrap()
}

/// Runs `bytes` `CALLS` times in the sandbox; the median call.
fn median_run(bytes: &[u8]) -> (Duration, u64) {
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    let sandbox = Sandbox::new(None).unwrap();
    let module = sandbox.load(bytes, &hash).unwrap();
    let call = Call {
        stdin: b"",
        clock: round_clock(0),
        seed: [0; 32],
    };
    let mut samples = Vec::new();
    let mut fuel = 0;
    for _ in 0..CALLS {
        let outcome = sandbox.run(&module, &call, &Limits::default()).unwrap();
        samples.push(outcome.elapsed);
        fuel = outcome.fuel_used;
    }
    (median(samples), fuel)
}

fn sandbox_overhead() {
    let nothing = wat::parse_str(r#"(module (func (export "_start")))"#).unwrap();
    let (instantiate, _) = median_run(&nothing);
    let (wasm, fuel) = median_run(&mix_loop_module());
    let mut native = Vec::new();
    for _ in 0..CALLS {
        let started = Instant::now();
        std::hint::black_box(mix_loop(std::hint::black_box(LOOP_STEPS)));
        native.push(started.elapsed());
    }
    let native = median(native);
    println!("a call of a module that does nothing (instantiate, run, drop): {instantiate:?}");
    println!(
        "integer loop, {LOOP_STEPS} steps: native {native:.2?}, wasm {wasm:.2?} ({:.2}x), {fuel} fuel",
        wasm.as_secs_f64() / native.as_secs_f64()
    );
}
