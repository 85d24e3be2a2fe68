//! `[models]` and `[[tiers]]`: the model table (defaults filled into the normalized config)
//! and the tier ladder that references it.

use std::collections::{BTreeMap, HashMap};

use super::{Issues, ModelNames};
use crate::config::raw::{RawModel, RawTier};
use crate::policy::*;

/// The compiled models and their index by name, in config (name) order.
pub(super) fn compile_models(
    is: &mut Issues,
    raw: &mut BTreeMap<String, RawModel>,
) -> (Vec<ModelSpec>, HashMap<String, ModelId>) {
    if raw.is_empty() {
        is.add("models", "at least one model is required");
    }
    let mut models = Vec::with_capacity(raw.len());
    let mut model_index = HashMap::new();
    for (name, m) in raw.iter_mut() {
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
    (models, model_index)
}

/// The tiers, in order; also sets each model's home tier (the lowest tier listing it).
pub(super) fn compile_tiers(
    is: &mut Issues,
    raw: &mut [RawTier],
    models: &mut [ModelSpec],
    names: &ModelNames<'_>,
) -> Vec<TierSpec> {
    let n_tiers = raw.len();
    if n_tiers == 0 || n_tiers > 4 {
        is.add(
            "tiers",
            format!("between 1 and 4 tiers (T0..T3) are required, got {n_tiers}"),
        );
    }
    let mut tiers = Vec::with_capacity(n_tiers);
    let mut prev_budget = 0.0;
    for (i, t) in raw.iter_mut().enumerate() {
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
        let ids = names.all(is, &format!("{p}.models"), &t.models);
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
    tiers
}
