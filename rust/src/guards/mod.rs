//! Input guards (issue #6): prompt-injection / jailbreak detection and PII + secret
//! detection with redaction. Pure Rust, no pyo3; compiled once into [`Guards`] and
//! shared (`Send + Sync`).
//!
//! This file is both the `guards` module of routecore and, for development, a crate
//! root; sibling files are reached with `super::`/`self::` paths only.

mod checksums;
mod contact;
mod context;
mod normalize;
mod numbers;
mod pii;
mod secrets;
mod text;

pub use self::pii::{PiiKind, PiiSpan};
use self::pii::PiiScanner;

/// The compiled guards: automata and tables built once, then shared across threads.
pub struct Guards {
    pii: PiiScanner,
}

impl Default for Guards {
    fn default() -> Self {
        Self::new()
    }
}

impl Guards {
    pub fn new() -> Guards {
        Guards { pii: PiiScanner::new() }
    }

    /// PII spans in code points, sorted and non-overlapping.
    pub fn pii(&self, text: &str) -> Vec<PiiSpan> {
        self.pii.scan(text)
    }

    /// Replaces each detected PII span with `[KIND]` (e.g. `[EMAIL]`).
    pub fn redact(&self, text: &str) -> String {
        self.pii.redact(text)
    }
}
