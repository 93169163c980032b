//! The tasknet client SDK: everything needed to talk to the program and
//! nothing else (no bank, no HTTP server, no database, no CLI parser).
//!
//! - [`pda`] and the instruction builders ([`ix`], re-exported at the root)
//!   come from the program crate's own seeds and account structs;
//! - [`accounts`] decodes accounts and holds the memcmp filters, whose
//!   offsets are defined once, next to the account types in the program;
//! - [`chain`] is the RPC client every off-chain role uses to read and send;
//! - [`defaults`] is the one source of default economics and schedules;
//! - [`errors`], [`keys`] and [`amount`] turn program errors, keypair files
//!   and SOL amounts into what people read and type.

pub mod accounts;
pub mod amount;
pub mod chain;
pub mod defaults;
pub mod errors;
pub mod events;
pub mod ix;
pub mod keys;
pub mod pda;
pub mod tokens;

pub use ix::*;
pub use tasknet;
pub use tasknet::ID as PROGRAM_ID;
