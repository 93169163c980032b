//! Write a tasknet task as two functions and let the kit speak to the node.
//!
//! ```no_run
//! use tasknet_task_kit::Input;
//!
//! fn execute(input: &Input) -> Vec<u8> {
//!     input.seed.to_vec()
//! }
//!
//! fn audit(input: &Input, payload: &[u8]) -> bool {
//!     payload == execute(input)
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     tasknet_task_kit::run(execute, audit)
//! }
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip1`; the module's
//! sha256 is the task's code hash. The node runs it in a sandbox that grants
//! nothing but stdin, stdout, a clock fixed for the round and random bytes
//! seeded by the round: the same input gives every node the same bytes.
//!
//! The protocol (the same as a native task command's): one JSON request on
//! stdin, one JSON answer on stdout.
//!
//! ```text
//! {"op":"execute","task":"<address>","round":3,"seed":"<hex>","node":"<address>"} -> {"payload":"<hex>"}
//! {"op":"audit","task":..,"round":..,"seed":..,"node":"<audited>","payload":"<hex>"} -> {"valid":true}
//! ```

use std::io::{Read, Write};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

/// A round's input, as the node gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The task's address (base58).
    pub task: String,
    pub round: u64,
    /// The round's seed: the same for every node.
    pub seed: [u8; 32],
    /// The node whose work this is (base58): the executing node, or the
    /// audited one. A task can give each node its own part of the work.
    pub node: String,
}

/// What the node sends.
#[derive(Deserialize, Serialize, Debug, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Execute {
        task: String,
        round: u64,
        seed: String,
        node: String,
    },
    Audit {
        task: String,
        round: u64,
        seed: String,
        node: String,
        payload: String,
    },
}

/// What the task answers.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
#[serde(untagged)]
pub enum Answer {
    Payload { payload: String },
    Verdict { valid: bool },
}

fn seed(hex_seed: &str) -> Result<[u8; 32], String> {
    hex::decode(hex_seed)
        .map_err(|e| format!("seed: {e}"))?
        .try_into()
        .map_err(|_| "seed: not 32 bytes".to_string())
}

/// Answers one request with the task's two functions.
pub fn answer(
    request: &[u8],
    execute: impl Fn(&Input) -> Vec<u8>,
    audit: impl Fn(&Input, &[u8]) -> bool,
) -> Result<Answer, String> {
    let request: Request =
        serde_json::from_slice(request).map_err(|e| format!("bad request: {e}"))?;
    Ok(match request {
        Request::Execute {
            task,
            round,
            seed,
            node,
        } => Answer::Payload {
            payload: hex::encode(execute(&input(task, round, &seed, node)?)),
        },
        Request::Audit {
            task,
            round,
            seed,
            node,
            payload,
        } => {
            let payload = hex::decode(payload).map_err(|e| format!("payload: {e}"))?;
            Answer::Verdict {
                valid: audit(&input(task, round, &seed, node)?, &payload),
            }
        }
    })
}

fn input(task: String, round: u64, hex_seed: &str, node: String) -> Result<Input, String> {
    Ok(Input {
        task,
        round,
        seed: seed(hex_seed)?,
        node,
    })
}

/// The task's `main`: reads the request on stdin, answers on stdout; a bad
/// request is reported on stderr with a failure status.
pub fn run(execute: impl Fn(&Input) -> Vec<u8>, audit: impl Fn(&Input, &[u8]) -> bool) -> ExitCode {
    let mut request = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut request) {
        eprintln!("error: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    match answer(&request, execute, audit) {
        Ok(answer) => {
            let mut out = std::io::stdout().lock();
            let written = serde_json::to_writer(&mut out, &answer)
                .map_err(|e| e.to_string())
                .and_then(|()| out.flush().map_err(|e| e.to_string()));
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: writing the answer: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn echo(input: &Input) -> Vec<u8> {
        input.seed.to_vec()
    }

    fn same(input: &Input, payload: &[u8]) -> bool {
        payload == input.seed
    }

    #[test]
    fn answers_both_requests() {
        let seed = hex::encode([5; 32]);
        let execute =
            format!(r#"{{"op":"execute","task":"t","round":1,"seed":"{seed}","node":"n"}}"#);
        assert_eq!(
            answer(execute.as_bytes(), echo, same).unwrap(),
            Answer::Payload {
                payload: seed.clone()
            }
        );
        let audit = format!(
            r#"{{"op":"audit","task":"t","round":1,"seed":"{seed}","node":"m","payload":"{seed}"}}"#
        );
        assert_eq!(
            answer(audit.as_bytes(), echo, same).unwrap(),
            Answer::Verdict { valid: true }
        );
    }

    proptest! {
        /// Whatever arrives on stdin, the kit answers or names the problem;
        /// it never panics (a panic in a module is a trap: no answer).
        #[test]
        fn any_bytes_are_answered_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = answer(&bytes, echo, same);
        }

        #[test]
        fn any_well_formed_request_is_answered(round in any::<u64>(), seed in any::<[u8; 32]>(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let request = Request::Audit {
                task: "t".into(),
                round,
                seed: hex::encode(seed),
                node: "n".into(),
                payload: hex::encode(&payload),
            };
            let bytes = serde_json::to_vec(&request).unwrap();
            let answered = answer(&bytes, echo, same).unwrap();
            prop_assert_eq!(answered, Answer::Verdict { valid: payload == seed });
        }
    }
}
