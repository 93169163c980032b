//! Runs tasknet task modules: WebAssembly (a WASI preview-1 command that
//! reads its request on stdin and writes its answer on stdout) in a
//! wasmtime sandbox that grants nothing else.
//!
//! - **Verified bytes.** A module is loaded by its sha256; bytes that do not
//!   hash to it are refused before anything else happens.
//! - **Granted imports only** ([`grants::GRANTED`]): a module importing
//!   anything else is refused before it runs, naming the import.
//! - **Nothing of the host.** No preopened directory, no environment, no
//!   socket, no argument beyond the program name; the wall clock is fixed by
//!   the caller, the monotonic clock never moves, and random bytes come from
//!   the caller's seed.
//! - **Determinism.** NaNs canonicalised, no threads, no relaxed SIMD.
//! - **Limits** ([`Limits`]): fuel per call, linear memory and table size, a
//!   wall-clock deadline (epoch interruption), and the output's size.
//! - **Compiled once per machine.** Compiled modules are cached on disk by
//!   hash; a cached call only instantiates.

pub mod grants;
mod limits;
mod module_cache;

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::{Config, Engine, Linker, Module, Store, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use grants::{FixedWallClock, SeededBytes, StoppedClock};
pub use limits::Limits;
use limits::{Denied, Limiter};

/// How often the engine's epoch ticks: the deadline's granularity.
const EPOCH_TICK: Duration = Duration::from_millis(10);

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("module bytes hash to {actual}, not the task's code hash {expected}")]
    HashMismatch { expected: String, actual: String },
    #[error("module imports {module}::{name}, which the sandbox does not grant")]
    ForbiddenImport { module: String, name: String },
    #[error("not a valid WebAssembly module: {0}")]
    Invalid(String),
    #[error("module exports no `_start` function (build it as a WASI command, wasm32-wasip1)")]
    NoStart,
    #[error("ran out of fuel ({fuel} units)")]
    OutOfFuel { fuel: u64 },
    #[error("asked for {asked} bytes of {what}, over the limit of {limit}")]
    OverLimit {
        what: &'static str,
        asked: usize,
        limit: usize,
    },
    #[error("still running after {0:?}: stopped")]
    Deadline(Duration),
    #[error("wrote more than {limit} bytes of output")]
    OutputTooLarge { limit: usize },
    #[error("exited with status {0}")]
    Exit(i32),
    #[error("trapped: {0}")]
    Trap(String),
    #[error("module cache {path}: {error}")]
    Cache { path: PathBuf, error: String },
}

/// One call's input: the request bytes, what the clock says, the seed of
/// the guest's random bytes.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    pub stdin: &'a [u8],
    /// What the guest's wall clock reads, fixed for the whole call.
    pub clock: Duration,
    pub seed: [u8; 32],
}

/// A finished call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub fuel_used: u64,
    pub elapsed: Duration,
}

/// A module that passed its checks and compiled: runs any number of times.
#[derive(Clone)]
pub struct TaskModule {
    module: Module,
    hash: [u8; 32],
}

impl TaskModule {
    pub fn hash(&self) -> [u8; 32] {
        self.hash
    }
}

/// The engine every module of a process runs in, and its epoch ticker.
pub struct Sandbox {
    engine: Arc<Engine>,
    /// Where compiled modules are kept, by hash; `None` compiles every load.
    cache: Option<PathBuf>,
}

impl Sandbox {
    /// A sandbox whose compiled modules are cached in `cache` (created if
    /// missing), or never cached.
    pub fn new(cache: Option<PathBuf>) -> Result<Self, SandboxError> {
        // Threads are not even compiled in: wasmtime's `threads` feature is
        // off (Cargo.toml), so shared memories and atomics waits are refused.
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .epoch_interruption(true)
            .cranelift_nan_canonicalization(true)
            .wasm_relaxed_simd(false)
            .relaxed_simd_deterministic(true);
        let engine = Engine::new(&config).map_err(|e| SandboxError::Invalid(e.to_string()))?;
        let engine = Arc::new(engine);
        start_epoch_ticker(Arc::downgrade(&engine));
        Ok(Self { engine, cache })
    }

    /// Checks `bytes` against `code_hash`, then their imports, and compiles
    /// them (or loads the compiled module this machine cached before).
    pub fn load(&self, bytes: &[u8], code_hash: &[u8; 32]) -> Result<TaskModule, SandboxError> {
        let actual: [u8; 32] = Sha256::digest(bytes).into();
        if &actual != code_hash {
            return Err(SandboxError::HashMismatch {
                expected: hex::encode(code_hash),
                actual: hex::encode(actual),
            });
        }
        let module = match &self.cache {
            Some(dir) => module_cache::load_or_compile(&self.engine, dir, bytes, code_hash)?,
            None => Module::new(&self.engine, bytes)
                .map_err(|e| SandboxError::Invalid(e.to_string()))?,
        };
        grants::check_imports(&module)?;
        if module.get_export("_start").is_none() {
            return Err(SandboxError::NoStart);
        }
        Ok(TaskModule {
            module,
            hash: *code_hash,
        })
    }

    /// Runs `module`'s `_start` once on `call`, within `limits`. It blocks
    /// until the call ends: under tokio, call it from `spawn_blocking`. (On
    /// an async runtime's own thread, where WASI's blocking layer cannot
    /// run, the call moves to a thread of its own rather than fail.)
    pub fn run(
        &self,
        module: &TaskModule,
        call: &Call<'_>,
        limits: &Limits,
    ) -> Result<Outcome, SandboxError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.run_here(module, call, limits);
        }
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.run_here(module, call, limits))
                .join()
                .unwrap_or_else(|_| Err(SandboxError::Trap("the call's thread stopped".into())))
        })
    }

    fn run_here(
        &self,
        module: &TaskModule,
        call: &Call<'_>,
        limits: &Limits,
    ) -> Result<Outcome, SandboxError> {
        let started = Instant::now();
        // One byte past the limit: a longer answer fills the pipe, and is
        // refused whether the guest stops or traps on the full pipe.
        let stdout = MemoryOutputPipe::new(limits.output_bytes.saturating_add(1));
        let mut store = self.store(call, limits, stdout.clone())?;
        let mut linker: Linker<Guest> = Linker::new(&self.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |guest: &mut Guest| &mut guest.wasi)
            .map_err(|e| SandboxError::Invalid(e.to_string()))?;
        let ran = linker
            .instantiate(&mut store, &module.module)
            .and_then(|instance| instance.get_typed_func::<(), ()>(&mut store, "_start"))
            .and_then(|start| start.call(&mut store, ()));
        let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let output = stdout.contents();
        if output.len() > limits.output_bytes {
            return Err(SandboxError::OutputTooLarge {
                limit: limits.output_bytes,
            });
        }
        if let Err(error) = ran {
            judge_failure(error, store.data().limiter.denied, limits)?;
        }
        Ok(Outcome {
            stdout: output.to_vec(),
            fuel_used,
            elapsed: started.elapsed(),
        })
    }

    /// A store granting the guest only its stdin, stdout, a stderr that goes
    /// nowhere, the fixed clocks and the seeded bytes.
    fn store(
        &self,
        call: &Call<'_>,
        limits: &Limits,
        stdout: MemoryOutputPipe,
    ) -> Result<Store<Guest>, SandboxError> {
        let mut seed_bytes = [0u8; 16];
        seed_bytes.copy_from_slice(&call.seed[..16]);
        let wasi = WasiCtxBuilder::new()
            .arg("task")
            .stdin(MemoryInputPipe::new(call.stdin.to_vec()))
            .stdout(stdout)
            .wall_clock(FixedWallClock(call.clock))
            .monotonic_clock(StoppedClock)
            .secure_random(SeededBytes::new(call.seed))
            .insecure_random(SeededBytes::new(call.seed))
            .insecure_random_seed(u128::from_le_bytes(seed_bytes))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build_p1();
        let guest = Guest {
            wasi,
            limiter: Limiter::new(limits),
        };
        let mut store = Store::new(&self.engine, guest);
        store.limiter(|guest| &mut guest.limiter);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| SandboxError::Invalid(e.to_string()))?;
        let ticks = limits.deadline.as_millis() / EPOCH_TICK.as_millis();
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX).max(1));
        Ok(store)
    }
}

/// What a store holds for its guest.
struct Guest {
    wasi: WasiP1Ctx,
    limiter: Limiter,
}

/// Names why a call failed; a clean `proc_exit(0)` is no failure.
fn judge_failure(
    error: wasmtime::Error,
    denied: Option<Denied>,
    limits: &Limits,
) -> Result<(), SandboxError> {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => Ok(()),
            code => Err(SandboxError::Exit(code)),
        };
    }
    if let Some(denied) = denied {
        return Err(denied.into_error());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Err(SandboxError::OutOfFuel { fuel: limits.fuel }),
        Some(Trap::Interrupt) => Err(SandboxError::Deadline(limits.deadline)),
        _ => Err(SandboxError::Trap(format!("{error:#}"))),
    }
}

/// Ticks the engine's epoch until the engine is gone, so that a store's
/// deadline (in ticks) stops a guest that runs too long.
fn start_epoch_ticker(engine: Weak<Engine>) {
    std::thread::spawn(move || {
        while let Some(engine) = engine.upgrade() {
            engine.increment_epoch();
            drop(engine);
            std::thread::sleep(EPOCH_TICK);
        }
    });
}
