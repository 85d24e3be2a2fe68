//! The compiled, immutable routing policy: what `config::compile` makes of a validated config.
//! Models are referred to by dense `ModelId`s so the hot path never hashes a name.

use std::collections::HashMap;

use crate::capability::Capability;
use crate::config::raw::{RawConfig, RawResilience};

pub type ModelId = u16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    OpenAi,
    Anthropic,
}

impl Provider {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "openai" => Some(Provider::OpenAi),
            "anthropic" => Some(Provider::Anthropic),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ModelSpec {
    pub name: String,
    pub provider: Provider,
    pub input_cost_per_token: f64,
    pub output_cost_per_token: f64,
    pub context_window: u32,
    pub max_output_tokens: u32,
    pub ttft_ms: f64,
    pub requests_per_min: Option<f64>,
    pub tokens_per_min: Option<f64>,
    /// Lowest tier that lists this model (the tier a pinned request is accounted to).
    pub home_tier: u8,
}

impl ModelSpec {
    pub fn cost(&self, input_tokens: u32, output_tokens: u32) -> f64 {
        input_tokens as f64 * self.input_cost_per_token
            + output_tokens as f64 * self.output_cost_per_token
    }
}

#[derive(Debug, Clone)]
pub struct TierSpec {
    pub name: String,
    pub latency_budget_ms: f64,
    pub first_token_timeout_ms: f64,
    pub total_timeout_ms: f64,
    pub success_target: f64,
    pub models: Vec<ModelId>,
}

#[derive(Debug, Clone)]
pub struct CapabilityRule {
    pub min_tier: u8,
    pub max_tier: u8,
    pub preferred: Vec<ModelId>,
    pub expected_output_tokens: u32,
    pub prior: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct Weights {
    pub token_count: f32,
    pub tool_usage: f32,
    pub user_tier: f32,
    pub capability: f32,
    pub structure: f32,
    pub difficulty: f32,
}

#[derive(Debug, Clone)]
pub struct Scoring {
    pub weights: Weights,
    pub thresholds: Vec<f32>,
    pub token_scale: f32,
}

/// Budgets of one tenant (or the template for tenants the config does not name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantSpec {
    pub requests_per_min: Option<f64>,
    pub tokens_per_min: Option<f64>,
    pub usd_per_window: Option<f64>,
    pub usd_window_s: f64,
    pub min_tier: u8,
    pub max_tier: u8,
    /// `None`: every model; otherwise a bitmap-like sorted list of ids.
    pub allowed_models: Option<Vec<ModelId>>,
}

impl TenantSpec {
    pub fn has_budget(&self) -> bool {
        self.requests_per_min.is_some()
            || self.tokens_per_min.is_some()
            || self.usd_per_window.is_some()
    }
    pub fn allows(&self, m: ModelId) -> bool {
        self.allowed_models
            .as_ref()
            .is_none_or(|a| a.binary_search(&m).is_ok())
    }
}

#[derive(Debug, Clone)]
pub struct UserTierSpec {
    pub score: f32,
    pub min_tier: u8,
    pub max_tier: u8,
}

#[derive(Debug, Clone)]
pub struct Routing {
    pub max_fallbacks: usize,
    pub fallbacks_for_pinned: bool,
    pub default_output_tokens: u32,
    pub max_input_bytes: u64,
    pub classifier: String,
    pub capability_model: Option<String>,
}

#[derive(Debug)]
pub struct Policy {
    pub models: Vec<ModelSpec>,
    pub model_index: HashMap<String, ModelId>,
    pub tiers: Vec<TierSpec>,
    pub capabilities: [CapabilityRule; Capability::COUNT],
    pub scoring: Scoring,
    pub tenants: HashMap<String, TenantSpec>,
    /// Applied to tenants the config does not name (`[tenants.default]`).
    pub default_tenant: TenantSpec,
    pub user_tiers: HashMap<String, UserTierSpec>,
    pub routing: Routing,
    pub resilience: RawResilience,
    /// Input guard actions per detector, overridable per tier and tenant (issue #6).
    pub guards: crate::guard_policy::GuardPolicy,
    pub verification: crate::guard_policy::VerificationPolicy,
    /// The validated config with defaults filled in, as the Python layers see it.
    pub normalized: RawConfig,
}

impl Policy {
    pub fn model(&self, id: ModelId) -> &ModelSpec {
        &self.models[id as usize]
    }
    pub fn model_id(&self, name: &str) -> Option<ModelId> {
        self.model_index.get(name).copied()
    }
    pub fn max_tier(&self) -> u8 {
        (self.tiers.len() - 1) as u8
    }
    pub fn tenant(&self, name: &str) -> &TenantSpec {
        self.tenants.get(name).unwrap_or(&self.default_tenant)
    }
    pub fn model_names(&self) -> Vec<String> {
        self.models.iter().map(|m| m.name.clone()).collect()
    }
}
