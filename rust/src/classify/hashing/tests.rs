//! Unit tests of the hashed features.

use super::turn::sentence_break;
use super::*;
use crate::features::extract;
use crate::request::Message;
use proptest::prelude::*;

fn vec_of(text: &str) -> Vec<(u32, f32)> {
    let req = Request::from_text(text);
    sparse(&req, &extract(&req))
}

/// The byte-pair scan `sentence_break` replaced.
fn sentence_break_oracle(body: &[u8]) -> Option<usize> {
    body.windows(2)
        .rposition(|w| (matches!(w[0], b'.' | b'?' | b'!') && w[1] == b' ') || w[0] == b'\n')
        .map(|i| i + 1)
}

#[test]
fn ascii_case_and_digits_fold() {
    assert_eq!(vec_of("Hello World 42"), vec_of("hello world 17"));
    assert_ne!(vec_of("hello world"), vec_of("world hello"));
}

#[test]
fn cjk_gets_character_ngrams() {
    let v = vec_of("请把这句话翻译成英文");
    // 10 characters: 10 unigrams + 9 bigrams + head/tail tags.
    assert!(v.len() >= 19, "{}", v.len());
}

#[test]
fn long_turn_is_bounded() {
    let doc = format!("Summarize:\n\n{}\n\nin one line", "word ".repeat(200_000));
    let req = Request::from_text(&doc);
    let mut c = Collect::default();
    visit(&req, &extract(&req), &mut c);
    assert!(c.items.len() < 2000, "{}", c.items.len());
    let middle = c.items.iter().filter(|p| p.0 == MIDDLE).count();
    assert!(middle > 0);
}

#[test]
fn earlier_turns_are_context() {
    let req = Request {
        messages: vec![
            Message::new(Role::System, "You are terse."),
            Message::user("write a poem"),
            Message::new(Role::Assistant, "roses are red"),
            Message::user("now shorter"),
        ],
        ..Default::default()
    };
    let mut c = Collect::default();
    visit(&req, &extract(&req), &mut c);
    assert!(c.items.iter().any(|p| p.0 == CONTEXT));
    assert!(c.items.iter().any(|p| p.0 == INSTRUCTION));
}

proptest! {
    #[test]
    fn sentence_break_matches_oracle(s in "[a-c .?!\n]{0,40}") {
        prop_assert_eq!(sentence_break(s.as_bytes()), sentence_break_oracle(s.as_bytes()));
    }

    #[test]
    fn never_panics_and_is_deterministic(s in "\\PC{0,3000}") {
        let a = vec_of(&s);
        let b = vec_of(&s);
        prop_assert_eq!(&a, &b);
        for (i, v) in &a {
            prop_assert!((*i as usize) < N_BUCKETS + N_DENSE);
            prop_assert!(v.is_finite());
        }
    }

    #[test]
    fn long_unicode_never_panics(s in "[a-zé中\\n ]{0,40}", n in 0usize..400) {
        let text = s.repeat(n);
        let _ = vec_of(&text);
    }
}
