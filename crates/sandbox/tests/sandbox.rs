//! The sandbox against real modules (the `.wat` sources in `modules/`,
//! built here): each bad module is refused or stopped with its named error,
//! the sandbox goes on running the next call, and a well-behaved module
//! sees only what is granted.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tasknet_sandbox::{Call, Limits, Sandbox, SandboxError, TaskModule};

fn wasm(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/modules/{name}.wat", env!("CARGO_MANIFEST_DIR"));
    wat::parse_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn load(sandbox: &Sandbox, name: &str) -> Result<TaskModule, SandboxError> {
    let bytes = wasm(name);
    sandbox.load(&bytes, &hash(&bytes))
}

fn call(stdin: &[u8]) -> Call<'_> {
    Call {
        stdin,
        clock: Duration::from_secs(1_700_000_000),
        seed: [7; 32],
    }
}

/// The echo module still answers: a failure leaves the sandbox usable.
fn still_works(sandbox: &Sandbox) {
    let echo = load(sandbox, "echo").unwrap();
    let outcome = sandbox
        .run(&echo, &call(b"still here"), &Limits::default())
        .unwrap();
    assert_eq!(outcome.stdout, b"still here");
}

#[test]
fn a_well_behaved_module_answers_and_counts_its_fuel() {
    let sandbox = Sandbox::new(None).unwrap();
    let echo = load(&sandbox, "echo").unwrap();
    let request = br#"{"kind":"execute","task":"t","round":3}"#;
    let outcome = sandbox
        .run(&echo, &call(request), &Limits::default())
        .unwrap();
    assert_eq!(outcome.stdout, request);
    assert!(outcome.fuel_used > 0);
    let again = sandbox
        .run(&echo, &call(request), &Limits::default())
        .unwrap();
    assert_eq!(again.fuel_used, outcome.fuel_used, "fuel is deterministic");
}

#[test]
fn bytes_that_do_not_match_the_code_hash_are_refused() {
    let sandbox = Sandbox::new(None).unwrap();
    let bytes = wasm("echo");
    let mut other = hash(&bytes);
    other[0] ^= 1;
    let refused = sandbox.load(&bytes, &other).err().unwrap();
    assert!(
        matches!(refused, SandboxError::HashMismatch { .. }),
        "{refused}"
    );
    assert!(refused.to_string().contains(&hex::encode(other)));
}

#[test]
fn imports_outside_the_grant_are_refused_by_name_before_running() {
    let sandbox = Sandbox::new(None).unwrap();
    for (module, named) in [
        ("opens_a_file", "wasi_snapshot_preview1::path_open"),
        ("opens_a_socket", "wasi_snapshot_preview1::sock_accept"),
        ("imports_the_host", "env::system"),
    ] {
        let refused = load(&sandbox, module).err().unwrap();
        assert!(
            matches!(refused, SandboxError::ForbiddenImport { .. }),
            "{module}: {refused}"
        );
        assert!(refused.to_string().contains(named), "{refused}");
    }
    still_works(&sandbox);
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_or_time() {
    let sandbox = Sandbox::new(None).unwrap();
    let spinner = load(&sandbox, "infinite_loop").unwrap();
    let little_fuel = Limits {
        fuel: 1_000_000,
        ..Limits::default()
    };
    let stopped = sandbox.run(&spinner, &call(b""), &little_fuel).unwrap_err();
    assert!(
        matches!(stopped, SandboxError::OutOfFuel { fuel: 1_000_000 }),
        "{stopped}"
    );
    let no_time = Limits {
        fuel: u64::MAX,
        deadline: Duration::from_millis(200),
        ..Limits::default()
    };
    let started = Instant::now();
    let stopped = sandbox.run(&spinner, &call(b""), &no_time).unwrap_err();
    assert!(matches!(stopped, SandboxError::Deadline(_)), "{stopped}");
    assert!(started.elapsed() < Duration::from_secs(10));
    still_works(&sandbox);
}

#[test]
fn a_memory_bomb_is_refused_at_the_cap() {
    let sandbox = Sandbox::new(None).unwrap();
    let bomb = load(&sandbox, "memory_bomb").unwrap();
    let limits = Limits {
        memory_bytes: 64 << 20,
        ..Limits::default()
    };
    let stopped = sandbox.run(&bomb, &call(b""), &limits).unwrap_err();
    match stopped {
        SandboxError::OverLimit { what, asked, limit } => {
            assert_eq!((what, limit), ("linear memory", 64 << 20));
            assert!(asked > limit);
        }
        other => panic!("{other}"),
    }
    still_works(&sandbox);
}

#[test]
fn more_than_the_output_limit_is_refused() {
    let sandbox = Sandbox::new(None).unwrap();
    let writer = load(&sandbox, "writes_2mib").unwrap();
    let refused = sandbox
        .run(&writer, &call(b""), &Limits::default())
        .unwrap_err();
    assert!(
        matches!(refused, SandboxError::OutputTooLarge { limit } if limit == 1 << 20),
        "{refused}"
    );
    let roomy = Limits {
        output_bytes: 4 << 20,
        ..Limits::default()
    };
    let outcome = sandbox.run(&writer, &call(b""), &roomy).unwrap();
    assert_eq!(outcome.stdout.len(), 2 << 20);
}

#[test]
fn traps_and_exits_are_named() {
    let sandbox = Sandbox::new(None).unwrap();
    let traps = load(&sandbox, "traps").unwrap();
    let failed = sandbox
        .run(&traps, &call(b""), &Limits::default())
        .unwrap_err();
    assert!(matches!(failed, SandboxError::Trap(_)), "{failed}");
    assert!(failed.to_string().contains("unreachable"), "{failed}");
    let exits = load(&sandbox, "exits_3").unwrap();
    let failed = sandbox
        .run(&exits, &call(b""), &Limits::default())
        .unwrap_err();
    assert!(matches!(failed, SandboxError::Exit(3)), "{failed}");
    still_works(&sandbox);
}

/// A little-endian number `looks_around.wat` wrote at `at`.
fn field(out: &[u8], at: usize, len: usize) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[..len].copy_from_slice(&out[at..at + len]);
    u64::from_le_bytes(bytes)
}

#[test]
fn the_guest_sees_fixed_clocks_seeded_random_and_nothing_of_the_host() {
    let sandbox = Sandbox::new(None).unwrap();
    let module = load(&sandbox, "looks_around").unwrap();
    let run = |seed: [u8; 32]| {
        let input = Call { seed, ..call(b"") };
        sandbox
            .run(&module, &input, &Limits::default())
            .unwrap()
            .stdout
    };
    let out = run([7; 32]);
    assert_eq!(out.len(), 96);
    // The wall clock is the caller's; the monotonic clock never moves.
    assert_eq!(
        (field(&out, 0, 4), field(&out, 8, 8)),
        (0, 1_700_000_000 * 1_000_000_000)
    );
    assert_eq!((field(&out, 16, 4), field(&out, 24, 8)), (0, 0));
    // Random bytes are the seed's, the same on every node (how wasmtime
    // draws them from the generator is its own; `grants::SeededBytes` is
    // tested on its own).
    assert_eq!(field(&out, 32, 4), 0);
    assert!(out[36..68].iter().any(|b| *b != 0));
    assert_eq!(run([7; 32]), out, "two runs of one input agree");
    assert_ne!(run([8; 32])[36..68], out[36..68]);
    // No environment, only the program's name, no preopened directory
    // (errno 8: EBADF).
    assert_eq!((field(&out, 68, 4), field(&out, 72, 4)), (0, 0));
    assert_eq!((field(&out, 80, 4), field(&out, 84, 4)), (0, 1));
    assert_eq!(field(&out, 92, 4), 8);
}

#[test]
fn compiled_modules_are_cached_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = wasm("echo");
    let code_hash = hash(&bytes);
    let first = Sandbox::new(Some(dir.path().to_path_buf())).unwrap();
    let compiled_at = Instant::now();
    first.load(&bytes, &code_hash).unwrap();
    let compile = compiled_at.elapsed();
    let cached = dir.path().join(format!("{}.cwasm", hex::encode(code_hash)));
    assert!(cached.exists());
    // Another process (a new sandbox) loads it without compiling, and it runs.
    let second = Sandbox::new(Some(dir.path().to_path_buf())).unwrap();
    let module = second.load(&bytes, &code_hash).unwrap();
    let outcome = second
        .run(&module, &call(b"hi"), &Limits::default())
        .unwrap();
    assert_eq!(outcome.stdout, b"hi");
    // A cached file never stands in for other bytes: the hash is checked
    // before the cache is looked at.
    let mut other = bytes.clone();
    other.push(0);
    assert!(second.load(&other, &code_hash).is_err());
    eprintln!("compile {compile:?}");
}

/// A call made on an async runtime's own thread still runs (WASI's
/// blocking layer cannot run there; the sandbox moves the call off it).
#[tokio::test(flavor = "current_thread")]
async fn a_call_from_an_async_runtime_thread_runs() {
    let sandbox = Sandbox::new(None).unwrap();
    still_works(&sandbox);
}
