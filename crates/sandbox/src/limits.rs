//! What one call may use, and the store's limiter that enforces memory and
//! tables (fuel and the deadline are the engine's).

use std::time::Duration;

use crate::SandboxError;

/// One call's limits. Each has a default; a task's manifest may ask for
/// others, and the operator caps what any task may ask ([`Limits::within`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wasm fuel (about one unit per instruction).
    pub fuel: u64,
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Elements of all tables.
    pub table_elements: usize,
    /// Wall-clock time before the call is stopped.
    pub deadline: Duration,
    /// Bytes the guest may write to stdout.
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 10_000_000_000,
            memory_bytes: 256 << 20,
            table_elements: 100_000,
            deadline: Duration::from_secs(20),
            output_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// These limits, none above the operator's `cap`.
    pub fn within(self, cap: &Limits) -> Limits {
        Limits {
            fuel: self.fuel.min(cap.fuel),
            memory_bytes: self.memory_bytes.min(cap.memory_bytes),
            table_elements: self.table_elements.min(cap.table_elements),
            deadline: self.deadline.min(cap.deadline),
            output_bytes: self.output_bytes.min(cap.output_bytes),
        }
    }
}

/// A growth the limiter refused.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Denied {
    what: &'static str,
    asked: usize,
    limit: usize,
}

impl Denied {
    pub(crate) fn into_error(self) -> SandboxError {
        SandboxError::OverLimit {
            what: self.what,
            asked: self.asked,
            limit: self.limit,
        }
    }
}

/// Refuses memory and table growth past the limits, trapping at once, and
/// remembers what it refused so the call's error can name it.
pub(crate) struct Limiter {
    memory_bytes: usize,
    table_elements: usize,
    pub(crate) denied: Option<Denied>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_bytes: limits.memory_bytes,
            table_elements: limits.table_elements,
            denied: None,
        }
    }

    fn grow(&mut self, what: &'static str, asked: usize, limit: usize) -> wasmtime::Result<bool> {
        if asked <= limit {
            return Ok(true);
        }
        self.denied = Some(Denied { what, asked, limit });
        Err(wasmtime::Error::msg(format!(
            "{what} of {asked} over the limit of {limit}"
        )))
    }
}

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow("linear memory", desired, self.memory_bytes)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow("table elements", desired, self.table_elements)
    }

    fn instances(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}
