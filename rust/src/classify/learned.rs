//! The learned capability model: a linear head over `hashing` features (trained by
//! `training/capability/train.py`), optionally fused with the difficulty head so one pass over
//! the text feeds both. The router uses it when its artifact loads and falls back to the
//! keyword model otherwise.

use super::hashing::{self, Sink};
use super::linear::{Accumulator, LinearModel};
use super::{argmax, normalize, CapabilityModel, Classification};
use crate::capability::Capability;
use crate::features::Features;
use crate::request::Request;

/// The shipped artifacts (re-created bit for bit by the training commands).
pub static CAPABILITY_ARTIFACT: &[u8] = include_bytes!("models/capability.bin");
pub static DIFFICULTY_ARTIFACT: &[u8] = include_bytes!("models/difficulty.bin");

/// Lanes per bucket in memory: ten classes padded to one 16-byte load.
pub const LANES: usize = 16;

pub struct LearnedClassifier {
    /// The ten class lanes, and the difficulty head in lane ten when there is one: a feature
    /// is one 16-byte load feeding both heads (the weight table's random reads are what a
    /// pass costs).
    model: LinearModel<LANES>,
    has_difficulty: bool,
}

/// The lane holding the difficulty head.
const DIFFICULTY_LANE: usize = Capability::COUNT;

/// One pass feeding both heads.
struct Pass<'m> {
    model: &'m LinearModel<LANES>,
    acc: Accumulator<LANES>,
}

impl Sink for Pass<'_> {
    #[inline]
    fn feature(&mut self, zone: usize, bucket: u32) {
        self.acc.add(self.model, zone, bucket);
    }

    fn features(&mut self, zone: usize, buckets: &[u32]) {
        self.acc.add_many(self.model, zone, buckets);
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl LearnedClassifier {
    /// From artifact bytes (a capability model with ten outputs, a difficulty model with one).
    pub fn from_bytes(capability: &[u8], difficulty: Option<&[u8]>) -> Result<Self, String> {
        let capability = LinearModel::<LANES>::from_bytes(capability)?;
        if capability.n_out != Capability::COUNT {
            return Err(format!(
                "capability model has {} outputs, expected {}",
                capability.n_out,
                Capability::COUNT
            ));
        }
        let difficulty = difficulty.map(LinearModel::<1>::from_bytes).transpose()?;
        let has_difficulty = difficulty.is_some();
        let model = match &difficulty {
            Some(d) => capability.with_extra_lane(d)?,
            None => capability,
        };
        Ok(LearnedClassifier {
            model,
            has_difficulty,
        })
    }

    /// The shipped models.
    pub fn embedded() -> Result<Self, String> {
        Self::from_bytes(CAPABILITY_ARTIFACT, Some(DIFFICULTY_ARTIFACT))
    }

    /// Raw class logits and difficulty (for tests and evaluation).
    pub fn score(
        &self,
        req: &Request<'_>,
        f: &Features,
    ) -> ([f32; Capability::COUNT], Option<f32>) {
        let mut s = Pass {
            model: &self.model,
            acc: Accumulator::default(),
        };
        hashing::visit(req, f, &mut s);
        let l = self.model.logits(&s.acc, &hashing::dense(f));
        let mut logits = [0.0f32; Capability::COUNT];
        logits.copy_from_slice(&l[..Capability::COUNT]);
        let diff = self.has_difficulty.then(|| sigmoid(l[DIFFICULTY_LANE]));
        (logits, diff)
    }
}

impl CapabilityModel for LearnedClassifier {
    fn name(&self) -> &str {
        &self.model.name
    }

    fn classify(&self, req: &Request<'_>, f: &Features) -> Classification {
        let (logits, difficulty) = self.score(req, f);
        let scores = normalize(&logits, 1.0);
        let (capability, confidence) = argmax(&scores);
        Classification {
            capability,
            confidence,
            scores,
            signals: vec!["learned n-grams"],
            difficulty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::extract;
    use crate::request::{Message, Role};
    use proptest::prelude::*;

    fn model() -> LearnedClassifier {
        LearnedClassifier::embedded().expect("shipped artifacts load")
    }

    fn cls(m: &LearnedClassifier, text: &str) -> Capability {
        let req = Request::from_text(text);
        m.classify(&req, &extract(&req)).capability
    }

    #[test]
    fn shipped_artifacts_load() {
        let m = model();
        assert!(m.name().starts_with("learned"));
        assert!(m.has_difficulty);
    }

    #[test]
    fn robustness_cases() {
        let m = model();
        assert_eq!(
            cls(
                &m,
                "Translate this customer record to JSON: name Ann, age 31"
            ),
            Capability::Extraction
        );
        assert_ne!(
            cls(&m, "How long can a python snake grow?"),
            Capability::Code
        );
        let doc = format!(
            "```rust\nfn main() {{ println!(\"hi\"); }}\n```\n{}\nSummarize the text above in two sentences.",
            "The quarterly report shows revenue growth. ".repeat(40)
        );
        assert_eq!(cls(&m, &doc), Capability::Summarization);
    }

    /// A pasted document repeating one imperative ("Write a poem", 200 times) must not
    /// outweigh the closing instruction (learned-v2 called this creative).
    #[test]
    fn long_imperative_document_then_translate() {
        let m = model();
        let doc = format!(
            "{}\n\nTranslate the above into German.",
            "Write a poem about the sea. The story goes on. ".repeat(200)
        );
        assert_eq!(cls(&m, &doc), Capability::Translation);
    }

    #[test]
    fn last_user_turn_dominates() {
        let m = model();
        let req = Request {
            messages: vec![
                Message::user("Write a Python function to parse dates"),
                Message::new(Role::Assistant, "def parse(...): ..."),
                Message::user("thanks! now write a short poem about it"),
            ],
            ..Default::default()
        };
        assert_eq!(
            m.classify(&req, &extract(&req)).capability,
            Capability::Creative
        );
    }

    proptest! {
        #[test]
        fn probabilities_for_any_text(s in "\\PC{0,2000}") {
            let m = model();
            let req = Request::from_text(&s);
            let c = m.classify(&req, &extract(&req));
            let sum: f32 = c.scores.iter().sum();
            prop_assert!((sum - 1.0).abs() < 1e-3);
            let d = c.difficulty.unwrap();
            prop_assert!((0.0..=1.0).contains(&d));
            prop_assert_eq!(c, m.classify(&req, &extract(&req)));
        }
    }
}
