//! Tier and model selection: bounds → tier → eligible candidates (context window, tenant,
//! cost cap, deadline, breaker, quota) → primary and ordered fallbacks.

use crate::capability::Capability;
use crate::decision::Reason;
use crate::error::{Error, Result};
use crate::health::HealthView;
use crate::policy::{ModelId, Policy, TenantSpec, UserTierSpec};

/// Tier bounds, hard (request, tenant: never crossed) and soft (capability, user tier).
pub struct Bounds {
    pub hard_lo: u8,
    pub hard_hi: u8,
}

pub struct Query<'a> {
    pub capability: Capability,
    pub input_tokens: u32,
    pub max_tokens: Option<u32>,
    pub tenant: &'a TenantSpec,
    pub user_tier: Option<&'a UserTierSpec>,
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
    pub deadline_ms: Option<f64>,
    pub max_cost_usd: Option<f64>,
}

pub struct Selection {
    pub tier: u8,
    pub model: ModelId,
    pub fallbacks: Vec<ModelId>,
    pub output_tokens: u32,
    pub cost: f64,
}

impl Query<'_> {
    pub fn output_tokens(&self, p: &Policy, m: ModelId) -> u32 {
        let want = self
            .max_tokens
            .unwrap_or(p.capabilities[self.capability.index()].expected_output_tokens);
        want.min(p.model(m).max_output_tokens)
    }
}

/// Clamp `tier` into the soft then the hard bounds, recording each move.
pub fn bound_tier(
    p: &Policy,
    q: &Query<'_>,
    base: u8,
    reasons: &mut Vec<Reason>,
) -> Result<(u8, Bounds)> {
    let hard_lo = q.min_tier.unwrap_or(0).max(q.tenant.min_tier);
    let hard_hi = q
        .max_tier
        .unwrap_or(u8::MAX)
        .min(q.tenant.max_tier)
        .min(p.max_tier());
    if let Some(t) = q
        .min_tier
        .into_iter()
        .chain(q.max_tier)
        .find(|t| *t > p.max_tier())
    {
        return Err(Error::invalid(
            "min_tier/max_tier",
            format!(
                "tier {t} does not exist (tiers go from 0 to {})",
                p.max_tier()
            ),
        ));
    }
    if hard_lo > hard_hi {
        return Err(Error::invalid(
            "min_tier/max_tier",
            format!("no tier satisfies min {hard_lo} and max {hard_hi} (request and tenant bounds combined)"),
        ));
    }
    let rule = &p.capabilities[q.capability.index()];
    let mut t = base;
    if t < rule.min_tier {
        reasons.push(Reason::RaisedByCapability {
            capability: q.capability,
            tier: rule.min_tier,
        });
        t = rule.min_tier;
    } else if t > rule.max_tier {
        reasons.push(Reason::CappedByCapability {
            capability: q.capability,
            tier: rule.max_tier,
        });
        t = rule.max_tier;
    }
    if let Some(u) = q.user_tier {
        let nt = t.clamp(u.min_tier, u.max_tier);
        if nt != t {
            reasons.push(Reason::UserTier { from: t, to: nt });
            t = nt;
        }
    }
    let nt = t.clamp(hard_lo, hard_hi);
    if nt != t {
        let r = if q.min_tier.is_some() || q.max_tier.is_some() {
            Reason::RequestBounds { from: t, to: nt }
        } else {
            Reason::TenantBounds { from: t, to: nt }
        };
        reasons.push(r);
        t = nt;
    }
    Ok((t, Bounds { hard_lo, hard_hi }))
}

/// Why a model is not eligible, if it is not.
fn exclusion(p: &Policy, q: &Query<'_>, m: ModelId, h: &HealthView) -> Option<Reason> {
    let spec = p.model(m);
    if !q.tenant.allows(m) {
        return Some(Reason::SkippedNotAllowed { model: m });
    }
    let out = q.output_tokens(p, m);
    let needed = q.input_tokens.saturating_add(out.min(1024));
    if needed > spec.context_window {
        return Some(Reason::SkippedContext { model: m, needed });
    }
    if let Some(cap) = q.max_cost_usd {
        let cost = spec.cost(q.input_tokens, out);
        if cost > cap {
            return Some(Reason::SkippedCost { model: m, cost });
        }
    }
    if let Some(d) = q.deadline_ms {
        if h.ttft_ms as f64 > d {
            return Some(Reason::SkippedDeadline {
                model: m,
                ttft_ms: h.ttft_ms,
            });
        }
    }
    if h.blocked {
        return Some(Reason::SkippedBreaker { model: m });
    }
    None
}

/// The tier's models in preference order: capability-preferred ones first, then the tier's
/// own order; degraded models go behind healthy ones.
///
/// A tier's list has no duplicates (config validation), so only the few preferred models
/// already taken are checked: the whole-list `contains` made this quadratic in the tier's size.
fn ordered(p: &Policy, q: &Query<'_>, tier: u8, out: &mut Vec<ModelId>) {
    let list = &p.tiers[tier as usize].models;
    let start = out.len();
    for m in &p.capabilities[q.capability.index()].preferred {
        if list.contains(m) && !out[start..].contains(m) {
            out.push(*m);
        }
    }
    let preferred = out.len();
    if preferred == start {
        out.extend_from_slice(list);
        return;
    }
    for m in list {
        if !out[start..preferred].contains(m) {
            out.push(*m);
        }
    }
}

/// The bandit's pick among candidates: (model, shadow-only).
pub type Chooser<'a> = dyn Fn(Capability, u8, &[ModelId]) -> Option<(ModelId, bool)> + 'a;

pub struct Env<'a> {
    pub health: &'a dyn Fn(ModelId) -> HealthView,
    /// Takes the provider quota for the chosen primary; false if exhausted.
    pub take_quota: &'a dyn Fn(ModelId, u32) -> bool,
    /// The feedback bandit's pick among a tier's eligible models, and whether it only
    /// watches (shadow mode).
    pub choose: &'a Chooser<'a>,
}

/// Pick primary and fallbacks around `tier`, escalating (then lowering) within the hard bounds
/// when the tier has no eligible model.
pub fn select(
    p: &Policy,
    q: &Query<'_>,
    tier: u8,
    b: &Bounds,
    env: &Env<'_>,
    reasons: &mut Vec<Reason>,
) -> Result<Selection> {
    let order: Vec<u8> = (tier..=b.hard_hi).chain((b.hard_lo..tier).rev()).collect();
    let mut forced: Option<(u32, ModelId, u8)> = None;
    let mut cands: Vec<ModelId> = Vec::with_capacity(8);
    for &t in &order {
        cands.clear();
        ordered(p, q, t, &mut cands);
        let mut healthy: Vec<ModelId> = Vec::with_capacity(cands.len());
        let mut degraded: Vec<ModelId> = Vec::new();
        for &m in &cands {
            let h = (env.health)(m);
            match exclusion(p, q, m, &h) {
                None if h.degraded => degraded.push(m),
                None => healthy.push(m),
                Some(r) => {
                    if matches!(r, Reason::SkippedBreaker { .. })
                        && forced.is_none_or(|f| h.open_until_ms < f.0)
                    {
                        forced = Some((h.open_until_ms, m, t));
                    }
                    push_once(reasons, r);
                }
            }
        }
        for m in &degraded {
            push_once(reasons, Reason::Demoted { model: *m });
        }
        // The bandit reorders only among healthy models: it learns quality, not availability.
        let n_healthy = healthy.len();
        if let Some((pick, shadow)) = (env.choose)(q.capability, t, &healthy[..n_healthy]) {
            if shadow {
                reasons.push(Reason::BanditShadow { model: pick });
            } else if let Some(i) = healthy.iter().position(|m| *m == pick) {
                if i > 0 {
                    let m = healthy.remove(i);
                    healthy.insert(0, m);
                    reasons.push(Reason::Bandit { model: pick });
                }
            }
        }
        healthy.extend(degraded);
        let mut primary = None;
        for (i, &m) in healthy.iter().enumerate() {
            let out = q.output_tokens(p, m);
            if (env.take_quota)(m, q.input_tokens + out) {
                primary = Some(i);
                break;
            }
            push_once(reasons, Reason::SkippedQuota { model: m });
        }
        let Some(i) = primary else { continue };
        let model = healthy[i];
        if t > tier {
            reasons.push(Reason::Escalated { from: tier, to: t });
        } else if t < tier {
            reasons.push(Reason::Lowered { from: tier, to: t });
        }
        if p.capabilities[q.capability.index()].preferred.first() == Some(&model) {
            reasons.push(Reason::Preferred {
                model,
                capability: q.capability,
            });
        }
        let mut fallbacks: Vec<ModelId> = healthy[i + 1..].to_vec();
        fallbacks.extend_from_slice(&healthy[..i]);
        add_fallbacks(p, q, t, b, env, model, &mut fallbacks);
        let out = q.output_tokens(p, model);
        return Ok(Selection {
            tier: t,
            model,
            fallbacks,
            output_tokens: out,
            cost: p.model(model).cost(q.input_tokens, out),
        });
    }
    if let Some((_, m, t)) = forced {
        reasons.push(Reason::ForcedProbe { model: m });
        let out = q.output_tokens(p, m);
        return Ok(Selection {
            tier: t,
            model: m,
            fallbacks: Vec::new(),
            output_tokens: out,
            cost: p.model(m).cost(q.input_tokens, out),
        });
    }
    Err(Error::NoModelAvailable {
        message: explain_none(p, q, reasons),
    })
}

/// Fallbacks after the primary's tier-mates: one tier up (stronger), then one down (faster).
fn add_fallbacks(
    p: &Policy,
    q: &Query<'_>,
    t: u8,
    b: &Bounds,
    env: &Env<'_>,
    primary: ModelId,
    out: &mut Vec<ModelId>,
) {
    let max = p.routing.max_fallbacks;
    let mut neighbours = Vec::new();
    if t < b.hard_hi {
        neighbours.push(t + 1);
    }
    if t > b.hard_lo {
        neighbours.push(t - 1);
    }
    let mut cands = Vec::new();
    for nt in neighbours {
        cands.clear();
        ordered(p, q, nt, &mut cands);
        for &m in &cands {
            if out.len() >= max {
                break;
            }
            if m != primary && !out.contains(&m) && exclusion(p, q, m, &(env.health)(m)).is_none() {
                out.push(m);
            }
        }
    }
    out.truncate(max);
}

/// Fallbacks for a pinned model: its tier-mates that are eligible.
pub fn pinned_fallbacks(p: &Policy, q: &Query<'_>, model: ModelId, env: &Env<'_>) -> Vec<ModelId> {
    let mut cands = Vec::new();
    ordered(p, q, p.model(model).home_tier, &mut cands);
    cands.retain(|m| *m != model && exclusion(p, q, *m, &(env.health)(*m)).is_none());
    cands.truncate(p.routing.max_fallbacks);
    cands
}

/// Check a pinned model against the request (window, tenant); not health: pinning is explicit.
pub fn check_pinned(p: &Policy, q: &Query<'_>, model: ModelId) -> Result<()> {
    let spec = p.model(model);
    let needed = q
        .input_tokens
        .saturating_add(q.output_tokens(p, model).min(1024));
    if needed > spec.context_window {
        return Err(Error::NoModelAvailable {
            message: format!(
                "the prompt needs {needed} tokens but {} has a {}-token window",
                spec.name, spec.context_window
            ),
        });
    }
    Ok(())
}

fn push_once(reasons: &mut Vec<Reason>, r: Reason) {
    if !reasons.contains(&r) {
        reasons.push(r);
    }
}

fn explain_none(p: &Policy, q: &Query<'_>, reasons: &[Reason]) -> String {
    let ctx = reasons
        .iter()
        .any(|r| matches!(r, Reason::SkippedContext { .. }));
    if ctx {
        let biggest = p
            .models
            .iter()
            .filter(|m| q.tenant.allows(p.model_id(&m.name).unwrap_or(0)))
            .max_by_key(|m| m.context_window);
        if let Some(b) = biggest {
            return format!(
                "the prompt needs about {} tokens; the largest context window available is {} ({}). Shorten the input.",
                q.input_tokens, b.context_window, b.name
            );
        }
    }
    let parts: Vec<String> = reasons
        .iter()
        .filter(|r| {
            matches!(
                r,
                Reason::SkippedCost { .. }
                    | Reason::SkippedDeadline { .. }
                    | Reason::SkippedNotAllowed { .. }
                    | Reason::SkippedQuota { .. }
            )
        })
        .map(|r| r.render(p))
        .collect();
    if parts.is_empty() {
        "no model satisfies the request's constraints".into()
    } else {
        parts.join("; ")
    }
}
