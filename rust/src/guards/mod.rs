//! Input guards (issue #6): prompt-injection / jailbreak detection and PII + secret
//! detection with redaction. Pure Rust, no pyo3; compiled once into [`Guards`] and
//! shared (`Send + Sync`).
//!
//! This file is both the `guards` module of routecore and, for development, a crate
//! root; sibling files are reached with `super::`/`self::` paths only.

mod checksums;
mod contact;
mod context;
mod encoded;
mod injection;
mod model;
mod normalize;
mod numbers;
mod patterns;
mod pii;
mod secrets;
mod text;

use self::injection::InjectionDetector;
pub use self::injection::{Injection, Verdict};
use self::pii::PiiScanner;
pub use self::pii::{PiiKind, PiiSpan};

/// The compiled guards: automata and tables built once, then shared across threads.
pub struct Guards {
    pii: PiiScanner,
    injection: InjectionDetector,
}

/// Result of [`Guards::scan`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScanResult {
    pub injection: Injection,
    pub pii: Vec<PiiSpan>,
}

impl Default for Guards {
    fn default() -> Self {
        Self::new()
    }
}

impl Guards {
    pub fn new() -> Guards {
        Guards {
            pii: PiiScanner::new(),
            injection: InjectionDetector::new(),
        }
    }

    /// Both guards: injection verdict and PII spans (code points, sorted, disjoint).
    pub fn scan(&self, text: &str) -> ScanResult {
        ScanResult {
            injection: self.injection.detect(text),
            pii: self.pii.scan(text),
        }
    }

    /// Injection verdict only.
    pub fn injection(&self, text: &str) -> Injection {
        self.injection.detect(text)
    }

    /// False if the embedded model failed its checks (rules-only scoring then).
    pub fn has_model(&self) -> bool {
        self.injection.has_model()
    }

    /// Hashed features + signal ids the model sees; for the training script only.
    #[doc(hidden)]
    pub fn injection_features(&self, text: &str) -> Vec<u32> {
        self.injection.training_features(text)
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
