//! What a task module may import, and what it sees when it asks: the WASI
//! preview-1 calls a stdin-to-stdout command needs, and nothing that
//! reaches the host. Clocks are fixed and random bytes come from the
//! round's seed, so every honest node computes the same bytes.

use std::convert::Infallible;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{ExternType, Module};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

use crate::SandboxError;

/// The only import module a task may name.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The WASI preview-1 functions a task may import: its arguments (the
/// program name only) and environment (empty), stdin, stdout and stderr,
/// the fixed clocks, seeded random bytes, and exiting. No path, socket,
/// directory or polling call: with no preopened directory and no network
/// they could do nothing, and refusing them before the module runs says so
/// by name instead of failing somewhere inside the task.
pub const GRANTED: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_close",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_filestat_get",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_read",
    "fd_seek",
    "fd_write",
    "proc_exit",
    "random_get",
    "sched_yield",
];

/// Refuses a module that imports anything outside [`GRANTED`] (a memory,
/// table or global included), naming the first such import.
pub fn check_imports(module: &Module) -> Result<(), SandboxError> {
    for import in module.imports() {
        let granted = import.module() == WASI_MODULE
            && matches!(import.ty(), ExternType::Func(_))
            && GRANTED.contains(&import.name());
        if !granted {
            return Err(SandboxError::ForbiddenImport {
                module: import.module().to_string(),
                name: import.name().to_string(),
            });
        }
    }
    Ok(())
}

/// A wall clock stopped at `now` (derived from the round).
pub struct FixedWallClock(pub Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }

    fn now(&self) -> Duration {
        self.0
    }
}

/// A monotonic clock that never moves: a task cannot time itself, so it
/// cannot behave differently on a fast node and a slow one.
pub struct StoppedClock;

impl HostMonotonicClock for StoppedClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        0
    }
}

/// Random bytes from the round's seed: block i is `sha256(seed ‖ i)`.
/// Defined here, not borrowed from a crate's generator, so that its bytes
/// never change with a dependency's version.
pub struct SeededBytes {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededBytes {
    pub fn new(seed: [u8; 32]) -> Self {
        Self {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn next_byte(&mut self) -> u8 {
        if self.used == self.block.len() {
            self.block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_le_bytes())
                .finalize()
                .into();
            self.counter = self.counter.wrapping_add(1);
            self.used = 0;
        }
        let byte = self.block[self.used];
        self.used += 1;
        byte
    }
}

impl rand_core_010::TryRng for SeededBytes {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.iter_mut().for_each(|b| *b = self.next_byte());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use rand_core_010::TryRng;

    use super::*;

    #[test]
    fn seeded_bytes_repeat_for_a_seed_and_differ_between_seeds() {
        let draw = |seed: [u8; 32]| {
            let mut bytes = vec![0; 100];
            SeededBytes::new(seed).try_fill_bytes(&mut bytes).unwrap();
            bytes
        };
        assert_eq!(draw([1; 32]), draw([1; 32]));
        assert_ne!(draw([1; 32]), draw([2; 32]));
        let first: [u8; 32] = Sha256::new()
            .chain_update([1; 32])
            .chain_update(0u64.to_le_bytes())
            .finalize()
            .into();
        assert_eq!(draw([1; 32])[..32], first);
    }
}
