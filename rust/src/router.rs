//! The core router: compiled policy + classifier + budgets + health. All methods take `&self`
//! and are safe to call from many threads at once (the bindings route batches in parallel).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::bandit::{Arm, Bandit, BanditState};
use crate::budget::{BudgetStore, ModelQuota};
use crate::capability::Capability;
use crate::classify::{CapabilityModel, KeywordClassifier, LearnedClassifier};
use crate::complexity;
use crate::config::{self, Format};
use crate::decision::{Decision, Reason};
use crate::difficulty::DifficultyModel;
use crate::error::{ConfigIssue, Error, Result};
use crate::features::{self, Features};
use crate::health::{Fleet, HealthSnapshot, ModelHealth, Outcome};
use crate::policy::{ModelId, Policy};
use crate::recent::{Recent, Served};
use crate::request::Request;
use crate::select::{self, Env, Query};

pub struct Router {
    policy: Arc<Policy>,
    classifier: Box<dyn CapabilityModel>,
    /// Scores difficulty when the classifier does not (the keyword model).
    difficulty: Option<DifficultyModel>,
    budgets: BudgetStore,
    health: Vec<ModelHealth>,
    quotas: Vec<ModelQuota>,
    next_id: AtomicU64,
    id_salt: u64,
    epoch: Instant,
    bandit: Bandit,
    recent: Recent,
}

/// How the request names its model.
enum Target {
    Auto,
    Tier(u8),
    Pinned(ModelId),
}

impl Router {
    /// The classifier the policy asks for with the shipped model: `learned` (falling back to
    /// the keyword model if its artifact were unusable) or `keywords`.
    pub fn new(policy: Policy) -> Self {
        let learned = (policy.routing.classifier == "learned")
            .then(LearnedClassifier::embedded)
            .and_then(|r| r.ok());
        match learned {
            Some(l) => Self::with_classifier(policy, Box::new(l)),
            None => Self::with_classifier(policy, Box::new(KeywordClassifier::new())),
        }
    }

    /// As `new`, with a capability model artifact (`routing.capability_model`) read from
    /// `base_dir` when its path is relative. A model that does not load is a config error.
    pub fn with_model_dir(policy: Policy, base_dir: Option<&std::path::Path>) -> Result<Self> {
        let Some(path) = policy.routing.capability_model.clone() else {
            return Ok(Self::new(policy));
        };
        let full = match base_dir {
            Some(d) if std::path::Path::new(&path).is_relative() => d.join(&path),
            _ => std::path::PathBuf::from(&path),
        };
        let issue = |message: String| {
            Error::Config(vec![ConfigIssue {
                path: "routing.capability_model".into(),
                message,
            }])
        };
        let bytes = std::fs::read(&full)
            .map_err(|e| issue(format!("cannot read {}: {e}", full.display())))?;
        Self::with_model_bytes(policy, &bytes).map_err(|e| match e {
            Error::Config(mut v) => {
                for i in v.iter_mut() {
                    i.message = format!("{}: {}", full.display(), i.message);
                }
                Error::Config(v)
            }
            e => e,
        })
    }

    /// As `new`, with a capability model artifact given as bytes (the shipped difficulty head
    /// is kept).
    pub fn with_model_bytes(policy: Policy, bytes: &[u8]) -> Result<Self> {
        let diff = crate::classify::learned::DIFFICULTY_ARTIFACT;
        let model = LearnedClassifier::from_bytes(bytes, Some(diff))
            .or_else(|_| LearnedClassifier::from_bytes(bytes, None))
            .map_err(|message| {
                Error::Config(vec![ConfigIssue {
                    path: "routing.capability_model".into(),
                    message,
                }])
            })?;
        Ok(Self::with_classifier(policy, Box::new(model)))
    }

    pub fn with_classifier(policy: Policy, classifier: Box<dyn CapabilityModel>) -> Self {
        let health = policy
            .models
            .iter()
            .map(|m| ModelHealth::new(m.ttft_ms))
            .collect();
        let quotas = policy
            .models
            .iter()
            .map(|m| ModelQuota::new(m.requests_per_min, m.tokens_per_min))
            .collect();
        let epoch = Instant::now();
        // Request ids: a bijective mix of a counter and a per-process salt, unique per router.
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ ((std::process::id() as u64) << 32);
        let bandit = Bandit::new(
            policy.normalized.bandit.clone(),
            policy.tiers.len(),
            policy.models.len(),
        );
        Router {
            bandit,
            recent: Recent::new(),
            policy: Arc::new(policy),
            classifier,
            difficulty: DifficultyModel::embedded().ok(),
            budgets: BudgetStore::new(),
            health,
            quotas,
            next_id: AtomicU64::new(1),
            id_salt: salt,
            epoch,
        }
    }

    pub fn from_config(text: &str, format: Format) -> Result<Self> {
        Self::with_model_dir(config::load(text, format)?, None)
    }

    /// As `from_config`; a relative `routing.capability_model` path resolves against `base_dir`
    /// (the config file's directory).
    pub fn from_config_in(text: &str, format: Format, base_dir: &std::path::Path) -> Result<Self> {
        Self::with_model_dir(config::load(text, format)?, Some(base_dir))
    }

    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    pub fn classifier_name(&self) -> &str {
        self.classifier.name()
    }

    /// Milliseconds since this router was built (u32: 49 days; budgets and breakers only need
    /// differences, and saturate rather than wrap).
    pub fn now_ms(&self) -> u32 {
        self.epoch.elapsed().as_millis().min(u32::MAX as u128) as u32
    }

    pub fn features(&self, req: &Request<'_>) -> Features {
        features::extract(req)
    }

    pub fn route(&self, req: &Request<'_>) -> Result<Decision> {
        self.route_at(req, self.now_ms())
    }

    pub fn route_at(&self, req: &Request<'_>, now_ms: u32) -> Result<Decision> {
        let p = &*self.policy;
        if req.messages.is_empty() {
            return Err(Error::invalid(
                "messages",
                "must contain at least one message",
            ));
        }
        let size: u64 = req.messages.iter().map(|m| m.byte_len() as u64).sum();
        if size > p.routing.max_input_bytes {
            return Err(Error::TooLarge {
                size,
                limit: p.routing.max_input_bytes,
            });
        }
        if req.max_tokens == Some(0) {
            return Err(Error::invalid("max_tokens", "must be >= 1"));
        }
        for (name, v) in [
            ("deadline_ms", req.deadline_ms),
            ("max_cost_usd", req.max_cost_usd),
        ] {
            if v.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
                return Err(Error::invalid(name, "must be a finite number > 0"));
            }
        }
        let user_tier = match req.user_tier {
            None => None,
            Some(u) => Some(p.user_tiers.get(u).ok_or_else(|| {
                let mut known: Vec<&str> = p.user_tiers.keys().map(|k| k.as_str()).collect();
                known.sort_unstable();
                Error::invalid(
                    "user_tier",
                    format!("unknown user tier {u:?}; known: {}", known.join(", ")),
                )
            })?),
        };
        let tenant_name = req.tenant.unwrap_or("default");
        let tenant = p.tenant(tenant_name);
        let target = self.target(req.model)?;

        let f = features::extract(req);
        let mut cls = self.classifier.classify(req, &f);
        // The standalone difficulty pass costs a few µs: skip it when its weight is zero.
        if cls.difficulty.is_none() && p.scoring.weights.difficulty > 0.0 {
            cls.difficulty = self.difficulty.as_ref().map(|d| d.score(req, &f));
        }
        let (score, components) = complexity::score(
            &f,
            &cls,
            user_tier.map_or(0.0, |u| u.score),
            &p.capabilities,
            &p.scoring,
        );
        let base = complexity::tier_for(score, &p.scoring.thresholds);
        let mut reasons = Vec::with_capacity(6);
        reasons.push(Reason::Classified {
            capability: cls.capability,
            confidence: cls.confidence,
        });
        reasons.push(Reason::Scored {
            complexity: score,
            tier: base,
        });

        let q = Query {
            capability: cls.capability,
            input_tokens: f.input_tokens,
            max_tokens: req.max_tokens,
            tenant,
            user_tier,
            min_tier: req.min_tier,
            max_tier: req.max_tier,
            deadline_ms: req.deadline_ms,
            max_cost_usd: req.max_cost_usd,
        };
        let health = |m: ModelId| self.health[m as usize].view(now_ms);
        // The primary's quota hold (leased or local), for reconcile and release.
        let held = std::cell::Cell::new(None);
        let take_quota = |m: ModelId, tokens: u32| {
            let q = &self.quotas[m as usize];
            let h = self
                .budgets
                .take_model(q, &p.model(m).name, tokens as f64, now_ms);
            held.set(h);
            h.is_some()
        };
        // The id is drawn before selection: it seeds the bandit, so a decision is reproducible.
        let request_id =
            crate::recent::mix(self.next_id.fetch_add(1, Ordering::Relaxed) ^ self.id_salt);
        let choose = |cap, tier, cands: &[ModelId]| {
            self.bandit
                .choose(cap, tier, cands, request_id)
                .map(|m| (m, self.bandit.config.shadow))
        };
        let env = Env {
            health: &health,
            take_quota: &take_quota,
            choose: &choose,
        };
        let sel = match target {
            Target::Auto => {
                let (tier, bounds) = select::bound_tier(p, &q, base, &mut reasons)?;
                select::select(p, &q, tier, &bounds, &env, &mut reasons)?
            }
            Target::Tier(t) => {
                if t < tenant.min_tier || t > tenant.max_tier {
                    return Err(Error::ModelNotAllowed {
                        model: format!("routecore/t{t}"),
                        tenant: tenant_name.to_string(),
                    });
                }
                reasons.push(Reason::TierAlias { tier: t });
                select::select(
                    p,
                    &q,
                    t,
                    &select::Bounds {
                        hard_lo: t,
                        hard_hi: t,
                    },
                    &env,
                    &mut reasons,
                )?
            }
            Target::Pinned(m) => {
                if !tenant.allows(m) {
                    return Err(Error::ModelNotAllowed {
                        model: p.model(m).name.clone(),
                        tenant: tenant_name.to_string(),
                    });
                }
                select::check_pinned(p, &q, m)?;
                reasons.push(Reason::Pinned { model: m });
                let fallbacks = if p.routing.fallbacks_for_pinned {
                    select::pinned_fallbacks(p, &q, m, &env)
                } else {
                    Vec::new()
                };
                let out = q.output_tokens(p, m);
                select::Selection {
                    tier: p.model(m).home_tier,
                    model: m,
                    fallbacks,
                    output_tokens: out,
                    cost: p.model(m).cost(f.input_tokens, out),
                }
            }
        };
        let tokens = (f.input_tokens + sel.output_tokens) as f64;
        let quota = held.get().unwrap_or_default();
        let mut reservation =
            match self
                .budgets
                .reserve(tenant_name, tenant, tokens, sel.cost, now_ms)
            {
                Ok(r) => r,
                Err(e) => {
                    let (q, name) = (&self.quotas[sel.model as usize], &p.model(sel.model).name);
                    self.budgets.settle_model(q, name, quota, None, true);
                    return Err(e);
                }
            };
        reservation.quota = quota;
        reasons.push(if tenant.has_budget() {
            Reason::BudgetAdmitted
        } else {
            Reason::NoBudget
        });
        self.recent.put(
            request_id,
            Served {
                capability: cls.capability,
                tier: sel.tier,
                model: sel.model,
                cost_usd: sel.cost,
            },
        );
        Ok(Decision {
            request_id,
            tier: sel.tier,
            model: sel.model,
            fallbacks: sel.fallbacks,
            capability: cls.capability,
            capability_confidence: cls.confidence,
            capability_scores: cls.scores,
            complexity: score,
            components,
            input_tokens: f.input_tokens,
            output_tokens: sel.output_tokens,
            estimated_cost_usd: sel.cost,
            tenant: tenant_name.into(),
            reservation,
            budgeted: tenant.has_budget(),
            reasons,
            features: f,
        })
    }

    fn target(&self, model: Option<&str>) -> Result<Target> {
        let p = &*self.policy;
        match model {
            None | Some("auto") | Some("") => Ok(Target::Auto),
            Some(m) => {
                if let Some(rest) = m
                    .strip_prefix("routecore/t")
                    .or_else(|| m.strip_prefix("routecore/T"))
                {
                    if let Ok(t) = rest.parse::<u8>() {
                        if t <= p.max_tier() {
                            return Ok(Target::Tier(t));
                        }
                    }
                }
                p.model_id(m)
                    .map(Target::Pinned)
                    .ok_or_else(|| Error::UnknownModel {
                        model: m.to_string(),
                        known: p.model_names(),
                    })
            }
        }
    }

    /// Settle a decision's reservation with the real usage; returns the actual cost in USD.
    pub fn reconcile(&self, d: &Decision, input_tokens: u32, output_tokens: u32) -> f64 {
        self.reconcile_model(d, d.model, input_tokens, output_tokens)
    }

    /// As `reconcile`, when a fallback model (priced differently) served the request.
    /// Credit feedback on a recent decision to its capability × tier × model: `quality` in
    /// 0..1, with the observed latency (else the model's typical TTFT). False when the id is
    /// unknown, too old, or already had its feedback.
    pub fn feedback(&self, request_id: u64, quality: f64, latency_ms: Option<f64>) -> bool {
        let Some(s) = self.recent.take(request_id) else {
            return false;
        };
        let lat = latency_ms
            .unwrap_or_else(|| self.health[s.model as usize].view(self.now_ms()).ttft_ms as f64);
        let reward = self.bandit.config.reward(quality, s.cost_usd, lat);
        self.bandit.update(s.capability, s.tier, s.model, reward);
        true
    }

    /// The bandit's learned state as JSON (arms by capability, tier and model name).
    pub fn bandit_state(&self) -> String {
        let p = &self.policy;
        let st = self.bandit.state(&|m| p.model(m).name.clone());
        serde_json::to_string(&st).unwrap_or_else(|_| "{}".into())
    }

    /// Restore bandit state saved by `bandit_state`; returns the arms restored.
    pub fn load_bandit_state(&self, json: &str) -> Result<usize> {
        let st: BanditState = serde_json::from_str(json).map_err(|e| {
            Error::invalid("bandit_state", format!("not a saved bandit state: {e}"))
        })?;
        Ok(self.bandit.load(&st, &|n| self.policy.model_id(n)))
    }

    pub fn bandit_arm(&self, cap: Capability, tier: u8, model: &str) -> Result<Option<Arm>> {
        Ok(self.bandit.arm(cap, tier, self.model_id(model)?))
    }

    pub fn reconcile_model(
        &self,
        d: &Decision,
        served_by: ModelId,
        input_tokens: u32,
        output_tokens: u32,
    ) -> f64 {
        let p = &*self.policy;
        let cost = p.model(served_by).cost(input_tokens, output_tokens);
        let spec = p.tenant(&d.tenant);
        self.budgets.settle(
            &d.tenant,
            spec,
            d.reservation,
            (input_tokens + output_tokens) as f64,
            cost,
        );
        // A fallback's usage is not the primary's: its hold then stays at the estimate.
        let used = (served_by == d.model).then_some((input_tokens + output_tokens) as f64);
        let (q, name) = (&self.quotas[d.model as usize], &p.model(d.model).name);
        self.budgets
            .settle_model(q, name, d.reservation.quota, used, false);
        self.recent.settle(d.request_id, served_by, cost);
        cost
    }

    /// Return a decision's reservation (nothing was served).
    pub fn release(&self, d: &Decision) {
        let spec = self.policy.tenant(&d.tenant);
        self.budgets.refund(&d.tenant, spec, d.reservation);
        let (q, name) = (
            &self.quotas[d.model as usize],
            &self.policy.model(d.model).name,
        );
        self.budgets
            .settle_model(q, name, d.reservation.quota, None, true);
    }

    fn model_id(&self, model: &str) -> Result<ModelId> {
        self.policy
            .model_id(model)
            .ok_or_else(|| Error::UnknownModel {
                model: model.to_string(),
                known: self.policy.model_names(),
            })
    }

    /// Report one provider attempt; feeds TTFT statistics and the breaker.
    pub fn record(&self, model: &str, o: &Outcome) -> Result<()> {
        let id = self.model_id(model)?;
        let budget = self.policy.tiers[self.policy.model(id).home_tier as usize].latency_budget_ms;
        self.health[id as usize].record(o, budget, self.now_ms(), &self.policy.resilience);
        Ok(())
    }

    /// Breaker admission for one attempt on `model`.
    pub fn allow(&self, model: &str) -> Result<bool> {
        let id = self.model_id(model)?;
        Ok(self.health[id as usize].allow(self.now_ms(), &self.policy.resilience))
    }

    pub fn health(&self, model: &str) -> Result<HealthSnapshot> {
        let id = self.model_id(model)?;
        Ok(self.health[id as usize].snapshot())
    }

    pub fn budget_levels(&self, tenant: &str) -> Option<[f64; 3]> {
        self.budgets
            .levels(tenant, self.policy.tenant(tenant), self.now_ms())
    }

    pub fn tenants_tracked(&self) -> usize {
        self.budgets.tenants()
    }

    /// The budget store (shared-state leases and modes, `bindings/state.rs`).
    pub fn budgets(&self) -> &BudgetStore {
        &self.budgets
    }

    /// Open `model`'s breaker for `for_ms` because another replica saw it fail.
    pub fn force_open(&self, model: &str, for_ms: u32) -> Result<()> {
        let id = self.model_id(model)?;
        let until = self.now_ms().saturating_add(for_ms);
        self.health[id as usize].force_open(until, &self.policy.resilience);
        Ok(())
    }

    /// Replace `model`'s fleet prior: the other replicas' merged TTFT and error rate.
    pub fn ingest_fleet(&self, model: &str, f: Fleet) -> Result<()> {
        let id = self.model_id(model)?;
        self.health[id as usize].ingest_fleet(f, &self.policy.resilience);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
