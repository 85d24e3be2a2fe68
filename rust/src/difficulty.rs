//! Difficulty: the probability that a weak model fails where a strong one succeeds (RouteLLM's
//! routing quantity), from a logistic head over the same hashed features as the capability
//! model. Trained by `training/difficulty/train.py` on GPT-4 vs Mixtral outcomes (MMLU, GSM8K,
//! MT-Bench) and LLMRouter's small-vs-large outcomes; it enters the complexity score as its own
//! weighted component so the tier follows predicted difficulty rather than prompt length.
//!
//! The learned capability classifier computes it in the same pass (`classify::learned`); this
//! standalone scorer serves routers whose classifier does not (the keyword model).

use crate::classify::hashing;
use crate::classify::learned::{sigmoid, DIFFICULTY_ARTIFACT};
use crate::classify::linear::{Accumulator, LinearModel, One};
use crate::features::Features;
use crate::request::Request;

pub struct DifficultyModel {
    model: LinearModel<1>,
}

impl DifficultyModel {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        Ok(DifficultyModel {
            model: LinearModel::from_bytes(bytes)?,
        })
    }

    pub fn embedded() -> Result<Self, String> {
        Self::from_bytes(DIFFICULTY_ARTIFACT)
    }

    pub fn name(&self) -> &str {
        &self.model.name
    }

    /// P(weak fails, strong succeeds) in 0..1.
    pub fn score(&self, req: &Request<'_>, f: &Features) -> f32 {
        let mut one = One {
            model: &self.model,
            acc: Accumulator::default(),
        };
        hashing::visit(req, f, &mut one);
        sigmoid(self.model.logits(&one.acc, &hashing::dense(f))[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{CapabilityModel, LearnedClassifier};
    use crate::features::extract;

    #[test]
    fn standalone_matches_fused() {
        let d = DifficultyModel::embedded().unwrap();
        let c = LearnedClassifier::embedded().unwrap();
        for text in ["hi", "Prove that there are infinitely many primes.", "2+2?"] {
            let req = Request::from_text(text);
            let f = extract(&req);
            let a = d.score(&req, &f);
            let b = c.classify(&req, &f).difficulty.unwrap();
            assert!((a - b).abs() < 1e-6, "{text}: {a} vs {b}");
            assert!((0.0..=1.0).contains(&a));
        }
    }
}
