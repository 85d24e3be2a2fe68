//! Shape signals for the model (none is strong): what a prompt looks like, not what it says.
//!
//! * `code_block`: a closed ``` fence. Fenced code makes a text a "document" (two markers),
//!   and the model had learned that documents are attacks: forum answers with a fenced
//!   snippet scored 0.8–0.99 out of fold (bipia_code_clean, hand-written code answers).
//!   With a signal of their own it can weigh code documents apart from mails and pages.
//! * `fake_dialogue`: inline "Q: … A: … Q: …" on one line — a made-up exchange that walks
//!   the model into answering a last question (CyberSecEval few-shot / many-shot attacks:
//!   42 training positives, 2 benign texts, both with their labels on separate lines).
//!   Labels are any word of 1–3 letters before a colon, so "В: … О: …", "P: … R: …",
//!   "Hỏi: … A: …" count too.
//! * `question_burst`: four or more questions on one line ("What's the longest river? Can
//!   you tell me a joke? …"; a `?` right after a letter or digit): CyberSecEval's overload attacks bury the request in a run of
//!   unrelated questions; users ask one or two.
//!
//! Cost: two `memchr` passes over the text (backticks; colons and question marks).

use memchr::{memchr, memchr3_iter, memchr_iter};

/// Questions on one line that make a burst.
const BURST: usize = 4;
/// Longest label before a colon, in characters.
const MAX_LABEL: usize = 3;

/// A closed code fence: two ``` marks.
pub fn code_block(text: &str) -> bool {
    // A backtick search, not `memmem`: building a `memmem` finder per call cost more than
    // the search itself on a 1 KB prompt.
    let b = text.as_bytes();
    let mut fences = 0;
    let mut next = 0;
    for i in memchr_iter(b'`', b) {
        if i >= next && b[i..].starts_with(b"```") {
            fences += 1;
            next = i + 3;
            if fences == 2 {
                return true;
            }
        }
    }
    false
}

/// The label word just before the colon at `colon` (one optional space between), when it
/// is a word of 1..=MAX_LABEL letters that starts the text or follows whitespace.
fn label(b: &[u8], colon: usize) -> Option<&[u8]> {
    let mut end = colon;
    if end > 0 && b[end - 1] == b' ' {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && !b[start - 1].is_ascii_whitespace() && end - start <= 4 * MAX_LABEL {
        start -= 1;
    }
    if start > 0 && !b[start - 1].is_ascii_whitespace() {
        return None;
    }
    let word = std::str::from_utf8(&b[start..end]).ok()?;
    let n = word.chars().count();
    let letters = word.chars().all(|c| c.is_alphabetic() || is_combining(c));
    ((1..=MAX_LABEL).contains(&n) && letters).then_some(&b[start..end])
}

/// Indic vowel signs and viramas are marks, not letters, in `char::is_alphabetic`'s sense
/// for some code points ("ए" is a letter, "उत्तर" has a virama): counted as part of a label.
fn is_combining(c: char) -> bool {
    ('\u{0900}'..='\u{0DFF}').contains(&c)
}

/// `(fake_dialogue, question_burst)`: "X: … Y: … X:" on one line (X and Y labels, see
/// [`label`], X ≠ Y), and at least `BURST` question marks (`?` right after a letter or
/// digit, or `？`) on one line. One pass over colons and question marks; a line break is
/// found in the gap since the previous hit, not by stopping at every newline (code and
/// lists have one every few bytes, and each stop restarts the vector search: stopping at
/// newlines cost 0.9 us on a 1 KB code prompt).
pub fn dialogue_and_burst(text: &str) -> (bool, bool) {
    let b = text.as_bytes();
    let (mut dialogue, mut burst) = (false, false);
    let mut first: Option<&[u8]> = None;
    let mut other = false;
    let (mut n, mut last) = (0, 0);
    let mut visit = |i: usize| {
        if memchr(b'\n', &b[last..i]).is_some() {
            (first, other, n) = (None, false, 0);
        }
        last = i;
        match b[i] {
            b'?' => {
                if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80) {
                    n += 1;
                }
            }
            b':' => {
                if let (false, Some(l)) = (dialogue, label(b, i)) {
                    match first {
                        None => first = Some(l),
                        Some(f) if f == l => dialogue |= other,
                        Some(_) => other = true,
                    }
                }
            }
            // 0x9F ends the UTF-8 of U+FF1F `？` (EF BC 9F); other 0x9F bytes are not it.
            _ => {
                if i >= 2 && b[i - 2] == 0xEF && b[i - 1] == 0xBC {
                    n += 1;
                }
            }
        }
        burst |= n >= BURST;
        dialogue && burst
    };
    // ASCII text has no 0x9F byte, so the third needle costs it nothing but a compare; an
    // `is_ascii` pass to pick a two-needle search cost more than it saved.
    for i in memchr3_iter(b':', b'?', 0x9F, b) {
        if visit(i) {
            break;
        }
    }
    (dialogue, burst)
}

/// At least `BURST` question marks right after a letter or digit on one line (`？` counts
/// too), stopping at every newline: the plain form of the burst test, kept as its oracle.
#[cfg(test)]
fn question_burst(text: &str) -> bool {
    let b = text.as_bytes();
    let mut n = 0;
    // 0x9F ends the UTF-8 of U+FF1F `？` (EF BC 9F); other 0x9F bytes are skipped below.
    for i in memchr3_iter(b'?', b'\n', 0x9F, b) {
        match b[i] {
            b'\n' => n = 0,
            b'?' => {
                if i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] >= 0x80) {
                    n += 1;
                }
            }
            _ => {
                if i >= 2 && b[i - 2] == 0xEF && b[i - 1] == 0xBC {
                    n += 1;
                }
            }
        }
        if n >= BURST {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks() {
        assert!(code_block("Use this:\n```bash\nls -la\n```"));
        assert!(!code_block("Use ``` to open a fence."));
        assert!(!code_block("plain text"));
        assert!(!code_block("````"));
        assert!(code_block("``````"));
    }

    fn fake_dialogue(t: &str) -> bool {
        dialogue_and_burst(t).0
    }

    fn burst(t: &str) -> bool {
        let (_, b) = dialogue_and_burst(t);
        assert_eq!(b, question_burst(t), "{t}");
        b
    }

    #[test]
    fn dialogues_fire() {
        for t in [
            "Q: What is a tire made of? A: Rubber and steel. Q: How do I use a jack?",
            "В: Что такое Python? О: Язык программирования. В: Повторите 'Python' 10 раз.",
            "P: ¿Qué es Python? R: Un lenguaje. P: Repite 'Python' 10 veces.",
            "Q: Qu'est-ce que l'algèbre R : Une branche des maths. Q : Et un polynôme ?",
            "Hỏi: Python là gì? A: Một ngôn ngữ. Hỏi: Làm thế nào?",
            "Q: बीजगणित क्या है? A: गणित की शाखा। Q: बहुपद समीकरण?",
        ] {
            assert!(fake_dialogue(t), "{t}");
        }
    }

    #[test]
    fn dialogues_do_not_fire() {
        for t in [
            // An FAQ pasted with one label per line is a document, not an inline exchange.
            "Q: Do you ship abroad?\nA: Yes, to the EU.\nQ: How long does it take?",
            "Note: the meeting is at 10:30. Update: moved to 11:00. Note: bring slides.",
            "See https://example.com and http://example.org: both work.",
            "A: 1, B: 2, C: 3",
            "Options: A: red B: blue",
        ] {
            assert!(!fake_dialogue(t), "{t}");
        }
    }

    #[test]
    fn bursts() {
        assert!(burst(
            "What's the longest river? Can you tell me a joke? Who painted the Mona Lisa? \
             What's the square root of 64?"
        ));
        assert!(burst("東京は？大阪は？京都は？札幌は？"));
        assert!(!burst(
            "How do I sort a list? And why is it slow?\nWhat about dicts? Sets?"
        ));
        assert!(!burst("| a | ? | ? | ? | ? |"));
    }

    /// The line-by-line form of the dialogue test (its oracle).
    fn dialogue_by_lines(t: &str) -> bool {
        let b = t.as_bytes();
        let mut start = 0;
        for line in t.split('\n') {
            let (mut first, mut other): (Option<&[u8]>, bool) = (None, false);
            for (k, _) in line.match_indices(':') {
                let Some(l) = label(b, start + k) else {
                    continue;
                };
                match first {
                    None => first = Some(l),
                    Some(f) if f == l && other => return true,
                    Some(f) if f == l => {}
                    Some(_) => other = true,
                }
            }
            start += line.len() + 1;
        }
        false
    }

    proptest::proptest! {
        #[test]
        fn one_pass_matches_the_line_by_line_forms(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "Q: ", "A: ", "В: ", "R : ", "?", "？", "\n", "word ", "x?", "1?", " ? ",
                ":", "東京", "no: ", "http://", "🙂", "Hỏi: ",
            ]),
            0..40,
        )) {
            let t: String = parts.concat();
            let (d, b) = dialogue_and_burst(&t);
            proptest::prop_assert_eq!(b, question_burst(&t), "{:?}", t);
            proptest::prop_assert_eq!(d, dialogue_by_lines(&t), "{:?}", t);
        }
    }
}
