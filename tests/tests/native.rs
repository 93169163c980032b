//! The program's integration tests, run natively, inside a real Agave bank (solana-program-test).
//! `tests/native.rs` and `tests/sbf.rs` run the same cases.

use tasknet_tests::Backend;

const BACKEND: Backend = Backend::Native;

#[path = "cases/attacks.rs"]
mod attacks;
#[path = "cases/audit.rs"]
mod audit;
#[path = "cases/creator.rs"]
mod creator;
#[path = "cases/lifecycle.rs"]
mod lifecycle;
#[path = "cases/node.rs"]
mod node;
#[path = "cases/tokens.rs"]
mod tokens;
#[path = "cases/verifier.rs"]
mod verifier;
