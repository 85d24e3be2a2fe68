//! Token estimation without a tokenizer: a linear model over the counters of `TextStats`.
//!
//! The coefficients were fitted against `o200k_base` counts on the prompts of `../shared/data`
//! plus multilingual and code samples (`training/fit_tokens.py` re-fits them and reports the error;
//! the figures are in the README). A real BPE pass would cost ~50x more and would tie the router
//! to one vendor's vocabulary; routing needs the estimate to be right to a few percent, not exact.

use crate::text_stats::{idx, TextStats};

/// Tokens per counter unit, index-aligned with `text_stats::idx`.
pub const COEF: [f32; idx::N] = [
    0.9033, // W_1_2
    1.0068, // W_3_5
    1.1571, // W_6_8
    1.4032, // W_9_12
    0.1751, // W_LONG_CHARS (per letter)
    0.8273, // CAMEL
    1.6208, // DIGIT_GROUPS
    0.1081, // PUNCT
    0.7380, // PUNCT_RUNS
    0.2426, // NEWLINE_RUNS
    1.1875, // SPACE_RUNS
    0.3415, // LATIN_EXT
    0.2694, // CYRILLIC
    0.6122, // GREEK
    0.3430, // ARABIC_HEBREW
    0.3552, // INDIC
    0.4341, // THAI
    0.7039, // HAN
    0.7262, // KANA
    0.7381, // HANGUL
    1.4414, // OTHER
    0.0849, // NONLATIN_WORDS
];

/// Chat-format overhead per message (role markers, separators), as OpenAI documents it.
pub const PER_MESSAGE: f32 = 4.0;
/// Tokens per character of tool-schema text (JSON keys and short words).
pub const PER_TOOL_SCHEMA_CHAR: f32 = 0.3;
/// Tokens charged for one image/audio part at low detail.
pub const PER_MEDIA_PART: f32 = 85.0;

/// Estimated `o200k_base` tokens of the counted text.
#[inline]
pub fn estimate(stats: &TextStats) -> f32 {
    let mut t = 0.0f32;
    for (c, k) in stats.c.iter().zip(COEF.iter()) {
        t += *c as f32 * k;
    }
    if stats.chars > 0 {
        t.max(1.0)
    } else {
        0.0
    }
}

/// Estimate for a plain string.
pub fn estimate_text(text: &str) -> u32 {
    estimate(&TextStats::of(text)).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_english_is_about_one_token_per_word() {
        let n = estimate_text("What is the capital of France?");
        assert!((6..=8).contains(&n), "{n}");
    }

    #[test]
    fn empty_is_zero_and_nonempty_at_least_one() {
        assert_eq!(estimate_text(""), 0);
        assert!(estimate_text("a") >= 1);
    }

    #[test]
    fn cjk_counts_per_character() {
        let n = estimate_text("请把这段话翻译成英文并保持原意");
        assert!((8..=16).contains(&n), "{n}");
    }
}
