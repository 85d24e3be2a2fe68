//! Unit tests of the text statistics.

use super::*;

#[test]
fn counts_words_digits_and_punct() {
    let s = TextStats::of("Hello, world! 12345 fooBar");
    assert_eq!(s.c[idx::W_3_5], 2);
    assert_eq!(s.c[idx::W_6_8], 1);
    assert_eq!(s.c[idx::CAMEL], 1);
    assert_eq!(s.c[idx::DIGIT_GROUPS], 2);
    assert_eq!(s.c[idx::PUNCT], 2);
    assert_eq!(s.chars, 26);
}

#[test]
fn detects_scripts() {
    assert_eq!(
        TextStats::of("what is the capital of france").script(),
        Script::Latin
    );
    assert_eq!(TextStats::of("请把这段话翻译成英文").script(), Script::Han);
    assert_eq!(
        TextStats::of("これは日本語の文章です").script(),
        Script::Japanese
    );
    assert_eq!(
        TextStats::of("안녕하세요 반갑습니다").script(),
        Script::Hangul
    );
    assert_eq!(
        TextStats::of("Привет, как дела?").script(),
        Script::Cyrillic
    );
    assert_eq!(TextStats::of("नमस्ते आप कैसे हैं").script(), Script::Devanagari);
    assert_eq!(TextStats::of("مرحبا كيف حالك").script(), Script::Arabic);
    assert_eq!(TextStats::of("1234 !!").script(), Script::Unknown);
}

proptest::proptest! {
    #[test]
    fn blocks_match_byte_loop(s in "[ -~\\t\\n\\ré中😀]{0,300}") {
        let mut r = TextStats::default();
        reference::add(&mut r, &s);
        proptest::prop_assert_eq!(TextStats::of(&s), r);
    }

    #[test]
    fn blocks_match_byte_loop_runs(s in "(a{1,70}|Z{1,3}|[0-9]{1,70}| {1,70}|\\n{1,70}|[.:;_]{1,70}|é|\\x01){0,40}") {
        let mut r = TextStats::default();
        reference::add(&mut r, &s);
        proptest::prop_assert_eq!(TextStats::of(&s), r);
    }
}

#[test]
fn chars_count_code_points() {
    assert_eq!(TextStats::of("héllo 世界 🎉").chars, 10);
}
