//! The result of `route()` and the reasons that explain it. Reasons are small enums rendered to
//! text only when someone asks, so explaining costs nothing on the hot path.

use crate::budget::Reservation;
use crate::capability::Capability;
use crate::complexity::Components;
use crate::features::Features;
use crate::policy::{ModelId, Policy};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    Classified {
        capability: Capability,
        confidence: f32,
    },
    Scored {
        complexity: f32,
        tier: u8,
    },
    RaisedByCapability {
        capability: Capability,
        tier: u8,
    },
    CappedByCapability {
        capability: Capability,
        tier: u8,
    },
    UserTier {
        from: u8,
        to: u8,
    },
    TenantBounds {
        from: u8,
        to: u8,
    },
    RequestBounds {
        from: u8,
        to: u8,
    },
    TierAlias {
        tier: u8,
    },
    Pinned {
        model: ModelId,
    },
    Preferred {
        model: ModelId,
        capability: Capability,
    },
    SkippedContext {
        model: ModelId,
        needed: u32,
    },
    SkippedNotAllowed {
        model: ModelId,
    },
    SkippedCost {
        model: ModelId,
        cost: f64,
    },
    SkippedDeadline {
        model: ModelId,
        ttft_ms: f32,
    },
    SkippedBreaker {
        model: ModelId,
    },
    SkippedQuota {
        model: ModelId,
    },
    Demoted {
        model: ModelId,
    },
    Escalated {
        from: u8,
        to: u8,
    },
    Lowered {
        from: u8,
        to: u8,
    },
    /// The feedback bandit put this model first.
    Bandit {
        model: ModelId,
    },
    /// Shadow mode: the bandit would have put this model first.
    BanditShadow {
        model: ModelId,
    },
    ForcedProbe {
        model: ModelId,
    },
    BudgetAdmitted,
    NoBudget,
}

impl Reason {
    pub fn render(&self, p: &Policy) -> String {
        let m = |id: &ModelId| p.model(*id).name.as_str();
        let t = |t: &u8| p.tiers[*t as usize].name.as_str();
        match self {
            Reason::Classified {
                capability,
                confidence,
            } => {
                format!(
                    "capability {} (confidence {:.2})",
                    capability.as_str(),
                    confidence
                )
            }
            Reason::Scored { complexity, tier } => {
                format!("complexity {complexity:.1} → tier {tier} ({})", t(tier))
            }
            Reason::RaisedByCapability { capability, tier } => {
                format!(
                    "{} needs at least tier {tier} ({})",
                    capability.as_str(),
                    t(tier)
                )
            }
            Reason::CappedByCapability { capability, tier } => {
                format!(
                    "{} is served at most by tier {tier} ({})",
                    capability.as_str(),
                    t(tier)
                )
            }
            Reason::UserTier { from, to } => format!("user tier moved tier {from} → {to}"),
            Reason::TenantBounds { from, to } => format!("tenant limits moved tier {from} → {to}"),
            Reason::RequestBounds { from, to } => {
                format!("request min/max tier moved tier {from} → {to}")
            }
            Reason::TierAlias { tier } => format!("tier {tier} ({}) requested by alias", t(tier)),
            Reason::Pinned { model } => format!("model {} pinned by the request", m(model)),
            Reason::Preferred { model, capability } => {
                format!("{} preferred for {}", m(model), capability.as_str())
            }
            Reason::SkippedContext { model, needed } => {
                format!(
                    "skipped {}: needs {needed} tokens, window is {}",
                    m(model),
                    p.model(*model).context_window
                )
            }
            Reason::SkippedNotAllowed { model } => {
                format!("skipped {}: not allowed for this tenant", m(model))
            }
            Reason::SkippedCost { model, cost } => format!(
                "skipped {}: estimated ${cost:.6} over the cost cap",
                m(model)
            ),
            Reason::SkippedDeadline { model, ttft_ms } => {
                format!(
                    "skipped {}: expected first token {ttft_ms:.0} ms does not fit the deadline",
                    m(model)
                )
            }
            Reason::SkippedBreaker { model } => {
                format!("skipped {}: circuit breaker open", m(model))
            }
            Reason::SkippedQuota { model } => {
                format!("skipped {}: provider quota exhausted", m(model))
            }
            Reason::Demoted { model } => format!("{} demoted: degraded health", m(model)),
            Reason::Escalated { from, to } => {
                format!("no eligible model in tier {from}; escalated to tier {to}")
            }
            Reason::Lowered { from, to } => {
                format!("no eligible model in tier {from} or above; using tier {to}")
            }
            Reason::ForcedProbe { model } => {
                format!(
                    "every candidate's breaker is open; probing {} (soonest to recover)",
                    m(model)
                )
            }
            Reason::Bandit { model } => format!("{} chosen by feedback (bandit)", m(model)),
            Reason::BanditShadow { model } => {
                format!("bandit (shadow mode) would have chosen {}", m(model))
            }
            Reason::BudgetAdmitted => "budget: admitted".to_string(),
            Reason::NoBudget => "budget: none configured".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub request_id: u64,
    pub tier: u8,
    pub model: ModelId,
    pub fallbacks: Vec<ModelId>,
    pub capability: Capability,
    pub capability_confidence: f32,
    pub capability_scores: [f32; Capability::COUNT],
    pub complexity: f32,
    pub components: Components,
    pub input_tokens: u32,
    /// Output tokens reserved (the request's `max_tokens`, else the capability's typical length).
    pub output_tokens: u32,
    pub estimated_cost_usd: f64,
    pub tenant: Box<str>,
    pub reservation: Reservation,
    pub budgeted: bool,
    pub reasons: Vec<Reason>,
    pub features: Features,
}

impl Decision {
    pub fn reasons_text(&self, p: &Policy) -> Vec<String> {
        self.reasons.iter().map(|r| r.render(p)).collect()
    }
}
