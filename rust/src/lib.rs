//! routecore: microsecond routing decisions for LLM requests.
//!
//! Everything outside `bindings` is plain Rust with no Python types, so `cargo test` covers the
//! decision logic without an interpreter; the `python` feature adds the PyO3 module
//! `routecore._core` that the Python package wraps.

pub mod ascii_block;
pub mod bandit;
pub mod budget;
pub mod capability;
pub mod classify;
pub mod complexity;
pub mod config;
pub mod decision;
pub mod difficulty;
pub mod error;
pub mod features;
pub mod guard_policy;
pub mod guards;
pub mod health;
pub mod lease;
pub mod mix;
pub mod policy;
pub mod recent;
pub mod request;
pub mod router;
pub mod select;
pub mod text_stats;
pub mod tokens;

#[cfg(feature = "python")]
mod bindings;

pub use capability::Capability;
pub use decision::Decision;
pub use error::{Error, Result};
pub use request::{Message, Request, Role};
pub use router::Router;
