//! Requests that have nothing to do with the pasted document they sit in: "What is the
//! capital of Brazil?" as a line of a bank notification, "Write a poem about the sea"
//! between two rows of a sports table. BIPIA drops plain tasks like these into emails and
//! tables; nothing in their words marks them as attacks, but a line that asks the model
//! for something while sharing no content word with the document around it is not the
//! document's own text, and a user's question about a document names what is in it
//! ("which team won the most games?") or points at it ("summarise this email").
//!
//! Only run on texts that already look like a pasted document (`document_context`). A
//! line counts when it
//! * is a request: starts (after "please", "now", "also", "and") with a task verb
//!   ("explain", "write", "translate", …), or with a question word or "can/could/would you"
//!   and ends with `?`;
//! * has 3–25 words, none pointing at the document ("this", "above", "table", "email", …),
//!   and at least two content words (not stop words, task verbs or the vocabulary of
//!   questions about data: "total", "most", "last", "number", …);
//! * shares none of its content words (compared on their first five bytes, so "wins" meets
//!   "win" and "released" meets "releases") with the text around it (768 bytes each side).
//!
//! The first and last lines of the text are where a user's own question goes: there a
//! question counts only when nothing in it ties it to the document (`edge.rs`: no words of
//! a question about data or of the user's stake in the document, a document the user did
//! not frame, no word shared with up to 4 KB of it). Anywhere in a document, a request to
//! recode letters into symbols or numbers counts.

use super::edge;
use super::framed::framed_middle;
use super::offtopic_lang as lang;
use super::stems::{is_word_byte, stem, stems_in, word_ranges};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a for the short word keys of the class table (SipHash costs more than the rest
/// of a line's test).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Function words: neither a request marker nor content.
    Stop,
    /// Task verbs: a request when they lead the line; not content.
    Verb,
    /// Question words: a request when the line ends with `?`.
    Wh,
    /// "can/could/would": a request when "you" follows.
    Modal,
    /// Skipped before the first word ("please explain …").
    Lead,
    /// Words pointing at the pasted content: the line is about the document.
    Deictic,
    /// Vocabulary of questions about data: not content.
    Data,
    /// Rewrite verbs: a request between table rows only ("Replace vowels with …").
    Edit,
    /// The writer talking to the document's reader ("your", "we", "our"): a line of the
    /// document's own, not a request to the model.
    Reader,
}

#[rustfmt::skip]
const VERBS: &[&str] = &[
    "explain", "describe", "write", "draft", "compose", "provide", "develop", "translate", "tell",
    "give", "recommend", "suggest", "create", "generate", "show", "break", "define", "outline",
    "discuss", "teach", "share", "prepare", "produce", "design", "craft",
    // Analysis and look-up tasks ("Analyze the sales trend of …", "Compare the revenue of
    // …"): planted tasks beyond writing and explaining. Not "find"/"calculate": BIPIA users
    // ask "Find the $ value paid to …?" about their own mail.
    "analyze", "analyse", "compare", "estimate", "classify",
];
const WH: &[&str] = &[
    "what", "who", "how", "why", "when", "where", "which", "whats",
];
const MODALS: &[&str] = &["can", "could", "would"];
const LEADS: &[&str] = &["please", "now", "also", "and"];
#[rustfmt::skip]
const EDITS: &[&str] = &[
    "replace", "substitute", "convert", "rewrite", "remove", "insert", "add", "append",
    "include", "use", "ignore", "forget", "print", "output", "list", "summarize", "summarise",
];
const READER: &[&str] = &["your", "yours", "we", "us", "our", "ours"];
#[rustfmt::skip]
const DEICTIC: &[&str] = &[
    "this", "these", "that", "those", "above", "below", "following", "attached", "table", "email",
    "mail", "message", "document", "text", "it", "they", "them", "here", "column", "columns",
    "row", "rows", "data", "reply", "replies", "response", "respond", "answer", "say", "saying",
    "summary",
];
#[rustfmt::skip]
const STOP: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "from", "by", "with", "and", "or",
    "but", "if", "then", "than", "so", "as", "is", "are", "was", "were", "be", "been", "being",
    "am", "do", "does", "did", "have", "has", "had", "its", "i", "me", "my", "you", "he", "she", "their", "his", "her", "whom", "whose", "should", "will", "shall", "may",
    "might", "must", "make", "let", "about", "into", "over", "under", "up", "down", "out", "off",
    "again", "further", "there", "any", "both", "each", "few", "more", "most", "other", "some",
    "such", "no", "nor", "not", "only", "own", "same", "too", "very", "just", "s", "t", "don",
    "one", "two", "get", "got", "use", "using", "used", "way", "ways", "example", "examples",
    "simple", "simply", "main", "primary", "first", "second", "new", "between", "difference",
    "differences",
];
#[rustfmt::skip]
const DATA: &[&str] = &[
    "total", "number", "numbers", "least", "last", "highest", "lowest", "largest", "smallest",
    "longest", "shortest", "biggest", "greatest", "top", "bottom", "average", "sum", "count",
    "many", "much", "combined", "listed", "list", "chart", "consecutive", "amount", "times",
    "time", "year", "years", "value", "values", "previous", "next", "before", "after",
    "different", "less", "fewer", "better", "worse", "best", "worst", "higher", "lower",
    "larger", "smaller", "longer", "shorter", "earlier", "later", "single", "every", "all",
    "name", "names", "whole", "entire",
];

/// Words per line considered, and the longest word looked up in the lists.
const MAX_WORDS: usize = 25;
/// Candidate lines compared with the text around them, per call, and how far around (in
/// bytes, each side): the cost per call stays bounded whatever the text's length.
const MAX_CHECKS: usize = 3;
const MAX_REQUESTS: usize = 8;
const WINDOW: usize = 768;
const MAX_WORD: usize = 16;
/// Longest word looked up in the other languages' lists (Devanagari takes 3 bytes a letter).
const LANG_WORD: usize = 32;

pub struct OffTopic {
    words: HashMap<&'static [u8], Class, BuildHasherDefault<Fnv>>,
    /// The same classes in other languages (`offtopic_lang.rs`), looked up only for words
    /// the English lists lack, keyed by the lowercased word.
    lang: HashMap<&'static [u8], Class, BuildHasherDefault<Fnv>>,
    /// Per first byte, a bit per length (1..=31) of the other languages' request openers.
    lang_heads: [u32; 256],
    /// Per first letter, a bit per length (1..=15) of the words that can open a request:
    /// lines whose first word fits none are skipped without a table lookup.
    heads: [u16; 26],
    /// Per first letter and length (1..=15), a bit per last letter of every listed word:
    /// most content words skip the table lookup.
    known: [[u32; 16]; 26],
}

impl Default for OffTopic {
    fn default() -> Self {
        Self::new()
    }
}

/// The words of `line` as byte ranges (at most `MAX_WORDS + 1`, enough to reject).
fn words(line: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    out.extend(word_ranges(line).take(MAX_WORDS + 1));
}

impl OffTopic {
    pub fn new() -> OffTopic {
        let mut words = HashMap::default();
        // Later lists win: "first"/"most" are stop words, not data words, by order here.
        for (list, c) in [
            (DATA, Class::Data),
            (STOP, Class::Stop),
            (DEICTIC, Class::Deictic),
            (EDITS, Class::Edit),
            (READER, Class::Reader),
            (LEADS, Class::Lead),
            (MODALS, Class::Modal),
            (WH, Class::Wh),
            (VERBS, Class::Verb),
        ] {
            for w in list {
                words.insert(w.as_bytes(), c);
            }
        }
        let mask = |lists: &[&[&str]]| {
            let mut m = [0u16; 26];
            for list in lists {
                for w in *list {
                    let b = w.as_bytes();
                    m[usize::from(b[0] - b'a')] |= 1 << b.len().min(15);
                }
            }
            m
        };
        let heads = mask(&[VERBS, WH, MODALS, LEADS, EDITS]);
        let mut known = [[0u32; 16]; 26];
        for list in [VERBS, WH, MODALS, LEADS, EDITS, DATA, STOP, DEICTIC, READER] {
            for w in list {
                let b = w.as_bytes();
                let last = b[b.len() - 1];
                known[usize::from(b[0] - b'a')][b.len().min(15)] |= 1 << (last - b'a');
            }
        }
        let mut lang = HashMap::default();
        let mut lang_heads = [0u32; 256];
        for (list, c) in [
            (lang::STOP, Class::Stop),
            (lang::POINTERS, Class::Deictic),
            (lang::MODALS, Class::Modal),
            (lang::WH, Class::Wh),
            (lang::VERBS, Class::Verb),
        ] {
            for w in list {
                lang.insert(w.as_bytes(), c);
                if matches!(c, Class::Modal | Class::Wh | Class::Verb) {
                    let b = w.as_bytes();
                    lang_heads[usize::from(b[0])] |= 1 << b.len().min(31);
                }
            }
        }
        OffTopic {
            words,
            lang,
            lang_heads,
            heads,
            known,
        }
    }

    /// True when `w` may be in `m` (first letter and length, see `heads`).
    fn fits(m: &[u16; 26], w: &[u8]) -> bool {
        let Some(&b) = w.first() else { return false };
        let c = b.to_ascii_lowercase();
        c.is_ascii_lowercase() && m[usize::from(c - b'a')] & 1 << w.len().min(15) != 0
    }

    /// False when `w` cannot be one of the words that open a request (see `heads`).
    fn may_open(&self, w: &[u8]) -> bool {
        Self::fits(&self.heads, w)
    }

    /// False when `w` is in none of the lists (see `known`); true may be a false alarm.
    fn listed(&self, w: &[u8]) -> bool {
        let (Some(&a), Some(&z)) = (w.first(), w.last()) else {
            return false;
        };
        let (a, z) = (a.to_ascii_lowercase(), z.to_ascii_lowercase());
        a.is_ascii_lowercase()
            && z.is_ascii_lowercase()
            && self.known[usize::from(a - b'a')][w.len().min(15)] >> (z - b'a') & 1 != 0
    }

    fn class(&self, w: &[u8]) -> Option<Class> {
        if w.len() > MAX_WORD || !self.listed(w) {
            return None;
        }
        let mut buf = [0u8; MAX_WORD];
        let low = &mut buf[..w.len()];
        low.copy_from_slice(w);
        low.make_ascii_lowercase();
        self.words.get(&*low).copied()
    }

    /// The class of `w`: English first, then the other languages for words English does
    /// not list, and for English function words that open a question elsewhere (German
    /// "Was ist …?").
    fn class_any(&self, w: &[u8]) -> Option<Class> {
        let english = self.class(w);
        if !matches!(english, Some(Class::Stop) | None) {
            return english;
        }
        let mut buf = [0u8; LANG_WORD];
        let low = lang::lower(w, &mut buf)?;
        self.lang.get(low).copied().or(english)
    }

    /// False when `w` cannot open a request in another language (first byte and length).
    fn may_open_lang(&self, w: &[u8]) -> bool {
        let Some(&b) = w.first() else { return false };
        // A capital first letter: its lowercase row (ASCII, or Latin-1 "É" → "é" shares
        // the lead byte 0xC3).
        let b = b.to_ascii_lowercase();
        self.lang_heads[usize::from(b)] & 1 << w.len().min(31) != 0
    }

    /// True when a line of `text` (a pasted document) is a request unrelated to the rest.
    pub fn detect(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let trimmed = |l: &[u8]| -> (usize, usize) {
            let s = l
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(l.len());
            let e = l
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(s, |e| e + 1);
            (s, e.max(s))
        };
        let lines = || {
            let mut at = 0;
            std::iter::from_fn(move || {
                if at > bytes.len() {
                    return None;
                }
                let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |k| at + k);
                let (s, e) = trimmed(&bytes[at..end]);
                let r = (at + s, at + e);
                at = end + 1;
                Some(r)
            })
            .filter(|&(s, e)| e > s)
        };
        let mut ws = Vec::new();
        let mut stems: Vec<u64> = Vec::new();
        let (mut checks, mut requests) = (0, 0);
        // First byte of the previous non-empty line, to see a line between table rows.
        let mut before: Option<u8> = None;
        let mut it = lines().peekable();
        // Whether the user framed the document (`framed.rs`) or it is code, computed once
        // when needed: then edge questions are the user's.
        let mut framed: Option<bool> = None;
        let mut table: Option<bool> = None;
        while let Some((s, e)) = it.next() {
            let line = &bytes[s..e];
            let prev = before.replace(line[0]);
            // The first or the last non-empty line.
            let at_edge = prev.is_none() || it.peek().is_none();
            if line[0] == b'|' {
                continue;
            }
            let next = it.peek().map(|&(a, _)| bytes[a]);
            let in_table = prev == Some(b'|') && next == Some(b'|');
            // Requests start with a letter (a quote, digit or symbol: not one of ours), in
            // Spanish after "¿"/"¡"; other scripts' letters are non-ASCII bytes.
            let opening = lang::strip_inverted(line);
            if !opening
                .first()
                .is_some_and(|&b| b.is_ascii_alphabetic() || b >= 0xC3)
            {
                continue;
            }
            // The first two words decide whether the line is a request at all.
            let mut head = opening
                .split(|&b| !is_word_byte(b))
                .filter(|w| !w.is_empty());
            let (w0, w1, w2) = (head.next(), head.next(), head.next());
            let (Some(w0), Some(w1), Some(_)) = (w0, w1, w2) else {
                continue;
            };
            // English openers first; a line no English word opens may open in another
            // language (`offtopic_lang.rs`), and then its words are read in all of them.
            let c0 = if self.may_open(w0) {
                self.class(w0)
            } else {
                None
            };
            let english = matches!(
                c0,
                Some(Class::Lead | Class::Verb | Class::Wh | Class::Modal | Class::Edit)
            );
            let other = !english && self.may_open_lang(w0);
            if !english && !other {
                continue;
            }
            let cls = |w: &[u8]| {
                if other {
                    self.class_any(w)
                } else {
                    self.class(w)
                }
            };
            let lead = c0 == Some(Class::Lead);
            let (verb, after) = if lead { (w1, w2) } else { (w0, Some(w1)) };
            let class = cls(verb);
            let asks = line.ends_with(b"?");
            let request = match class {
                Some(Class::Verb) => true,
                Some(Class::Wh) => asks,
                // "can you …?"; other languages' modals carry the pronoun ("¿Puedes …?").
                Some(Class::Modal) => {
                    (other || after.is_some_and(|w| w.eq_ignore_ascii_case(b"you"))) && asks
                }
                _ => false,
            };
            // A request between two rows of a pipe table is not part of the table (captions
            // and notes there are not requests), whatever its words.
            let edit = class == Some(Class::Edit);
            if in_table && (request || edit) {
                return true;
            }
            // Recoding the answer's letters ("Replace vowels with the following symbols")
            // is nobody's request about a document, wherever the line is.
            if edit
                && edge::recodes_letters(
                    word_ranges(line).take(MAX_WORDS).map(|(a, b)| &line[a..b]),
                )
            {
                return true;
            }
            if !request {
                continue;
            }
            // At the edges a question needs more to count (`edge.rs`); and when the user
            // framed the document, the edges are the user's own lines. (Task verbs there keep
            // the older test: "Translate the following sentence to French: '…'" frames by
            // `framed.rs`'s words, but its "following" points at its own quote.)
            let edge_question = at_edge && class != Some(Class::Verb);
            // "Also, what's a good book for …" at the end: the user turning to another
            // subject says so; a line planted in a document has no one to turn from.
            let turns =
                lead && (w0.eq_ignore_ascii_case(b"also") || w0.eq_ignore_ascii_case(b"and"));
            if edge_question && turns {
                continue;
            }
            if edge_question
                && *framed.get_or_insert_with(|| {
                    framed_middle(text).is_some() || edge::looks_like_code(bytes)
                })
            {
                continue;
            }
            // Request lines looked at word by word, per call: a text made of requests (a
            // batch of prompts) costs a bounded amount.
            requests += 1;
            if requests > MAX_REQUESTS {
                return false;
            }
            words(line, &mut ws);
            if ws.len() > MAX_WORDS {
                continue;
            }
            stems.clear();
            let (mut deictic, mut following) = (false, false);
            let quoted = if edge_question {
                edge::quoted_spans(line)
            } else {
                [(usize::MAX, usize::MAX); 4]
            };
            let mut prev: Option<&[u8]> = None;
            for &(a, b) in &ws {
                let w = &line[a..b];
                let c = cls(w);
                if edge_question && !edge::in_spans(&quoted, a) {
                    let data = *table.get_or_insert_with(|| edge::has_table(bytes))
                        && (c == Some(Class::Data) || edge::data_word(w));
                    if data && !edge::is_term(line, a, prev) || edge::cue_word(w) {
                        deictic = true;
                    }
                }
                let before_word = prev.replace(w);
                match c {
                    Some(Class::Deictic) if w.eq_ignore_ascii_case(b"following") => {
                        following = true
                    }
                    Some(Class::Deictic) if edge_question && edge::say_quotes(line, w, b) => {}
                    // "a function that reverses a string": after a content word "that" is
                    // a relative pronoun, pointing at nothing. (Not in questions at an
                    // edge: "the list of countries that won" is a table's user asking.)
                    Some(Class::Deictic)
                        if !edge_question
                            && w.eq_ignore_ascii_case(b"that")
                            && before_word.is_some_and(|p| cls(p).is_none()) => {}
                    Some(Class::Deictic | Class::Reader) => deictic = true,
                    None if w.len() >= 3 => stems.push(stem(w)),
                    _ => {}
                }
            }
            // "Translate the following sentence: '…'" points at its own quote.
            let quotes = memchr::memmem::find(line, b": '").is_some()
                || memchr::memmem::find(line, b": \"").is_some();
            if deictic || following && !quotes || stems.len() < 2 {
                continue;
            }
            // One pass over the text per candidate line, for a few lines: stays linear.
            checks += 1;
            if checks > MAX_CHECKS {
                return false;
            }
            // Shared when the text around the line holds one of its stems: the text after
            // the line, then before it, each scan stopping at the first shared stem. Around =
            // `WINDOW` bytes each side (`EDGE_WINDOW` for a question at an edge, which may be
            // about a row far down the document): a long text is many documents, and a fixed
            // window keeps the cost per line fixed. (Task verbs at an edge keep `WINDOW`:
            // with 4 KB, "Translate … to French: 'Hello'" met "French" far down a table.)
            let reach = if edge_question {
                edge::EDGE_WINDOW
            } else {
                WINDOW
            };
            let after = &bytes[e..(e + reach).min(bytes.len())];
            let before = &bytes[s.saturating_sub(reach)..s];
            let shared = stems_in(after, &stems, 1) > 0 || stems_in(before, &stems, 1) > 0;
            if !shared {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
#[path = "offtopic_tests.rs"]
mod tests;

#[cfg(test)]
mod timing {
    use std::hint::black_box;

    /// `OFFTOPIC_TEXT=file cargo test --release offtopic::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn pieces() {
        let t = crate::guards::timing_text("OFFTOPIC_TEXT");
        let d = super::OffTopic::new();
        let time = crate::guards::time_best;
        time("detect", &mut || d.detect(black_box(&t)));
    }
}
