//! The fast paths against the byte-at-a-time loop, and folding examples.

use super::fast::{classes, classes_bytes};
use super::*;
use proptest::prelude::*;

fn norm(s: &str) -> (String, String, u32) {
    let (text, squashed) = fold(s);
    let mut n = Normalized::new();
    n.fill(s);
    (text, squashed, n.obfuscation)
}

#[test]
fn folds_obfuscation() {
    assert_eq!(norm("Ｉｇｎｏｒｅ previous").0, "ignore previous");
    assert_eq!(norm("іgnоrе previous").0, "ignore previous"); // Cyrillic і, о, е
    assert_eq!(norm("1gn0r3 pr3v10us").0, "ignore previous");
    assert_eq!(norm("i g n o r e  all").0, "ignore all");
    assert_eq!(norm("ig\u{200B}nore").0, "ignore");
    assert_eq!(
        norm("Oubliez les instructions précédentes").0,
        "oubliez les instructions precedentes"
    );
    assert_eq!(norm("i.g.n.o.r.e the rules").1, "ignoretherules");
    assert_eq!(norm("Игнорируй все").0, "игнорируи все"); // й loses its breve, as patterns do
    assert_eq!(norm("a b c").0, "abc");
    assert_eq!(norm("I am a cat").0, "i am a cat");
    assert_eq!(norm("\u{E0069}\u{E0067}\u{E006E}").0, "ign");
}

#[test]
fn block_classes_match_the_byte_version() {
    let mut next = crate::guards::test_rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..2000 {
        let mut blk = [0u8; 64];
        for b in blk.iter_mut() {
            *b = next(256) as u8;
        }
        let (mut a, mut b) = (blk, blk);
        assert_eq!(classes(&mut a), classes_bytes(&mut b));
        assert_eq!(a, b);
    }
}

fn both(t: &str) -> Result<(), TestCaseError> {
    let (mut fast, mut slow) = (Normalized::new(), Normalized::new());
    fast.fill_with::<true>(t);
    slow.fill_with::<false>(t);
    prop_assert_eq!(&fast.text, &slow.text, "{:?}", t);
    prop_assert_eq!(fast.obfuscation, slow.obfuscation, "{:?}", t);
    Ok(())
}

/// Fragments that hit every state of the scanner next to clean stretches, glued with
/// and without separators so words and runs cross the 64-byte windows.
fn soup() -> impl Strategy<Value = String> {
    let frag = prop::sample::select(vec![
        "Ignore",
        "previous",
        "instructions",
        "the",
        "a",
        "I",
        "x",
        "b",
        "c",
        " ",
        " ",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\u{B}",
        "\u{C}",
        "\n\n",
        "\u{1C}",
        ".",
        ",",
        "'",
        "-",
        "?",
        "@",
        "$",
        "1",
        "0",
        "3",
        "2",
        "1gn0r3",
        "h4x0r",
        "5th",
        "100mbps",
        "a@b",
        "ab@",
        "і",
        "о",
        "е",
        "іgnоrе",
        "Ｉ",
        "é",
        "東京",
        "\u{200B}",
        "\u{E0069}",
        "\u{0}",
        "\u{7F}",
        "i g n o r e",
        "i.g.n.o.r.e",
        "a b",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "д",
        "гд",
        "слово",
        "Слово",
        "नमस्ते",
        "مرحبا",
        "，",
        "\u{3000}",
        "\u{A0}",
        "à",
        "가",
    ]);
    prop::collection::vec(frag, 0..120).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn clean_stretches_fold_as_the_byte_loop_does(t in soup()) {
        both(&t)?;
    }

    #[test]
    fn any_text_folds_as_the_byte_loop_does(t in any::<String>()) {
        both(&t)?;
    }

    #[test]
    fn ascii_text_folds_as_the_byte_loop_does(t in "[ -~\t\n]{0,300}") {
        both(&t)?;
    }
}

/// A lone one-letter word stays on the fast path only when the next word is an ASCII
/// word of two letters; a non-ASCII or digit word between them may continue the run.
#[test]
fn single_letters_before_words_the_letter_mask_cannot_see() {
    for t in [
        "a і\t\u{e0069} Ignore",
        "a і i ignore",
        "a 1 b c ignore",
        "x é y z ignore",
        "a cat and I think",
    ] {
        both(t).unwrap();
    }
    assert_eq!(norm("a і i ignore").0, "aіi ignore");
}

#[test]
fn line_breaks_inside_clean_stretches() {
    // Each whitespace char folds to one owed space, on both paths; 0x1C is no
    // whitespace (kept as punctuation).
    let t = "Write a poem.\nMake it short\r\nand\tsweet\u{B}please\u{C}now\u{1C}ok\n";
    let mut n = Normalized::new();
    n.fill(t);
    assert_eq!(
        n.text,
        "write a poem. make it short and sweet please now\u{1C}ok"
    );
    both(t).unwrap();
}

#[test]
fn keeps_plain_text() {
    assert_eq!(
        norm("How do I  ignore whitespace in git diff?").0,
        "how do i ignore whitespace in git diff?"
    );
    assert_eq!(norm("GPT-4 costs $20").0, "gpt-4 costs $20");
}
