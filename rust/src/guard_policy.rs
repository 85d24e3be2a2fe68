//! Compiled input-guard and output-verification policies (issue #6). The config says, per
//! detector, what to do when it fires; a tier's `guards` table overrides the global one and a
//! tenant's overrides both (the tenant is the party with a contract, so it has the last word).
//! Resolution happens once per (tenant, tier) on the Python side's cache, so nothing here is on
//! the per-request path except a table lookup.

use std::collections::HashMap;

use crate::capability::Capability;
use crate::guards::PiiKind;
use crate::policy::ModelId;

/// What to do when a detector fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Off,
    Flag,
    Redact,
    Block,
    Escalate,
}

impl Action {
    pub const NAMES: &'static str = "off, flag, redact, block, escalate";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "off" => Action::Off,
            "flag" => Action::Flag,
            "redact" => Action::Redact,
            "block" => Action::Block,
            "escalate" => Action::Escalate,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Off => "off",
            Action::Flag => "flag",
            Action::Redact => "redact",
            Action::Block => "block",
            Action::Escalate => "escalate",
        }
    }
}

/// When the scan runs relative to the provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Before the call: nothing leaves the process until the verdict.
    PreCall,
    /// Beside the call; the call is cancelled if the verdict says so, and no output is released
    /// before the verdict.
    Parallel,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pre_call" => Some(Mode::PreCall),
            "parallel" => Some(Mode::Parallel),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::PreCall => "pre_call",
            Mode::Parallel => "parallel",
        }
    }
}

/// The effective policy for one (tenant, tier).
#[derive(Debug, Clone, PartialEq)]
pub struct GuardSet {
    pub injection_action: Action,
    pub injection_mode: Mode,
    /// Lowest injection verdict that triggers the action: "suspicious" or "injection".
    pub injection_min_verdict: &'static str,
    pub pii_action: Action,
    pub pii_mode: Mode,
    /// Per-type actions, in `PiiKind::ALL` order (the detector's action unless overridden).
    pub pii_types: [Action; PiiKind::ALL.len()],
    /// `escalate` pins this model; `None` means one tier up.
    pub escalate_model: Option<ModelId>,
}

impl Default for GuardSet {
    fn default() -> Self {
        GuardSet {
            injection_action: Action::Flag,
            injection_mode: Mode::PreCall,
            injection_min_verdict: "injection",
            pii_action: Action::Off,
            pii_mode: Mode::PreCall,
            pii_types: [Action::Off; PiiKind::ALL.len()],
            escalate_model: None,
        }
    }
}

/// A partial guard table (tier or tenant level): `None` inherits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardOverride {
    pub injection_action: Option<Action>,
    pub injection_mode: Option<Mode>,
    pub injection_min_verdict: Option<&'static str>,
    pub pii_action: Option<Action>,
    pub pii_mode: Option<Mode>,
    pub pii_types: Vec<(usize, Action)>,
    pub escalate_model: Option<ModelId>,
}

impl GuardOverride {
    pub fn apply(&self, g: &mut GuardSet) {
        if let Some(a) = self.injection_action {
            g.injection_action = a;
        }
        if let Some(m) = self.injection_mode {
            g.injection_mode = m;
        }
        if let Some(v) = self.injection_min_verdict {
            g.injection_min_verdict = v;
        }
        if let Some(a) = self.pii_action {
            // A new detector-wide action resets the per-type actions of the levels below.
            g.pii_types = [a; PiiKind::ALL.len()];
            g.pii_action = a;
        }
        if let Some(m) = self.pii_mode {
            g.pii_mode = m;
        }
        for &(i, a) in &self.pii_types {
            g.pii_types[i] = a;
        }
        if self.escalate_model.is_some() {
            g.escalate_model = self.escalate_model;
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct GuardPolicy {
    pub global: GuardOverride,
    pub tiers: Vec<GuardOverride>,
    pub tenants: HashMap<String, GuardOverride>,
}

impl GuardPolicy {
    /// Global, then the tier's table, then the tenant's (unnamed tenants use `default`'s).
    pub fn effective(&self, tenant: Option<&str>, tier: u8) -> GuardSet {
        let mut g = GuardSet::default();
        self.global.apply(&mut g);
        if let Some(t) = self.tiers.get(tier as usize) {
            t.apply(&mut g);
        }
        let t = tenant
            .and_then(|n| self.tenants.get(n))
            .or_else(|| self.tenants.get("default"));
        if let Some(t) = t {
            t.apply(&mut g);
        }
        g
    }
}

/// What happens when an answer fails verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Return the answer as it is (the failure is still recorded and counted).
    Accept,
    /// Ask the same model once more, with the failure named; then escalate.
    Reask,
    /// Go straight to the next tier.
    Escalate,
}

impl OnFailure {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "accept" => Some(OnFailure::Accept),
            "reask" => Some(OnFailure::Reask),
            "escalate" => Some(OnFailure::Escalate),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            OnFailure::Accept => "accept",
            OnFailure::Reask => "reask",
            OnFailure::Escalate => "escalate",
        }
    }
}

#[derive(Debug, Clone)]
pub struct VerificationPolicy {
    /// Built-in checks that run: "json" (when `response_format` asks for JSON or a schema),
    /// "refusal"; "custom" runs the configured callables.
    pub checks: Vec<String>,
    pub custom: Vec<String>,
    pub on_failure: OnFailure,
    /// Rollback threshold per tier (verified failure rate over the window).
    pub thresholds: Vec<f64>,
    pub window_s: f64,
    pub min_samples: u32,
    pub probe_every: u32,
    /// Where a rolled-back model's traffic goes: by model name first, then by tier.
    pub rollback_model: HashMap<ModelId, ModelId>,
    pub rollback_tier: Vec<Option<ModelId>>,
    /// High-stakes routes: capabilities and tier indices.
    pub high_stakes_capabilities: Vec<Capability>,
    pub high_stakes_tiers: Vec<usize>,
    pub human_escalation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_overrides_tier_overrides_global() {
        let mut p = GuardPolicy {
            global: GuardOverride {
                injection_action: Some(Action::Flag),
                pii_action: Some(Action::Redact),
                ..Default::default()
            },
            tiers: vec![
                GuardOverride::default(),
                GuardOverride {
                    injection_action: Some(Action::Block),
                    ..Default::default()
                },
            ],
            tenants: HashMap::new(),
        };
        assert_eq!(p.effective(None, 0).injection_action, Action::Flag);
        assert_eq!(p.effective(None, 1).injection_action, Action::Block);
        assert_eq!(p.effective(None, 1).pii_types[0], Action::Redact);
        p.tenants.insert(
            "acme".into(),
            GuardOverride {
                injection_action: Some(Action::Escalate),
                pii_types: vec![(2, Action::Block)],
                ..Default::default()
            },
        );
        let g = p.effective(Some("acme"), 1);
        assert_eq!(g.injection_action, Action::Escalate);
        assert_eq!(g.pii_types[2], Action::Block);
        assert_eq!(g.pii_types[0], Action::Redact);
        assert_eq!(
            p.effective(Some("other"), 1).injection_action,
            Action::Block
        );
    }
}
