//! The pages tasknet serves to people: the operator's dashboard (served by
//! `tasknet node run --serve` at `/`) and the task explorer (`tasknet
//! explore`). Each page is a plain model (the data, gathered by the node or
//! the explorer) rendered to HTML by a pure function, so what a page shows
//! is tested without a server.
//!
//! Safe by construction: [`html::Html`] takes literal markup only as
//! `&'static str`; every other string goes through [`html::escape`], so
//! names, endpoints and URIs from the chain or from other nodes render as
//! text. Pages carry no inline script (`/assets/refresh.js` is a file the
//! server serves), which lets [`CONTENT_SECURITY_POLICY`] forbid any other.
//! Charts are drawn by `plotters` into SVG on the server ([`chart`]); no
//! asset comes from anywhere but the serving process.

pub mod chart;
pub mod dashboard;
pub mod explorer;
pub mod format;
pub mod html;
pub mod layout;
pub mod serve;

pub use layout::{CONTENT_SECURITY_POLICY, REFRESH_SCRIPT, STYLE};
