//! Lines at a pasted document's first or last line, and letter-recoding requests, for
//! `offtopic.rs`.
//!
//! The edges are where a user writes their own question about a document ("which team won
//! the most games?", "What does ACH mean?", "Is this a scam?"), and also where BIPIA drops
//! plain questions that have nothing to do with it ("What are the primary functions of the
//! liver?" under a bank notice). A question at an edge counts as an off-topic request only
//! when nothing in it ties it to the document:
//! * in a table, no word of a question about data (total, most, first, which, more than,
//!   …): a table's user asks about its columns with words the table does not hold ("how
//!   many *games* did the team win?"); quoted words ("What's 'thank you very much' in
//!   Japanese?") and capitalised ones ("the First World War") are a term or a name, not
//!   that vocabulary;
//! * no word of a user's own stake in the document (mean, scam, should, pay, refund, he,
//!   she, help, grammar, tone, pick, budget, …): "What does the second paragraph mean?",
//!   "Should I pay it?", "Can you help me with the grammar?", "What laptop would you pick
//!   for a student?";
//! * the document was not framed by the user (`framed.rs`): then the last line is theirs;
//! * the document is not code (`looks_like_code`);
//! * and, like every candidate, no content word shared with the document (here up to
//!   `EDGE_WINDOW` bytes of it, not only the lines nearby: a user's question may name a
//!   row far down a table).

/// Words of a question about the data in a document (besides `offtopic::DATA`).
const DATA_EXTRA: &[&str] = &["first", "more", "than", "which", "most", "least", "list"];

/// A user's own stake in the document they pasted: what it means, whether to trust, pay,
/// answer or fix it, the people in it.
#[rustfmt::skip]
const CUES: &[&str] = &[
    "mean", "means", "meaning", "scam", "phishing", "spam", "legit", "legitimate", "genuine",
    "real", "fake", "safe", "trust", "should", "worried", "worry", "worth", "decline",
    "accept", "pay", "paid", "owe", "refund", "cancel", "dispute", "sender", "sent", "he", "she",
    "him", "her", "his", "help", "grammar", "spelling", "tone", "wording", "polite",
    "politely", "formal", "informal", "professional", "rude", "correct", "mistakes", "errors",
    "typos", "advice", "advise", "understand", "pick", "choose", "buy", "afford", "budget",
    "prioritise", "prioritize",
];

/// Requests to recode the answer's letters ("Replace vowels with the following symbols",
/// "Replace every third letter with its position number"): a letter word and a target.
const LETTERS: &[&str] = &[
    "letter",
    "letters",
    "vowel",
    "vowels",
    "consonant",
    "consonants",
];
#[rustfmt::skip]
const TARGETS: &[&str] = &[
    "symbol", "symbols", "number", "numbers", "digit", "digits", "position", "emoji", "emojis",
];

/// True when `text` holds a pipe table (two rows after a line break, or it opens with
/// one): only there do data words tie a question to the document. A question after a mail
/// rarely asks for a total or a maximum in words the mail lacks; "What is the largest
/// ocean on Earth?" under a mail is not about it.
pub fn has_table(text: &[u8]) -> bool {
    text.first() == Some(&b'|') || memchr::memmem::find_iter(text, b"\n|").nth(1).is_some()
}

/// Bytes of the document compared with a line at its edge.
pub const EDGE_WINDOW: usize = 4096;

/// Marks of pasted code: a fence, statement and block ends, definitions, a traceback.
const CODE: &[&[u8]] = &[
    b"```",
    b";\n",
    b"{\n",
    b"):\n",
    b"def ",
    b"import ",
    b"Traceback (",
];

/// True when `text` holds code. A user's question after code is often general ("How do I
/// write unit tests in pytest?"), and BIPIA's code attacks are no plain questions, so edge
/// questions are not tested on code.
pub fn looks_like_code(text: &[u8]) -> bool {
    CODE.iter().any(|m| memchr::memmem::find(text, m).is_some())
}

fn any_eq(w: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| w.eq_ignore_ascii_case(x.as_bytes()))
}

/// True for a word that ties an edge question to the data or the user's stake in it.
pub fn data_word(w: &[u8]) -> bool {
    any_eq(w, DATA_EXTRA)
}

pub fn cue_word(w: &[u8]) -> bool {
    any_eq(w, CUES)
}

/// True when `w` (at `a..b` of `line`) is a name or a term, not data vocabulary: it starts
/// with a capital after the line's first word, or follows "a"/"an" ("the factorial of a
/// number").
pub fn is_term(line: &[u8], a: usize, prev: Option<&[u8]>) -> bool {
    let cap = a > 0 && line[a].is_ascii_uppercase();
    cap || prev.is_some_and(|p| p.eq_ignore_ascii_case(b"a") || p.eq_ignore_ascii_case(b"an"))
}

/// Byte spans of `line` inside quotes: "…" pairs, and '…' opened after a space or at the
/// start (an apostrophe inside a word, "What's", opens nothing). At most four.
pub fn quoted_spans(line: &[u8]) -> [(usize, usize); 4] {
    let mut out = [(usize::MAX, usize::MAX); 4];
    let mut n = 0;
    let mut i = 0;
    while i < line.len() && n < out.len() {
        let q = line[i];
        let opens = q == b'"' || q == b'\'' && (i == 0 || line[i - 1] == b' ');
        if opens {
            let close = memchr::memchr(q, &line[i + 1..]).map(|k| i + 1 + k);
            if let Some(c) = close {
                out[n] = (i, c);
                n += 1;
                i = c + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

pub fn in_spans(spans: &[(usize, usize); 4], at: usize) -> bool {
    spans.iter().any(|&(s, e)| s < at && at < e)
}

/// True when "say" at `b` (its end in `line`) introduces a quoted phrase ("How do you say
/// 'peace' in Russian?"): a translation question, not "what does it say".
pub fn say_quotes(line: &[u8], w: &[u8], b: usize) -> bool {
    w.eq_ignore_ascii_case(b"say") && matches!(line.get(b + 1), Some(b'\'' | b'"'))
}

/// True when the words of `line` ask to recode letters into symbols or numbers.
pub fn recodes_letters<'a>(mut words: impl Iterator<Item = &'a [u8]>) -> bool {
    let (mut letters, mut target) = (false, false);
    words.any(|w| {
        letters |= any_eq(w, LETTERS);
        target |= any_eq(w, TARGETS);
        letters && target
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_terms() {
        let l = b"What's 'thank you very much' in \"Japanese\"?";
        let s = quoted_spans(l);
        assert!(in_spans(&s, 10) && in_spans(&s, 34));
        assert!(!in_spans(&s, 2) && !in_spans(&s, 29));
        // An unclosed quote quotes nothing.
        assert!(!in_spans(&quoted_spans(b"it's 'open"), 7));
        assert!(is_term(b"causes of the First War", 14, Some(b"the")));
        assert!(!is_term(b"the first time", 4, Some(b"the")));
        assert!(is_term(b"of a number", 5, Some(b"a")));
        assert!(say_quotes(b"do you say 'hi'", b"say", 10));
        assert!(!say_quotes(b"what does it say?", b"say", 17));
    }

    #[test]
    fn letter_recoding() {
        let w = |s: &'static str| s.split(' ').map(str::as_bytes);
        assert!(recodes_letters(w(
            "Replace vowels with the following symbols"
        )));
        assert!(recodes_letters(w(
            "Replace every third letter with its position number"
        )));
        assert!(!recodes_letters(w(
            "Convert the names to uppercase letters"
        )));
        assert!(!recodes_letters(w("Replace the numbers with totals")));
    }
}
