//! Capability classification behind one trait, so a trained model (issue: learned routing)
//! replaces the keyword model without touching the router or its callers.

pub mod hashing;
mod keywords;
pub mod learned;
pub mod linear;
mod rules;

pub use learned::LearnedClassifier;
pub use rules::KeywordClassifier;

use crate::capability::Capability;
use crate::features::Features;
use crate::request::Request;

/// A classifier's verdict: the class, its confidence, and the score of every class
/// (probabilities summing to 1, index = `Capability as usize`).
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub capability: Capability,
    pub confidence: f32,
    pub scores: [f32; Capability::COUNT],
    /// The signals that decided it, for `Decision.reasons` (static names, no user text).
    pub signals: Vec<&'static str>,
    /// P(a weak model fails where a strong one succeeds), when the model predicts it.
    pub difficulty: Option<f32>,
}

pub trait CapabilityModel: Send + Sync {
    /// A short name for traces (`"keywords-v1"`).
    fn name(&self) -> &str;
    fn classify(&self, req: &Request<'_>, features: &Features) -> Classification;
}

/// The char boundary at or before byte `i` (clamped to the text): where a byte budget may cut.
/// (`str::floor_char_boundary` needs Rust 1.91; the crate supports 1.85.)
pub(crate) fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Turn raw class scores into probabilities (softmax at `temperature`).
pub fn normalize(raw: &[f32; Capability::COUNT], temperature: f32) -> [f32; Capability::COUNT] {
    let max = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut out = [0.0f32; Capability::COUNT];
    let mut sum = 0.0;
    for (o, r) in out.iter_mut().zip(raw.iter()) {
        *o = ((r - max) / temperature).exp();
        sum += *o;
    }
    for o in out.iter_mut() {
        *o /= sum;
    }
    out
}

pub fn argmax(p: &[f32; Capability::COUNT]) -> (Capability, f32) {
    let mut best = 0usize;
    for i in 1..p.len() {
        if p[i] > p[best] {
            best = i;
        }
    }
    (Capability::ALL[best], p[best])
}
