//! The `tasknet` command as a library: one module per subcommand under
//! [`commands`], each with its clap arguments and a `run` that returns a
//! typed result; [`output`] renders any of them as aligned text or JSON.

pub mod commands;
pub mod config;
pub mod context;
pub mod output;
pub mod sol;

pub use context::{CliError, Ctx};
