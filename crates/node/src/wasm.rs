//! Task code as a WebAssembly module, run in the node's sandbox
//! (`tasknet-sandbox`): the same JSON request an external command reads,
//! on the guest's stdin, and its JSON answer from its stdout. The module is
//! loaded by the task's code hash, so bytes that are not the task's never
//! compile, let alone run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use tasknet_sandbox::{Call, Limits, Sandbox, TaskModule};

use crate::code::{
    audit_request, check_payload, execute_request, CodeError, Request, Response, RoundInput,
    TaskCode,
};

/// A task's module, ready to run with its limits.
pub struct WasmCode {
    sandbox: Arc<Sandbox>,
    module: TaskModule,
    limits: Limits,
    /// Fuel the last call used; `u64::MAX` before the first.
    last_fuel: AtomicU64,
}

impl WasmCode {
    /// Checks `bytes` against `code_hash` and their imports, and compiles
    /// them (once per machine, with a cache).
    pub fn load(
        sandbox: Arc<Sandbox>,
        bytes: &[u8],
        code_hash: &[u8; 32],
        limits: Limits,
    ) -> Result<Self, CodeError> {
        let module = sandbox.load(bytes, code_hash)?;
        Ok(Self::new(sandbox, module, limits))
    }

    /// A module already loaded, run within `limits`.
    pub fn new(sandbox: Arc<Sandbox>, module: TaskModule, limits: Limits) -> Self {
        Self {
            sandbox,
            module,
            limits,
            last_fuel: AtomicU64::new(u64::MAX),
        }
    }

    fn call(&self, input: &RoundInput, request: &Request) -> Result<(Response, Usage), CodeError> {
        let stdin = serde_json::to_vec(request).map_err(|e| invalid(e.to_string()))?;
        let call = Call {
            stdin: &stdin,
            clock: round_clock(input.round),
            seed: input.seed,
        };
        let outcome = self.sandbox.run(&self.module, &call, &self.limits)?;
        self.last_fuel.store(outcome.fuel_used, Ordering::Relaxed);
        tracing::debug!(
            round = input.round,
            fuel = outcome.fuel_used,
            elapsed = ?outcome.elapsed,
            "task module ran"
        );
        let usage = Usage {
            fuel: outcome.fuel_used,
            elapsed: outcome.elapsed,
        };
        let response =
            serde_json::from_slice(&outcome.stdout).map_err(|e| invalid(e.to_string()))?;
        Ok((response, usage))
    }

    /// [`TaskCode::execute`], and what the call used.
    pub fn execute_with_usage(&self, input: &RoundInput) -> Result<(Vec<u8>, Usage), CodeError> {
        match self.call(input, &execute_request(input))? {
            (Response::Payload { payload }, usage) => {
                let payload = hex::decode(payload).map_err(|e| invalid(e.to_string()))?;
                Ok((check_payload(payload)?, usage))
            }
            (Response::Verdict { .. }, _) => Err(invalid("expected {\"payload\": hex}".into())),
        }
    }

    /// [`TaskCode::audit`], and what the call used.
    pub fn audit_with_usage(
        &self,
        input: &RoundInput,
        node: &Pubkey,
        payload: &[u8],
    ) -> Result<(bool, Usage), CodeError> {
        match self.call(input, &audit_request(input, node, payload))? {
            (Response::Verdict { valid }, usage) => Ok((valid, usage)),
            (Response::Payload { .. }, _) => Err(invalid("expected {\"valid\": bool}".into())),
        }
    }
}

/// What one call of a module used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub fuel: u64,
    pub elapsed: Duration,
}

/// What the guest's wall clock reads in `round`: `round` seconds past the
/// Unix epoch, the same on every node.
pub fn round_clock(round: u64) -> Duration {
    Duration::from_secs(round)
}

/// The module ran to its end but its answer is not one the protocol
/// allows: named as such, not as a trap.
fn invalid(detail: String) -> CodeError {
    CodeError::BadAnswer(detail)
}

impl TaskCode for WasmCode {
    fn code_hash(&self) -> [u8; 32] {
        self.module.hash()
    }

    fn execute(&self, input: &RoundInput) -> Result<Vec<u8>, CodeError> {
        Ok(self.execute_with_usage(input)?.0)
    }

    fn audit(&self, input: &RoundInput, node: &Pubkey, payload: &[u8]) -> Result<bool, CodeError> {
        Ok(self.audit_with_usage(input, node, payload)?.0)
    }

    fn last_fuel(&self) -> Option<u64> {
        let fuel = self.last_fuel.load(Ordering::Relaxed);
        (fuel != u64::MAX).then_some(fuel)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Whatever a module writes, the node reads an answer from it or
        /// names why not: the guest-facing decoding never panics.
        #[test]
        fn any_output_is_an_answer_or_a_named_error(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = serde_json::from_slice::<Response>(&bytes).map_err(|e| invalid(e.to_string()));
        }

        #[test]
        fn well_formed_answers_decode(payload in proptest::collection::vec(any::<u8>(), 1..64), valid in any::<bool>()) {
            let text = format!(r#"{{"payload":"{}"}}"#, hex::encode(&payload));
            prop_assert_eq!(
                serde_json::from_str::<Response>(&text).unwrap(),
                Response::Payload { payload: hex::encode(&payload) }
            );
            let text = format!(r#"{{"valid":{valid}}}"#);
            prop_assert_eq!(serde_json::from_str::<Response>(&text).unwrap(), Response::Verdict { valid });
        }
    }
}
