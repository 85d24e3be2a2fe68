//! Runtime settings: routing limits, resilience (hedging, retries, breakers), shared state
//! and the bandit. Only `[routing]` compiles to its own struct; the others are checked here
//! and read by the layers that use them from the normalized config.

use super::{Issues, ModelNames};
use crate::bandit::BanditConfig;
use crate::config::raw::{RawResilience, RawRouting, RawState};
use crate::policy::Routing;

pub(super) fn routing(is: &mut Issues, r: &RawRouting) -> Routing {
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
    Routing {
        max_fallbacks: r.max_fallbacks as usize,
        fallbacks_for_pinned: r.fallbacks_for_pinned,
        default_output_tokens: r.default_output_tokens,
        max_input_bytes: r.max_input_bytes,
        classifier: r.classifier.clone(),
        capability_model: r.capability_model.clone(),
    }
}

pub(super) fn check_resilience(is: &mut Issues, res: &RawResilience, names: &ModelNames<'_>) {
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
        names.model(is, "resilience.refusal_fallback".into(), m);
    }
}

pub(super) fn check_state(is: &mut Issues, s: &RawState) {
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

pub(super) fn check_bandit(is: &mut Issues, b: &BanditConfig) {
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
}
