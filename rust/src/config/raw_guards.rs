//! `[guards]` and `[verification]` as written (issue #6). Strings stay strings here so that a
//! bad action or mode is reported by `compile` with its key path and the list of valid values,
//! instead of serde's first-error-only message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One detector's settings. At the global level unset fields take the defaults
/// (injection: flag, pii: off; mode pre_call); at tier and tenant level they inherit.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawDetector {
    /// off | flag | redact | block | escalate
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// pre_call | parallel
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Injection only: the lowest verdict that triggers the action ("suspicious" or "injection").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_verdict: Option<String>,
    /// PII only: per-type actions (`CREDIT_CARD = "block"`), type names as `scan` reports them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, String>,
}

/// A guard table: `[guards]`, `[tiers.guards]` or `[tenants.NAME.guards]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawGuardSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injection: Option<RawDetector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pii: Option<RawDetector>,
    /// The safer model `escalate` pins; unset: one tier above the routed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_model: Option<String>,
}

/// `[verification]`: output checks and the rollback trigger.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawVerification {
    /// Built-in checks: "json" (when `response_format` asks for JSON or a schema), "refusal".
    pub checks: Vec<String>,
    /// Custom checks, `"package.module:function"`, each `(text) -> bool | CheckResult`.
    pub custom: Vec<String>,
    /// accept | reask (once, then escalate) | escalate
    pub on_failure: String,
    /// Verified failure rate over the window above which a model's route rolls back.
    pub rollback_threshold: f64,
    /// Per-tier thresholds (T0 first); missing entries use `rollback_threshold`.
    pub tier_thresholds: Vec<f64>,
    pub window_s: f64,
    /// Fewer verified answers than this in the window never trigger a rollback.
    pub min_samples: u32,
    /// While rolled back, every n-th request still probes the original model.
    pub probe_every: u32,
    /// Safer choice per model name or tier name (`"gpt-4o-mini" = "gpt-4o"`, `"T1-fast" =
    /// "claude-3-5-haiku"`); unset: the next tier up.
    pub rollback_to: BTreeMap<String, String>,
    /// Routes whose failures a person must see: capability names ("math") and tier names.
    pub high_stakes: Vec<String>,
    /// Where a high-stakes case goes when every tier failed verification: a
    /// `"package.module:function"` callable or an `http(s)://` webhook (POSTed JSON, redacted).
    pub human_escalation: Option<String>,
}

impl Default for RawVerification {
    fn default() -> Self {
        RawVerification {
            checks: vec!["json".into()],
            custom: Vec::new(),
            on_failure: "reask".into(),
            rollback_threshold: 0.05,
            tier_thresholds: Vec::new(),
            window_s: 300.0,
            min_samples: 20,
            probe_every: 20,
            rollback_to: BTreeMap::new(),
            high_stakes: Vec::new(),
            human_escalation: None,
        }
    }
}
