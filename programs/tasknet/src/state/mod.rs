pub mod audit;
pub mod round;
pub mod stake;
pub mod submission;
pub mod task;
pub mod vault;
pub mod vote;

pub use audit::*;
pub use round::*;
pub use stake::*;
pub use submission::*;
pub use task::*;
pub use vault::*;
pub use vote::*;
