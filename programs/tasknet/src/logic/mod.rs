//! Pure protocol logic: no accounts, no syscalls. The program and the node
//! both call these functions, so the schedule and the money rules exist once.

pub mod audit_sample;
pub mod audit_seed;
pub mod commitment;
pub mod schedule;
pub mod settlement;
pub mod stake_weight;

pub use audit_sample::*;
pub use audit_seed::*;
pub use commitment::*;
pub use schedule::*;
pub use settlement::*;
pub use stake_weight::*;

/// Basis points in one whole.
pub const BPS_DENOMINATOR: u64 = 10_000;
