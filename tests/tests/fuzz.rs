//! The stateful fuzzer (`tasknet_tests::fuzz`) on both runtimes: seeded and
//! reproducible; prints how many steps it ran and how they ended.
//!
//! `TASKNET_FUZZ_CASES` (sequences per runtime, default 40) and
//! `TASKNET_FUZZ_SEED` (default fixed) make it run as long as wanted:
//!
//! ```text
//! TASKNET_FUZZ_CASES=5000 TASKNET_FUZZ_SEED=$RANDOM \
//!   cargo test --release -p tasknet-tests --test fuzz -- --nocapture
//! ```
//!
//! A failing sequence is shrunk and its seed saved in
//! `tests/tests/fuzz.regressions`, which is committed: it runs first on
//! every later run, as a regression test.

use std::collections::BTreeMap;
use std::sync::Mutex;

use proptest::test_runner::{Config, FileFailurePersistence, RngSeed, TestRunner};
use tasknet_tests::fuzz::{run, sequence};
use tasknet_tests::Backend;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz(backend: Backend) {
    let seed = env_u64("TASKNET_FUZZ_SEED", 0x7a5c_0e71);
    let config = Config {
        cases: env_u64("TASKNET_FUZZ_CASES", 40) as u32,
        rng_seed: RngSeed::Fixed(seed),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fuzz.regressions"
        )))),
        // Each shrink step replays a whole sequence on a fresh bank.
        max_shrink_iters: 256,
        ..Config::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let outcomes = Mutex::new(BTreeMap::<String, u64>::new());
    let (sequences, steps) = (Mutex::new(0u64), Mutex::new(0u64));
    let result = TestRunner::new(config).run(&sequence(), |sequence| {
        let seen = runtime.block_on(run(backend, &sequence));
        *sequences.lock().unwrap() += 1;
        *steps.lock().unwrap() += sequence.len() as u64;
        let mut all = outcomes.lock().unwrap();
        for (outcome, n) in seen {
            *all.entry(outcome).or_default() += n;
        }
        Ok(())
    });
    println!(
        "fuzz on {backend:?}, seed {seed:#x}: {} sequences, {} steps",
        sequences.lock().unwrap(),
        steps.lock().unwrap()
    );
    for (outcome, n) in outcomes.lock().unwrap().iter() {
        println!("  {n:>6}  {outcome}");
    }
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn fuzz_sbf() {
    fuzz(Backend::Sbf);
}

#[test]
fn fuzz_native() {
    fuzz(Backend::Native);
}
