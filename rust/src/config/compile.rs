//! Semantic validation and compilation of a parsed config. Collects every issue rather than
//! stopping at the first, so `routecore config check` can list them all.

use std::collections::HashMap;

mod guards;

use super::raw::{RawConfig, RawTenant};
use crate::capability::Capability;
use crate::error::{ConfigIssue, Error, Result};
use crate::policy::*;

struct Issues(Vec<ConfigIssue>);

impl Issues {
    fn add(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.0.push(ConfigIssue {
            path: path.into(),
            message: msg.into(),
        });
    }
    fn non_negative(&mut self, path: impl Into<String>, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            self.add(path, format!("must be a finite number >= 0 (got {v})"));
        }
    }
    fn positive(&mut self, path: impl Into<String>, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            self.add(path, format!("must be a finite number > 0 (got {v})"));
        }
    }
    fn unit(&mut self, path: impl Into<String>, v: f64) {
        if !(0.0..=1.0).contains(&v) {
            self.add(path, format!("must be between 0 and 1 (got {v})"));
        }
    }
}

const CAP_DEFAULTS: [(f32, u32); Capability::COUNT] = [
    // (complexity prior, expected output tokens), in `Capability` order.
    (0.0, 60),   // chitchat
    (0.2, 250),  // factual
    (0.3, 300),  // extraction
    (0.35, 300), // summarization
    (0.15, 20),  // classification
    (0.45, 600), // creative
    (0.75, 700), // reasoning
    (0.7, 600),  // math
    (0.65, 800), // code
    (0.35, 400), // translation
];

pub fn compile(raw: RawConfig, unknown: Vec<ConfigIssue>) -> Result<Policy> {
    let mut is = Issues(unknown);
    let mut raw = raw;
    if raw.version != 1 {
        is.add(
            "version",
            format!(
                "unsupported config version {} (this routecore reads version 1)",
                raw.version
            ),
        );
    }

    // Models.
    if raw.models.is_empty() {
        is.add("models", "at least one model is required");
    }
    let mut models = Vec::with_capacity(raw.models.len());
    let mut model_index = HashMap::new();
    for (name, m) in raw.models.iter_mut() {
        let p = format!("models.{name}");
        let provider = Provider::parse(&m.provider).unwrap_or_else(|| {
            is.add(
                format!("{p}.provider"),
                format!(
                    "unknown provider {:?}; expected \"openai\" or \"anthropic\"",
                    m.provider
                ),
            );
            Provider::OpenAi
        });
        is.non_negative(format!("{p}.input_cost_per_1k"), m.input_cost_per_1k);
        is.non_negative(format!("{p}.output_cost_per_1k"), m.output_cost_per_1k);
        is.positive(format!("{p}.ttft_ms"), m.ttft_ms);
        if m.context_window == 0 {
            is.add(format!("{p}.context_window"), "must be > 0");
        }
        for (k, v) in [
            ("requests_per_min", m.requests_per_min),
            ("tokens_per_min", m.tokens_per_min),
        ] {
            if let Some(v) = v {
                is.positive(format!("{p}.{k}"), v);
            }
        }
        let max_out = m.max_output_tokens.unwrap_or(m.context_window.min(16_384));
        // Fill defaults so the normalized config is complete for the Python layers.
        m.max_output_tokens = Some(max_out);
        m.upstream_model.get_or_insert_with(|| name.clone());
        m.api_base.get_or_insert_with(|| match provider {
            Provider::OpenAi => "https://api.openai.com/v1".into(),
            Provider::Anthropic => "https://api.anthropic.com".into(),
        });
        model_index.insert(name.clone(), models.len() as ModelId);
        models.push(ModelSpec {
            name: name.clone(),
            provider,
            input_cost_per_token: m.input_cost_per_1k / 1000.0,
            output_cost_per_token: m.output_cost_per_1k / 1000.0,
            context_window: m.context_window,
            max_output_tokens: max_out,
            ttft_ms: m.ttft_ms,
            requests_per_min: m.requests_per_min,
            tokens_per_min: m.tokens_per_min,
            home_tier: u8::MAX,
        });
    }
    if models.len() > ModelId::MAX as usize {
        is.add("models", "too many models");
    }
    let resolve = |is: &mut Issues, path: String, name: &str| -> Option<ModelId> {
        let id = model_index.get(name).copied();
        if id.is_none() {
            is.add(
                path,
                format!("unknown model {name:?} (not defined under [models])"),
            );
        }
        id
    };

    // Tiers.
    let n_tiers = raw.tiers.len();
    if n_tiers == 0 || n_tiers > 4 {
        is.add(
            "tiers",
            format!("between 1 and 4 tiers (T0..T3) are required, got {n_tiers}"),
        );
    }
    let mut tiers = Vec::with_capacity(n_tiers);
    let mut prev_budget = 0.0;
    for (i, t) in raw.tiers.iter_mut().enumerate() {
        let p = format!("tiers[{i}]");
        is.positive(format!("{p}.latency_budget_ms"), t.latency_budget_ms);
        if t.latency_budget_ms < prev_budget {
            is.add(
                format!("{p}.latency_budget_ms"),
                "tiers must be ordered by latency budget (T0 fastest)",
            );
        }
        prev_budget = t.latency_budget_ms;
        is.unit(format!("{p}.success_target"), t.success_target);
        if t.models.is_empty() {
            is.add(format!("{p}.models"), "a tier needs at least one model");
        }
        let ids: Vec<ModelId> = t
            .models
            .iter()
            .enumerate()
            .filter_map(|(j, m)| resolve(&mut is, format!("{p}.models[{j}]"), m))
            .collect();
        for (j, m) in t.models.iter().enumerate() {
            if t.models[..j].contains(m) {
                is.add(format!("{p}.models[{j}]"), "lists this model a second time");
            }
        }
        for &id in &ids {
            let spec = &mut models[id as usize];
            spec.home_tier = spec.home_tier.min(i as u8);
        }
        // First useful token must come within the budget; the whole answer may take a few times longer.
        let ft = *t.first_token_timeout_ms.get_or_insert(t.latency_budget_ms);
        let total = *t
            .total_timeout_ms
            .get_or_insert((t.latency_budget_ms * 8.0).max(2000.0));
        is.positive(format!("{p}.first_token_timeout_ms"), ft);
        if total < ft {
            is.add(
                format!("{p}.total_timeout_ms"),
                "must be >= first_token_timeout_ms",
            );
        }
        tiers.push(TierSpec {
            name: t.name.clone(),
            latency_budget_ms: t.latency_budget_ms,
            first_token_timeout_ms: ft,
            total_timeout_ms: total,
            success_target: t.success_target,
            models: ids,
        });
    }
    for m in models.iter_mut() {
        if m.home_tier == u8::MAX {
            // Reachable only by pinning; account it to the top tier.
            m.home_tier = n_tiers.saturating_sub(1) as u8;
        }
    }
    let max_tier = n_tiers.saturating_sub(1) as u8;
    let tier_ok = |is: &mut Issues, path: String, t: Option<u8>| {
        if let Some(t) = t {
            if t > max_tier {
                is.add(
                    path,
                    format!("tier {t} does not exist (tiers go from 0 to {max_tier})"),
                );
            }
        }
    };

    // Capability rules.
    let mut capabilities: [CapabilityRule; Capability::COUNT] =
        std::array::from_fn(|i| CapabilityRule {
            min_tier: 0,
            max_tier,
            preferred: Vec::new(),
            expected_output_tokens: CAP_DEFAULTS[i].1,
            prior: CAP_DEFAULTS[i].0,
        });
    for (name, c) in &raw.capabilities {
        let p = format!("capabilities.{name}");
        let Some(cap) = Capability::parse(name) else {
            let all: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
            is.add(
                p,
                format!("unknown capability; expected one of {}", all.join(", ")),
            );
            continue;
        };
        tier_ok(&mut is, format!("{p}.min_tier"), c.min_tier);
        tier_ok(&mut is, format!("{p}.max_tier"), c.max_tier);
        let rule = &mut capabilities[cap.index()];
        rule.min_tier = c.min_tier.unwrap_or(0).min(max_tier);
        rule.max_tier = c.max_tier.unwrap_or(max_tier).min(max_tier);
        if rule.min_tier > rule.max_tier {
            is.add(format!("{p}.min_tier"), "must be <= max_tier");
        }
        rule.preferred = c
            .models
            .iter()
            .enumerate()
            .filter_map(|(j, m)| resolve(&mut is, format!("{p}.models[{j}]"), m))
            .collect();
        if let Some(n) = c.expected_output_tokens {
            rule.expected_output_tokens = n;
        }
        if let Some(pr) = c.prior {
            is.unit(format!("{p}.prior"), pr);
            rule.prior = pr as f32;
        }
    }

    // Scoring.
    let s = &raw.scoring;
    let w = &s.weights;
    for (k, v) in [
        ("token_count", w.token_count),
        ("tool_usage", w.tool_usage),
        ("user_tier", w.user_tier),
        ("capability", w.capability),
        ("structure", w.structure),
        ("difficulty", w.difficulty),
    ] {
        is.non_negative(format!("scoring.weights.{k}"), v);
    }
    if w.token_count + w.tool_usage + w.user_tier + w.capability + w.structure <= 0.0 {
        is.add("scoring.weights", "at least one weight must be > 0");
    }
    if s.thresholds.len() != n_tiers.saturating_sub(1) {
        is.add(
            "scoring.thresholds",
            format!(
                "needs one threshold per tier above T0: {} for {} tiers, got {}",
                n_tiers.saturating_sub(1),
                n_tiers,
                s.thresholds.len()
            ),
        );
    }
    for (i, t) in s.thresholds.iter().enumerate() {
        if !(0.0..=100.0).contains(t) {
            is.add(
                format!("scoring.thresholds[{i}]"),
                format!("must be within 0..100 (got {t})"),
            );
        }
        if i > 0 && *t <= s.thresholds[i - 1] {
            is.add(
                format!("scoring.thresholds[{i}]"),
                "thresholds must be strictly ascending",
            );
        }
    }
    is.positive("scoring.token_scale", s.token_scale);
    let scoring = Scoring {
        weights: Weights {
            token_count: w.token_count as f32,
            tool_usage: w.tool_usage as f32,
            user_tier: w.user_tier as f32,
            capability: w.capability as f32,
            structure: w.structure as f32,
            difficulty: w.difficulty as f32,
        },
        thresholds: s.thresholds.iter().map(|t| *t as f32).collect(),
        token_scale: s.token_scale as f32,
    };

    // Tenants.
    let mut tenants = HashMap::new();
    let mut default_tenant = TenantSpec {
        usd_window_s: 86_400.0,
        max_tier,
        ..Default::default()
    };
    for (name, t) in &raw.tenants {
        let spec = tenant_spec(
            &mut is,
            &format!("tenants.{name}"),
            t,
            max_tier,
            &|is, p, m| resolve(is, p, m),
        );
        if name == "default" {
            default_tenant = spec.clone();
        }
        tenants.insert(name.clone(), spec);
    }

    // User tiers.
    let mut user_tiers = HashMap::new();
    for (name, u) in &raw.user_tiers {
        let p = format!("user_tiers.{name}");
        is.unit(format!("{p}.score"), u.score);
        tier_ok(&mut is, format!("{p}.min_tier"), u.min_tier);
        tier_ok(&mut is, format!("{p}.max_tier"), u.max_tier);
        let spec = UserTierSpec {
            score: u.score as f32,
            min_tier: u.min_tier.unwrap_or(0).min(max_tier),
            max_tier: u.max_tier.unwrap_or(max_tier).min(max_tier),
        };
        if spec.min_tier > spec.max_tier {
            is.add(format!("{p}.min_tier"), "must be <= max_tier");
        }
        user_tiers.insert(name.clone(), spec);
    }

    // Routing and resilience.
    let r = &raw.routing;
    if r.max_input_bytes == 0 {
        is.add("routing.max_input_bytes", "must be > 0");
    }
    if !matches!(r.classifier.as_str(), "learned" | "keywords") {
        is.add(
            "routing.classifier",
            format!(
                "unknown classifier {:?}; expected learned or keywords",
                r.classifier
            ),
        );
    }
    if r.capability_model.is_some() && r.classifier != "learned" {
        is.add(
            "routing.capability_model",
            "needs routing.classifier = \"learned\"",
        );
    }
    let routing = Routing {
        max_fallbacks: r.max_fallbacks as usize,
        fallbacks_for_pinned: r.fallbacks_for_pinned,
        default_output_tokens: r.default_output_tokens,
        max_input_bytes: r.max_input_bytes,
        classifier: r.classifier.clone(),
        capability_model: r.capability_model.clone(),
    };
    let res = &raw.resilience;
    is.unit("resilience.max_hedge_share", res.max_hedge_share);
    is.unit("resilience.breaker_error_rate", res.breaker_error_rate);
    for (k, v) in [
        ("hedge_window_s", res.hedge_window_s),
        ("backoff_base_ms", res.backoff_base_ms),
        ("backoff_max_ms", res.backoff_max_ms),
        ("breaker_window_s", res.breaker_window_s),
        ("breaker_open_ms", res.breaker_open_ms),
        ("latency_miss_window_s", res.latency_miss_window_s),
    ] {
        is.positive(format!("resilience.{k}"), v);
    }
    if let Some(d) = res.hedge_delay_ms {
        is.positive("resilience.hedge_delay_ms", d);
    }
    if res.max_attempts == 0 {
        is.add("resilience.max_attempts", "must be >= 1");
    }
    if res.breaker_consecutive_failures == 0 {
        is.add("resilience.breaker_consecutive_failures", "must be >= 1");
    }
    if let Some(m) = &res.refusal_fallback {
        resolve(&mut is, "resilience.refusal_fallback".into(), m);
    }

    check_state(&mut is, &raw.state);
    let guards = guards::compile_guards(&mut is, &raw, &model_index);
    let verification = guards::compile_verification(&mut is, &raw.verification, &raw, &model_index);

    let b = &raw.bandit;
    for (k, v) in [
        ("quality_weight", b.quality_weight),
        ("cost_weight", b.cost_weight),
        ("latency_weight", b.latency_weight),
    ] {
        is.non_negative(format!("bandit.{k}"), v);
    }
    is.positive("bandit.cost_scale_usd", b.cost_scale_usd);
    is.positive("bandit.latency_scale_ms", b.latency_scale_ms);
    if !(0.0..=0.5).contains(&b.min_share) {
        is.add(
            "bandit.min_share",
            format!("must be between 0 and 0.5 (got {})", b.min_share),
        );
    }
    if !(0.5..=1.0).contains(&b.decay) {
        is.add(
            "bandit.decay",
            format!("must be between 0.5 and 1 (got {})", b.decay),
        );
    }

    if !is.0.is_empty() {
        return Err(Error::Config(is.0));
    }
    Ok(Policy {
        models,
        model_index,
        tiers,
        capabilities,
        scoring,
        tenants,
        default_tenant,
        user_tiers,
        routing,
        resilience: raw.resilience.clone(),
        guards,
        verification,
        normalized: raw,
    })
}

type Resolver<'a> = dyn Fn(&mut Issues, String, &str) -> Option<ModelId> + 'a;

fn tenant_spec(
    is: &mut Issues,
    p: &str,
    t: &RawTenant,
    max_tier: u8,
    resolve: &Resolver<'_>,
) -> TenantSpec {
    for (k, v) in [
        ("requests_per_min", t.requests_per_min),
        ("tokens_per_min", t.tokens_per_min),
        ("usd_per_window", t.usd_per_window),
        ("usd_window_s", t.usd_window_s),
    ] {
        if let Some(v) = v {
            is.positive(format!("{p}.{k}"), v);
        }
    }
    for (k, v) in [("min_tier", t.min_tier), ("max_tier", t.max_tier)] {
        if let Some(v) = v {
            if v > max_tier {
                is.add(
                    format!("{p}.{k}"),
                    format!("tier {v} does not exist (tiers go from 0 to {max_tier})"),
                );
            }
        }
    }
    let allowed = t.allowed_models.as_ref().map(|ms| {
        let mut ids: Vec<ModelId> = ms
            .iter()
            .enumerate()
            .filter_map(|(j, m)| resolve(is, format!("{p}.allowed_models[{j}]"), m))
            .collect();
        ids.sort_unstable();
        ids
    });
    let spec = TenantSpec {
        requests_per_min: t.requests_per_min,
        tokens_per_min: t.tokens_per_min,
        usd_per_window: t.usd_per_window,
        usd_window_s: t.usd_window_s.unwrap_or(86_400.0),
        min_tier: t.min_tier.unwrap_or(0).min(max_tier),
        max_tier: t.max_tier.unwrap_or(max_tier).min(max_tier),
        allowed_models: allowed,
    };
    if spec.min_tier > spec.max_tier {
        is.add(format!("{p}.min_tier"), "must be <= max_tier");
    }
    spec
}

fn check_state(is: &mut Issues, s: &super::raw::RawState) {
    if !matches!(s.backend.as_str(), "memory" | "redis") {
        is.add(
            "state.backend",
            format!("unknown backend {:?}; expected memory or redis", s.backend),
        );
    }
    if !matches!(s.mode.as_str(), "fail_open" | "fail_closed") {
        is.add(
            "state.mode",
            format!(
                "unknown mode {:?}; expected fail_open or fail_closed",
                s.mode
            ),
        );
    }
    if s.backend == "redis"
        && !(s.url.starts_with("redis://")
            || s.url.starts_with("rediss://")
            || s.url.starts_with("unix://"))
    {
        is.add("state.url", "must be a redis://, rediss:// or unix:// URL");
    }
    if s.expected_replicas == 0 {
        is.add("state.expected_replicas", "must be >= 1");
    }
    if !(s.lease_fraction > 0.0 && s.lease_fraction <= 1.0) {
        is.add(
            "state.lease_fraction",
            format!("must be within (0, 1] (got {})", s.lease_fraction),
        );
    }
    for (k, v) in [
        ("lease_idle_s", s.lease_idle_s),
        ("sync_interval_ms", s.sync_interval_ms),
        ("timeout_ms", s.timeout_ms),
    ] {
        is.positive(format!("state.{k}"), v);
    }
}
