//! Off-chain side of tasknet. `sdk` derives the program's addresses and
//! builds its instructions from the program crate's own types, so the node,
//! the CLI and the tests all speak exactly what the program expects.
//! `localnet` is the embedded development chain.

pub mod chain;
pub mod cli;
pub mod demo;
pub mod errors;
pub mod keys;
pub mod localnet;
pub mod node;
pub mod sdk;

pub use tasknet;
