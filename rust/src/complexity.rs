//! Complexity score 0–100: the seed formula (`token_count×0.4 + tool_usage×0.3 + user_tier×0.3`
//! on normalised inputs) extended with the capability's demand and structural signals. Each
//! signal is in 0..1; the score is their weighted mean × 100, so weights are relative.

use crate::capability::Capability;
use crate::classify::Classification;
use crate::features::Features;
use crate::policy::{CapabilityRule, Scoring};

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Components {
    pub token_count: f32,
    pub tool_usage: f32,
    pub user_tier: f32,
    pub capability: f32,
    pub structure: f32,
    /// Predicted P(weak model fails, strong succeeds); 0 and unweighted when not predicted.
    pub difficulty: f32,
}

/// Size signal: saturating in the tokens of the request, where the last user turn counts
/// fully and older context (system prompt, history) a quarter — a long system prompt does not
/// make "hi" hard.
pub fn token_signal(f: &Features, scale: f32) -> f32 {
    let context = f.input_tokens.saturating_sub(f.last_user_tokens) as f32;
    let eff = f.last_user_tokens as f32 + 0.25 * context;
    eff / (eff + scale)
}

pub fn tool_signal(f: &Features) -> f32 {
    if f.tools == 0 && f.tool_calls == 0 {
        return 0.0;
    }
    (0.4 + 0.08 * f.tools as f32 + 0.1 * f.tool_calls as f32).min(1.0)
}

pub fn structure_signal(f: &Features) -> f32 {
    let s = 0.15 * f.code_blocks.min(4) as f32
        + 0.015 * f.code_lines.min(60) as f32
        + 0.03 * f.list_items.min(10) as f32
        + 0.1 * f.latex.min(5) as f32
        + 0.02 * f.math_symbols.min(20) as f32
        + 0.03 * f.table_rows.min(10) as f32
        + 0.1 * (f.questions.saturating_sub(1)).min(3) as f32
        + if f.turns > 6 { 0.1 } else { 0.0 }
        + if f.response_json { 0.1 } else { 0.0 };
    s.min(1.0)
}

/// Expected demand of the request under the classifier's distribution.
pub fn capability_signal(c: &Classification, rules: &[CapabilityRule; Capability::COUNT]) -> f32 {
    c.scores
        .iter()
        .zip(rules.iter())
        .map(|(p, r)| p * r.prior)
        .sum()
}

pub fn score(
    f: &Features,
    c: &Classification,
    user_tier: f32,
    rules: &[CapabilityRule; Capability::COUNT],
    s: &Scoring,
) -> (f32, Components) {
    let comp = Components {
        token_count: token_signal(f, s.token_scale),
        tool_usage: tool_signal(f),
        user_tier: user_tier.clamp(0.0, 1.0),
        capability: capability_signal(c, rules),
        structure: structure_signal(f),
        difficulty: c.difficulty.unwrap_or(0.0).clamp(0.0, 1.0),
    };
    let w = &s.weights;
    // Without a difficulty model the component drops out instead of pulling the score down.
    let w_diff = if c.difficulty.is_some() {
        w.difficulty
    } else {
        0.0
    };
    let total = w.token_count + w.tool_usage + w.user_tier + w.capability + w.structure + w_diff;
    let sum = w.token_count * comp.token_count
        + w.tool_usage * comp.tool_usage
        + w.user_tier * comp.user_tier
        + w.capability * comp.capability
        + w.structure * comp.structure
        + w_diff * comp.difficulty;
    ((100.0 * sum / total).clamp(0.0, 100.0), comp)
}

/// Tier for a score: the number of thresholds at or below it.
pub fn tier_for(score: f32, thresholds: &[f32]) -> u8 {
    thresholds.iter().take_while(|t| score >= **t).count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tiers_follow_thresholds() {
        let t = [12.0, 30.0, 55.0];
        assert_eq!(tier_for(0.0, &t), 0);
        assert_eq!(tier_for(11.9, &t), 0);
        assert_eq!(tier_for(12.0, &t), 1);
        assert_eq!(tier_for(54.0, &t), 2);
        assert_eq!(tier_for(100.0, &t), 3);
    }

    #[test]
    fn long_system_prompt_does_not_dominate() {
        let short = Features {
            input_tokens: 5,
            last_user_tokens: 5,
            ..Default::default()
        };
        let with_sys = Features {
            input_tokens: 2005,
            last_user_tokens: 5,
            ..Default::default()
        };
        let own = Features {
            input_tokens: 2005,
            last_user_tokens: 2000,
            ..Default::default()
        };
        assert!(token_signal(&with_sys, 1500.0) < token_signal(&own, 1500.0) / 2.0);
        assert!(token_signal(&short, 1500.0) < 0.01);
    }

    proptest! {
        #[test]
        fn signals_stay_in_unit_range(tokens in 0u32..10_000_000, last in 0u32..10_000_000, tools in 0u32..1000,
                                      calls in 0u32..1000, blocks in 0u32..1000, lines in 0u32..100000, q in 0u32..1000) {
            let f = Features { input_tokens: tokens, last_user_tokens: last, tools, tool_calls: calls,
                               code_blocks: blocks, code_lines: lines, questions: q, ..Default::default() };
            for v in [token_signal(&f, 1500.0), tool_signal(&f), structure_signal(&f)] {
                prop_assert!((0.0..=1.0).contains(&v));
            }
        }

        #[test]
        fn tier_is_monotone(a in 0.0f32..100.0, b in 0.0f32..100.0) {
            let t = [12.0, 30.0, 55.0];
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(tier_for(lo, &t) <= tier_for(hi, &t));
        }
    }
}
