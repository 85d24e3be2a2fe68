//! Validation and compilation of `[guards]` (global, per tier, per tenant) and `[verification]`.
//! Every bad value is reported with its key path and the values that would have been valid.

use std::collections::HashMap;

use super::{Issues, ModelNames};
use crate::capability::Capability;
use crate::config::raw::{RawConfig, RawDetector, RawGuardSet, RawVerification};
use crate::guard_policy::*;
use crate::guards::PiiKind;

const DETECTORS: &str = "injection, pii";

fn action(is: &mut Issues, path: String, s: &Option<String>) -> Option<Action> {
    let s = s.as_deref()?;
    let a = Action::parse(s);
    if a.is_none() {
        is.add(
            path,
            format!("unknown action {s:?}; expected one of {}", Action::NAMES),
        );
    }
    a
}

fn mode(is: &mut Issues, path: String, s: &Option<String>) -> Option<Mode> {
    let s = s.as_deref()?;
    let m = Mode::parse(s);
    if m.is_none() {
        is.add(
            path,
            format!("unknown mode {s:?}; expected pre_call or parallel"),
        );
    }
    m
}

fn pii_index(name: &str) -> Option<usize> {
    let up = name.to_ascii_uppercase();
    PiiKind::ALL.iter().position(|k| k.as_str() == up)
}

fn detector(
    is: &mut Issues,
    p: &str,
    d: &RawDetector,
    o: &mut GuardOverride,
    injection: bool,
) -> (Option<Action>, Option<Mode>) {
    let a = action(is, format!("{p}.action"), &d.action);
    let m = mode(is, format!("{p}.mode"), &d.mode);
    if injection {
        if let Some(v) = &d.min_verdict {
            match v.as_str() {
                "suspicious" => o.injection_min_verdict = Some("suspicious"),
                "injection" => o.injection_min_verdict = Some("injection"),
                _ => is.add(
                    format!("{p}.min_verdict"),
                    format!("unknown verdict {v:?}; expected suspicious or injection"),
                ),
            }
        }
        if a == Some(Action::Redact) {
            is.add(
                format!("{p}.action"),
                "redact applies to pii only (an injection has no span to cut out); use block, escalate or flag",
            );
        }
        if !d.types.is_empty() {
            is.add(format!("{p}.types"), "per-type actions apply to pii only");
        }
    } else {
        if d.min_verdict.is_some() {
            is.add(format!("{p}.min_verdict"), "applies to injection only");
        }
        for (name, act) in &d.types {
            let tp = format!("{p}.types.{name}");
            let Some(i) = pii_index(name) else {
                let all: Vec<&str> = PiiKind::ALL.iter().map(|k| k.as_str()).collect();
                is.add(
                    tp,
                    format!("unknown PII type; expected one of {}", all.join(", ")),
                );
                continue;
            };
            if let Some(a) = action(is, tp, &Some(act.clone())) {
                o.pii_types.push((i, a));
            }
        }
    }
    (a, m)
}

fn guard_set(is: &mut Issues, p: &str, g: &RawGuardSet, cx: &ModelNames<'_>) -> GuardOverride {
    let mut o = GuardOverride::default();
    if let Some(d) = &g.injection {
        let (a, m) = detector(is, &format!("{p}.injection"), d, &mut o, true);
        o.injection_action = a;
        o.injection_mode = m;
    }
    if let Some(d) = &g.pii {
        let (a, m) = detector(is, &format!("{p}.pii"), d, &mut o, false);
        o.pii_action = a;
        o.pii_mode = m;
    }
    if let Some(m) = &g.escalate_model {
        o.escalate_model = cx.model(is, format!("{p}.escalate_model"), m);
    }
    o
}

/// In parallel mode the provider already has the text when the verdict comes, so redacting
/// then would protect nothing: refuse the combination instead of pretending.
fn check_effective(is: &mut Issues, p: &str, g: &GuardSet) {
    let redacts = g.pii_types.contains(&Action::Redact);
    if redacts && g.pii_mode == Mode::Parallel {
        is.add(
            format!("{p}.pii.mode"),
            "redact needs mode = \"pre_call\" (in parallel the provider already received the text)",
        );
    }
}

pub(super) fn compile_guards(is: &mut Issues, raw: &RawConfig, cx: &ModelNames<'_>) -> GuardPolicy {
    let mut pol = GuardPolicy {
        global: guard_set(is, "guards", &raw.guards, cx),
        ..Default::default()
    };
    for (i, t) in raw.tiers.iter().enumerate() {
        let o = t
            .guards
            .as_ref()
            .map(|g| guard_set(is, &format!("tiers[{i}].guards"), g, cx))
            .unwrap_or_default();
        pol.tiers.push(o);
    }
    for (name, t) in &raw.tenants {
        if let Some(g) = &t.guards {
            let o = guard_set(is, &format!("tenants.{name}.guards"), g, cx);
            pol.tenants.insert(name.clone(), o);
        }
    }
    // Validate the combinations that will actually be in force.
    let n = raw.tiers.len().max(1) as u8;
    for tier in 0..n {
        check_effective(is, "guards", &pol.effective(None, tier));
        for name in raw.tenants.keys() {
            let g = pol.effective(Some(name), tier);
            check_effective(is, &format!("tenants.{name}.guards"), &g);
        }
    }
    // The same bad combination is found once per tier: report it once.
    let mut seen = std::collections::HashSet::new();
    is.0.retain(|i| seen.insert((i.path.clone(), i.message.clone())));
    // serde_ignored found the unknown keys; under a guard table those are detector names.
    for i in is.0.iter_mut() {
        let parent = i.path.rsplit_once('.').map_or("", |(p, _)| p);
        if i.message == "unknown key" && (parent == "guards" || parent.ends_with(".guards")) {
            i.message =
                format!("unknown detector; expected one of {DETECTORS} (or escalate_model)");
        }
    }
    pol
}

pub(super) fn compile_verification(
    is: &mut Issues,
    v: &RawVerification,
    raw: &RawConfig,
    cx: &ModelNames<'_>,
) -> VerificationPolicy {
    for (i, c) in v.checks.iter().enumerate() {
        if !matches!(c.as_str(), "json" | "refusal") {
            is.add(
                format!("verification.checks[{i}]"),
                format!("unknown check {c:?}; expected json or refusal (custom checks go in verification.custom)"),
            );
        }
    }
    for (i, c) in v.custom.iter().enumerate() {
        let ok = c
            .split_once(':')
            .is_some_and(|(m, f)| !m.is_empty() && !f.is_empty());
        if !ok {
            is.add(
                format!("verification.custom[{i}]"),
                format!("expected \"package.module:function\", got {c:?}"),
            );
        }
    }
    let on_failure = OnFailure::parse(&v.on_failure).unwrap_or_else(|| {
        is.add(
            "verification.on_failure",
            format!(
                "unknown value {:?}; expected accept, reask or escalate",
                v.on_failure
            ),
        );
        OnFailure::Reask
    });
    is.unit("verification.rollback_threshold", v.rollback_threshold);
    for (i, t) in v.tier_thresholds.iter().enumerate() {
        is.unit(format!("verification.tier_thresholds[{i}]"), *t);
    }
    if v.tier_thresholds.len() > raw.tiers.len() {
        is.add(
            "verification.tier_thresholds",
            format!(
                "{} thresholds for {} tiers",
                v.tier_thresholds.len(),
                raw.tiers.len()
            ),
        );
    }
    is.positive("verification.window_s", v.window_s);
    if v.min_samples == 0 {
        is.add("verification.min_samples", "must be >= 1");
    }
    if v.probe_every == 0 {
        is.add("verification.probe_every", "must be >= 1");
    }
    let mut rollback_model = HashMap::new();
    let mut rollback_tier = vec![None; raw.tiers.len()];
    for (key, target) in &v.rollback_to {
        let p = format!("verification.rollback_to.{key}");
        let Some(to) = cx.model(is, p.clone(), target) else {
            continue;
        };
        if let Some(&from) = cx.0.get(key) {
            if from == to {
                is.add(p, "a model cannot roll back to itself");
            }
            rollback_model.insert(from, to);
        } else if let Some(i) = raw.tiers.iter().position(|t| &t.name == key) {
            rollback_tier[i] = Some(to);
        } else {
            is.add(p, format!("{key:?} is neither a model nor a tier name"));
        }
    }
    let mut high_stakes_capabilities = Vec::new();
    let mut high_stakes_tiers = Vec::new();
    for (i, name) in v.high_stakes.iter().enumerate() {
        if let Some(c) = Capability::parse(name) {
            high_stakes_capabilities.push(c);
        } else if let Some(t) = raw.tiers.iter().position(|t| &t.name == name) {
            high_stakes_tiers.push(t);
        } else {
            is.add(
                format!("verification.high_stakes[{i}]"),
                format!("{name:?} is neither a capability nor a tier name"),
            );
        }
    }
    if let Some(h) = &v.human_escalation {
        let callable = h
            .split_once(':')
            .is_some_and(|(m, f)| !m.is_empty() && !f.is_empty() && !f.starts_with("//"));
        if !(callable || h.starts_with("http://") || h.starts_with("https://")) {
            is.add(
                "verification.human_escalation",
                format!("expected \"package.module:function\" or an http(s):// URL, got {h:?}"),
            );
        }
    } else if !v.high_stakes.is_empty() {
        is.add(
            "verification.high_stakes",
            "high-stakes routes need verification.human_escalation (a callable or a webhook URL)",
        );
    }
    let thresholds = (0..raw.tiers.len())
        .map(|i| {
            v.tier_thresholds
                .get(i)
                .copied()
                .unwrap_or(v.rollback_threshold)
        })
        .collect();
    VerificationPolicy {
        checks: v.checks.clone(),
        custom: v.custom.clone(),
        on_failure,
        thresholds,
        window_s: v.window_s,
        min_samples: v.min_samples,
        probe_every: v.probe_every,
        rollback_model,
        rollback_tier,
        high_stakes_capabilities,
        high_stakes_tiers,
        human_escalation: v.human_escalation.clone(),
    }
}
