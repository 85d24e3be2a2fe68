//! The configuration as written: plain serde structs, all optional fields defaulted here, so that
//! `compile.rs` only has to check meaning. Serialized back (defaults filled in) it becomes the
//! `Router.config` dict the Python layers read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use super::raw_guards::{RawDetector, RawGuardSet, RawVerification};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RawConfig {
    #[serde(default = "one")]
    pub version: u32,
    pub models: BTreeMap<String, RawModel>,
    pub tiers: Vec<RawTier>,
    #[serde(default)]
    pub capabilities: BTreeMap<String, RawCapability>,
    #[serde(default)]
    pub scoring: RawScoring,
    #[serde(default)]
    pub tenants: BTreeMap<String, RawTenant>,
    #[serde(default)]
    pub user_tiers: BTreeMap<String, RawUserTier>,
    #[serde(default)]
    pub routing: RawRouting,
    #[serde(default)]
    pub resilience: RawResilience,
    #[serde(default)]
    pub state: RawState,
    #[serde(default)]
    pub bandit: crate::bandit::BanditConfig,
    /// Input guard policy (tiers and tenants may override it in their own `guards` table).
    #[serde(default)]
    pub guards: RawGuardSet,
    #[serde(default)]
    pub verification: RawVerification,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RawModel {
    /// Wire format: "openai" (any OpenAI-compatible API) or "anthropic".
    pub provider: String,
    pub api_base: Option<String>,
    pub api_key_env: Option<String>,
    /// The model name sent to the provider (defaults to the key).
    pub upstream_model: Option<String>,
    pub input_cost_per_1k: f64,
    pub output_cost_per_1k: f64,
    pub context_window: u32,
    pub max_output_tokens: Option<u32>,
    /// Typical time to first token; the health tracker refines it from traffic.
    pub ttft_ms: f64,
    /// Provider quotas for this deployment (shared by all tenants).
    pub requests_per_min: Option<f64>,
    pub tokens_per_min: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RawTier {
    pub name: String,
    pub latency_budget_ms: f64,
    pub success_target: f64,
    pub models: Vec<String>,
    pub first_token_timeout_ms: Option<f64>,
    pub total_timeout_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guards: Option<RawGuardSet>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawCapability {
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
    /// Preferred models for this capability, best first; tried before the tier's own order.
    #[serde(default)]
    pub models: Vec<String>,
    pub expected_output_tokens: Option<u32>,
    /// How demanding the capability is, 0..1 (feeds the complexity score).
    pub prior: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawScoring {
    pub weights: RawWeights,
    /// Complexity at which tiers 1, 2, 3 begin (ascending, one per tier above T0).
    pub thresholds: Vec<f64>,
    /// Tokens at which the size signal reaches one half.
    pub token_scale: f64,
}

impl Default for RawScoring {
    fn default() -> Self {
        RawScoring {
            weights: RawWeights::default(),
            thresholds: vec![12.0, 30.0, 55.0],
            token_scale: 1500.0,
        }
    }
}

/// Weights of the complexity components; the first three are the seed design's formula.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawWeights {
    pub token_count: f64,
    pub tool_usage: f64,
    pub user_tier: f64,
    pub capability: f64,
    pub structure: f64,
    /// Predicted difficulty (learned model; ignored when the classifier gives none).
    pub difficulty: f64,
}

impl Default for RawWeights {
    fn default() -> Self {
        RawWeights {
            token_count: 0.4,
            tool_usage: 0.3,
            user_tier: 0.3,
            capability: 0.8,
            structure: 0.4,
            difficulty: 0.6,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawTenant {
    pub requests_per_min: Option<f64>,
    pub tokens_per_min: Option<f64>,
    pub usd_per_window: Option<f64>,
    /// Length of the USD window in seconds (default: one day).
    pub usd_window_s: Option<f64>,
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
    pub allowed_models: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guards: Option<RawGuardSet>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawUserTier {
    /// 0..1: how much this user tier raises complexity (premium users get stronger models).
    #[serde(default)]
    pub score: f64,
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawRouting {
    pub max_fallbacks: u32,
    /// A pinned model still gets same-tier fallbacks.
    pub fallbacks_for_pinned: bool,
    /// Reserve this many output tokens when neither the request nor the capability says.
    pub default_output_tokens: u32,
    /// Requests larger than this are refused before any work (bytes of text).
    pub max_input_bytes: u64,
    /// Capability classifier: "learned" (the default: the shipped model, or
    /// `capability_model`; it beats the keyword model on the held-out split and on the
    /// hand-written sanity set, and scores difficulty in the same pass) or "keywords" (the
    /// cue-phrase model).
    pub classifier: String,
    /// A capability model artifact trained with `python -m training.capability.train`
    /// (a path; relative paths resolve against the config file's directory).
    pub capability_model: Option<String>,
}

impl Default for RawRouting {
    fn default() -> Self {
        RawRouting {
            max_fallbacks: 3,
            fallbacks_for_pinned: true,
            default_output_tokens: 300,
            max_input_bytes: 32 << 20,
            classifier: "learned".into(),
            capability_model: None,
        }
    }
}

/// Settings of the async provider layer and of the health tracker in the core.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawResilience {
    pub hedge: bool,
    /// Fixed hedge delay; when absent it follows the model's observed TTFT p95.
    pub hedge_delay_ms: Option<f64>,
    pub max_hedge_share: f64,
    pub hedge_window_s: f64,
    pub max_attempts: u32,
    pub backoff_base_ms: f64,
    pub backoff_max_ms: f64,
    pub breaker_consecutive_failures: u32,
    pub breaker_error_rate: f64,
    pub breaker_window_s: f64,
    pub breaker_min_requests: u32,
    pub breaker_open_ms: f64,
    pub latency_miss_limit: u32,
    pub latency_miss_window_s: f64,
    pub continue_after_truncation: bool,
    pub refusal_fallback: Option<String>,
}

impl Default for RawResilience {
    fn default() -> Self {
        RawResilience {
            hedge: true,
            hedge_delay_ms: None,
            max_hedge_share: 0.2,
            hedge_window_s: 60.0,
            max_attempts: 4,
            backoff_base_ms: 25.0,
            backoff_max_ms: 400.0,
            breaker_consecutive_failures: 5,
            breaker_error_rate: 0.5,
            breaker_window_s: 30.0,
            breaker_min_requests: 10,
            breaker_open_ms: 5000.0,
            latency_miss_limit: 3,
            latency_miss_window_s: 3600.0,
            continue_after_truncation: false,
            refusal_fallback: None,
        }
    }
}

/// Where budgets, rate limits and shared health live: this process (`memory`) or a Redis
/// (Valkey) server shared by every replica. Read by `python/routecore/state/`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct RawState {
    /// "memory" (in-process, the default) or "redis".
    pub backend: String,
    pub url: String,
    /// When Redis is unreachable: "fail_open" (local limits ÷ `expected_replicas`) or
    /// "fail_closed" (budgeted requests refused with `StateUnavailableError`, HTTP 503).
    pub mode: String,
    /// Replicas sharing the limits; in fail-open each enforces its share of every limit.
    pub expected_replicas: u32,
    /// Prefix of every key (several deployments can share one Redis).
    pub key_prefix: String,
    /// A lease tops a replica's allowance up to this share of each limit.
    pub lease_fraction: f64,
    /// Allowance unused this long goes back to Redis.
    pub lease_idle_s: f64,
    /// Period of the background thread (refills, returns, health).
    pub sync_interval_ms: f64,
    /// Socket timeout of one Redis call; slower counts as unreachable.
    pub timeout_ms: f64,
}

impl Default for RawState {
    fn default() -> Self {
        RawState {
            backend: "memory".into(),
            url: "redis://127.0.0.1:6379/0".into(),
            mode: "fail_open".into(),
            expected_replicas: 1,
            key_prefix: "rc".into(),
            lease_fraction: 0.05,
            lease_idle_s: 5.0,
            sync_interval_ms: 20.0,
            timeout_ms: 50.0,
        }
    }
}
