//! Routing rules: per-capability tier bounds and priors, the complexity score's weights and
//! tier thresholds, tenants and user tiers.

use std::collections::{BTreeMap, HashMap};

use super::{Issues, ModelNames};
use crate::capability::Capability;
use crate::config::raw::{RawCapability, RawScoring, RawTenant, RawUserTier};
use crate::policy::*;

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

pub(super) fn capabilities(
    is: &mut Issues,
    raw: &BTreeMap<String, RawCapability>,
    max_tier: u8,
    names: &ModelNames<'_>,
) -> [CapabilityRule; Capability::COUNT] {
    let mut capabilities: [CapabilityRule; Capability::COUNT] =
        std::array::from_fn(|i| CapabilityRule {
            min_tier: 0,
            max_tier,
            preferred: Vec::new(),
            expected_output_tokens: CAP_DEFAULTS[i].1,
            prior: CAP_DEFAULTS[i].0,
        });
    for (name, c) in raw {
        let p = format!("capabilities.{name}");
        let Some(cap) = Capability::parse(name) else {
            let all: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
            is.add(
                p,
                format!("unknown capability; expected one of {}", all.join(", ")),
            );
            continue;
        };
        is.tier(format!("{p}.min_tier"), c.min_tier, max_tier);
        is.tier(format!("{p}.max_tier"), c.max_tier, max_tier);
        let rule = &mut capabilities[cap.index()];
        rule.min_tier = c.min_tier.unwrap_or(0).min(max_tier);
        rule.max_tier = c.max_tier.unwrap_or(max_tier).min(max_tier);
        if rule.min_tier > rule.max_tier {
            is.add(format!("{p}.min_tier"), "must be <= max_tier");
        }
        rule.preferred = names.all(is, &format!("{p}.models"), &c.models);
        if let Some(n) = c.expected_output_tokens {
            rule.expected_output_tokens = n;
        }
        if let Some(pr) = c.prior {
            is.unit(format!("{p}.prior"), pr);
            rule.prior = pr as f32;
        }
    }
    capabilities
}

pub(super) fn scoring(is: &mut Issues, s: &RawScoring, n_tiers: usize) -> Scoring {
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
    Scoring {
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
    }
}

/// Every tenant by name, and the spec of tenants not listed (the `default` tenant's if given).
pub(super) fn tenants(
    is: &mut Issues,
    raw: &BTreeMap<String, RawTenant>,
    max_tier: u8,
    names: &ModelNames<'_>,
) -> (HashMap<String, TenantSpec>, TenantSpec) {
    let mut tenants = HashMap::new();
    let mut default_tenant = TenantSpec {
        usd_window_s: 86_400.0,
        max_tier,
        ..Default::default()
    };
    for (name, t) in raw {
        let spec = tenant_spec(is, &format!("tenants.{name}"), t, max_tier, names);
        if name == "default" {
            default_tenant = spec.clone();
        }
        tenants.insert(name.clone(), spec);
    }
    (tenants, default_tenant)
}

fn tenant_spec(
    is: &mut Issues,
    p: &str,
    t: &RawTenant,
    max_tier: u8,
    names: &ModelNames<'_>,
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
    is.tier(format!("{p}.min_tier"), t.min_tier, max_tier);
    is.tier(format!("{p}.max_tier"), t.max_tier, max_tier);
    let allowed = t.allowed_models.as_ref().map(|ms| {
        let mut ids = names.all(is, &format!("{p}.allowed_models"), ms);
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

pub(super) fn user_tiers(
    is: &mut Issues,
    raw: &BTreeMap<String, RawUserTier>,
    max_tier: u8,
) -> HashMap<String, UserTierSpec> {
    let mut user_tiers = HashMap::new();
    for (name, u) in raw {
        let p = format!("user_tiers.{name}");
        is.unit(format!("{p}.score"), u.score);
        is.tier(format!("{p}.min_tier"), u.min_tier, max_tier);
        is.tier(format!("{p}.max_tier"), u.max_tier, max_tier);
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
    user_tiers
}
