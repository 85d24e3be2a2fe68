//! Feedback-driven model choice: Thompson sampling within each capability × tier.
//!
//! Every (capability, tier, model) arm keeps a Beta posterior over "this model's answer was
//! worth it", where a reward in 0..1 weighs quality against cost and latency (weights in
//! config). Choosing samples each candidate's posterior and takes the best — traffic shifts to
//! the model that earns most — while a floor keeps every candidate at `min_share` of traffic,
//! so a model that improves is noticed. Randomness is seeded by the request id, so a decision
//! is reproducible. Posteriors decay slowly so the bandit follows a provider that changes.

use parking_lot::RwLock;
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Beta, Distribution};
use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::policy::ModelId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BanditConfig {
    /// Learn and act (false: the bandit does nothing).
    pub enabled: bool,
    /// Learn but do not act: decisions report what the bandit would have chosen.
    pub shadow: bool,
    pub quality_weight: f64,
    pub cost_weight: f64,
    pub latency_weight: f64,
    /// Cost (USD) at which the cost penalty is one half.
    pub cost_scale_usd: f64,
    /// Latency (ms) at which the latency penalty is one half.
    pub latency_scale_ms: f64,
    /// Each candidate keeps at least this share of its arm's traffic (bounded exploration).
    pub min_share: f64,
    /// Multiplier applied to the posterior counts per update (1.0: no forgetting).
    pub decay: f64,
    /// Where the Python layer keeps the learned state across restarts (JSON).
    pub state_file: Option<String>,
}

impl Default for BanditConfig {
    fn default() -> Self {
        BanditConfig {
            enabled: false,
            shadow: false,
            quality_weight: 0.7,
            cost_weight: 0.2,
            latency_weight: 0.1,
            cost_scale_usd: 0.01,
            latency_scale_ms: 1000.0,
            min_share: 0.05,
            decay: 0.999,
            state_file: None,
        }
    }
}

impl BanditConfig {
    /// Reward in 0..1 of one served request.
    pub fn reward(&self, quality: f64, cost_usd: f64, latency_ms: f64) -> f64 {
        let cheap = 1.0 - cost_usd.max(0.0) / (cost_usd.max(0.0) + self.cost_scale_usd);
        let fast = 1.0 - latency_ms.max(0.0) / (latency_ms.max(0.0) + self.latency_scale_ms);
        let w = self.quality_weight + self.cost_weight + self.latency_weight;
        if w <= 0.0 {
            return quality.clamp(0.0, 1.0);
        }
        ((self.quality_weight * quality.clamp(0.0, 1.0)
            + self.cost_weight * cheap
            + self.latency_weight * fast)
            / w)
            .clamp(0.0, 1.0)
    }
}

/// Posterior of one arm.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Arm {
    pub alpha: f64,
    pub beta: f64,
    pub pulls: u64,
}

impl Default for Arm {
    fn default() -> Self {
        Arm {
            alpha: 1.0,
            beta: 1.0,
            pulls: 0,
        }
    }
}

/// Serialized state: `arms[capability][tier][model]`, models by name so state survives a
/// config change that reorders models.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BanditState {
    pub version: u32,
    pub arms: Vec<(String, u8, String, Arm)>,
}

pub struct Bandit {
    pub config: BanditConfig,
    tiers: usize,
    models: usize,
    /// Flat `[capability][tier][model]`.
    arms: RwLock<Vec<Arm>>,
}

impl Bandit {
    pub fn new(config: BanditConfig, tiers: usize, models: usize) -> Self {
        let n = Capability::COUNT * tiers * models;
        Bandit {
            config,
            tiers,
            models,
            arms: RwLock::new(vec![Arm::default(); n]),
        }
    }

    fn index(&self, cap: Capability, tier: u8, model: ModelId) -> Option<usize> {
        let (t, m) = (tier as usize, model as usize);
        (t < self.tiers && m < self.models)
            .then(|| (cap.index() * self.tiers + t) * self.models + m)
    }

    /// The candidate to put first, or None when the bandit is off or has nothing to choose.
    /// `seed` makes the draw reproducible (the request id).
    pub fn choose(
        &self,
        cap: Capability,
        tier: u8,
        candidates: &[ModelId],
        seed: u64,
    ) -> Option<ModelId> {
        if !self.config.enabled || candidates.len() < 2 {
            return None;
        }
        let mut rng = SmallRng::seed_from_u64(seed);
        let floor = (self.config.min_share * candidates.len() as f64).min(1.0);
        if rng.random::<f64>() < floor {
            // Exploration floor: uniform over candidates.
            return Some(candidates[rng.random_range(0..candidates.len())]);
        }
        let arms = self.arms.read();
        let mut best: Option<(f64, ModelId)> = None;
        for &m in candidates {
            let arm = self.index(cap, tier, m).map_or(Arm::default(), |i| arms[i]);
            let draw = Beta::new(arm.alpha, arm.beta).map_or(0.5, |b| b.sample(&mut rng));
            if best.is_none_or(|(d, _)| draw > d) {
                best = Some((draw, m));
            }
        }
        best.map(|(_, m)| m)
    }

    /// Fold one reward (0..1) into an arm.
    pub fn update(&self, cap: Capability, tier: u8, model: ModelId, reward: f64) {
        let Some(i) = self.index(cap, tier, model) else {
            return;
        };
        let r = if reward.is_finite() {
            reward.clamp(0.0, 1.0)
        } else {
            return;
        };
        let d = self.config.decay.clamp(0.5, 1.0);
        let mut arms = self.arms.write();
        let a = &mut arms[i];
        // Decay toward the prior (1, 1), then add the observation.
        a.alpha = 1.0 + (a.alpha - 1.0) * d + r;
        a.beta = 1.0 + (a.beta - 1.0) * d + (1.0 - r);
        a.pulls += 1;
    }

    pub fn arm(&self, cap: Capability, tier: u8, model: ModelId) -> Option<Arm> {
        self.index(cap, tier, model).map(|i| self.arms.read()[i])
    }

    /// Arms that have seen feedback, for persistence.
    pub fn state(&self, model_name: &dyn Fn(ModelId) -> String) -> BanditState {
        let arms = self.arms.read();
        let mut out = Vec::new();
        for cap in Capability::ALL {
            for t in 0..self.tiers {
                for m in 0..self.models {
                    let a = arms[(cap.index() * self.tiers + t) * self.models + m];
                    if a.pulls > 0 {
                        out.push((
                            cap.as_str().to_string(),
                            t as u8,
                            model_name(m as ModelId),
                            a,
                        ));
                    }
                }
            }
        }
        BanditState {
            version: 1,
            arms: out,
        }
    }

    /// Restore arms by name; unknown capabilities, tiers or models are skipped (config changed).
    pub fn load(&self, state: &BanditState, model_id: &dyn Fn(&str) -> Option<ModelId>) -> usize {
        let mut arms = self.arms.write();
        let mut n = 0;
        for (cap, tier, model, arm) in &state.arms {
            let (Some(c), Some(m)) = (Capability::parse(cap), model_id(model)) else {
                continue;
            };
            if let Some(i) = self.index(c, *tier, m) {
                arms[i] = *arm;
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bandit(min_share: f64) -> Bandit {
        Bandit::new(
            BanditConfig {
                enabled: true,
                min_share,
                decay: 1.0,
                ..Default::default()
            },
            4,
            3,
        )
    }

    /// A simulated environment where model 1 is clearly best: traffic converges to it within
    /// 1,500 requests while every model keeps its floor share.
    #[test]
    fn converges_to_the_best_model_and_keeps_the_floor() {
        let b = bandit(0.05);
        let truth = [0.55, 0.9, 0.6];
        let cands = [0u16, 1, 2];
        let mut env = SmallRng::seed_from_u64(7);
        let mut late = [0u32; 3];
        for i in 0..3000u64 {
            let m = b.choose(Capability::Code, 2, &cands, i).unwrap();
            let r = if env.random::<f64>() < truth[m as usize] {
                1.0
            } else {
                0.0
            };
            b.update(Capability::Code, 2, m, r);
            if i >= 1500 {
                late[m as usize] += 1;
            }
        }
        let share = |k: usize| late[k] as f64 / 1500.0;
        assert!(share(1) > 0.8, "best model share {:?}", late);
        for k in [0, 2] {
            assert!(share(k) >= 0.02, "floor kept for {k}: {:?}", late);
            assert!(share(k) <= 0.15, "exploration bounded for {k}: {:?}", late);
        }
    }

    #[test]
    fn same_seed_same_choice_and_off_means_none() {
        let b = bandit(0.05);
        let c = [0u16, 1, 2];
        assert_eq!(
            b.choose(Capability::Math, 1, &c, 42),
            b.choose(Capability::Math, 1, &c, 42)
        );
        let off = Bandit::new(BanditConfig::default(), 4, 3);
        assert_eq!(off.choose(Capability::Math, 1, &c, 42), None);
        assert_eq!(b.choose(Capability::Math, 1, &c[..1], 42), None);
    }

    #[test]
    fn reward_weighs_quality_cost_latency() {
        let c = BanditConfig::default();
        let good = c.reward(1.0, 0.0001, 200.0);
        let pricey = c.reward(1.0, 0.5, 200.0);
        let slow = c.reward(1.0, 0.0001, 20_000.0);
        let bad = c.reward(0.0, 0.0001, 200.0);
        assert!(good > pricey && good > slow && good > bad);
        for r in [
            good,
            pricey,
            slow,
            bad,
            c.reward(f64::NAN.max(0.0), -1.0, -5.0),
        ] {
            assert!((0.0..=1.0).contains(&r));
        }
    }

    #[test]
    fn state_round_trips_by_name() {
        let b = bandit(0.05);
        b.update(Capability::Chitchat, 0, 2, 1.0);
        b.update(Capability::Chitchat, 0, 2, 0.0);
        let names = ["a", "b", "c"];
        let st = b.state(&|m| names[m as usize].to_string());
        assert_eq!(st.arms.len(), 1);
        let json = serde_json::to_string(&st).unwrap();
        let back: BanditState = serde_json::from_str(&json).unwrap();
        let fresh = bandit(0.05);
        assert_eq!(
            fresh.load(&back, &|n| names
                .iter()
                .position(|x| *x == n)
                .map(|i| i as u16)),
            1
        );
        assert_eq!(
            fresh.arm(Capability::Chitchat, 0, 2),
            b.arm(Capability::Chitchat, 0, 2)
        );
        // A renamed model is skipped, not misattributed.
        assert_eq!(fresh.load(&back, &|_| None), 0);
    }

    #[test]
    fn decay_forgets_old_evidence() {
        let b = Bandit::new(
            BanditConfig {
                enabled: true,
                decay: 0.9,
                ..Default::default()
            },
            1,
            1,
        );
        for _ in 0..200 {
            b.update(Capability::Factual, 0, 0, 1.0);
        }
        let a = b.arm(Capability::Factual, 0, 0).unwrap();
        assert!(a.alpha < 12.0, "bounded by 1/(1-decay): {a:?}");
    }
}
