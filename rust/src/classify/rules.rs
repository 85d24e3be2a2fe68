//! The first capability model: weighted cue phrases plus structural priors.
//!
//! Where a cue sits matters: instructions live at the start and, for pasted documents, at the
//! end of the last user turn, so cues there weigh more than cues inside the pasted middle, and
//! earlier turns count only a little. Scanning is bounded (head + tail of long turns), so the
//! cost stays flat for long prompts.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::keywords::{Bound, CUES};
use super::{argmax, floor_char, normalize, CapabilityModel, Classification};
use crate::capability::Capability;
use crate::features::Features;
use crate::request::{Request, Role};

/// Bytes of a turn's start and end that are scanned (and weighted) as instruction zones.
const HEAD: usize = 320;
const TAIL: usize = 480;
/// A long turn's middle is sampled up to this many bytes.
const MIDDLE_MAX: usize = 4096;

pub struct KeywordClassifier {
    ac: AhoCorasick,
    /// Per pattern id: (class, weight, bound).
    meta: Vec<(Capability, f32, Bound)>,
}

impl Default for KeywordClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl KeywordClassifier {
    pub fn new() -> Self {
        let mut pats: Vec<String> = Vec::with_capacity(CUES.len() * 2);
        let mut meta = Vec::with_capacity(CUES.len() * 2);
        for &(p, cap, w, b) in CUES {
            pats.push(p.to_string());
            meta.push((cap, w, b));
            // ASCII case is folded by the automaton; other scripts get a capitalised twin.
            let mut chars = p.chars();
            if let Some(first) = chars.next() {
                if !first.is_ascii() {
                    let up: String = first.to_uppercase().chain(chars).collect();
                    if up != p {
                        pats.push(up);
                        meta.push((cap, w, b));
                    }
                }
            }
        }
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&pats)
            .expect("cue table builds");
        KeywordClassifier { ac, meta }
    }

    /// Add the cues found in `text` (a slice of a turn starting at byte `offset` of a turn of
    /// `total` bytes) to the zone accumulators.
    fn scan(&self, text: &str, offset: usize, z: &ZoneBounds, zones: &mut Zones, hits: &mut u32) {
        let b = text.as_bytes();
        for m in self.ac.find_iter(b) {
            let (cap, weight, bound) = self.meta[m.pattern().as_usize()];
            if !bounded(b, m.start(), m.end(), bound) {
                continue;
            }
            let pos = offset + m.start();
            let zone = if !z.long || pos < z.head_end {
                HEAD_ZONE
            } else if pos >= z.tail_start {
                TAIL_ZONE
            } else {
                MIDDLE_ZONE
            };
            zones[zone][cap.index()] += weight;
            *hits += 1;
        }
    }

    fn scan_turn(&self, text: &str, w: f32, raw: &mut [f32; Capability::COUNT], hits: &mut u32) {
        let n = text.len();
        let mut zones: Zones = [[0.0; Capability::COUNT]; 3];
        let z = ZoneBounds::of(text);
        if n <= HEAD + MIDDLE_MAX + TAIL {
            self.scan(text, 0, &z, &mut zones, hits);
        } else {
            let head_end = floor_char(text, HEAD + MIDDLE_MAX / 2);
            let tail_start = ceil_char(text, n - TAIL - MIDDLE_MAX / 2);
            self.scan(&text[..head_end], 0, &z, &mut zones, hits);
            self.scan(&text[tail_start..], tail_start, &z, &mut zones, hits);
        }
        // In a long turn (a pasted document) the opening and closing instructions speak
        // loudest and the document's own words barely count; repetition saturates so a long
        // text cannot out-shout a one-line instruction.
        let zw = if z.long {
            [1.0, 0.3, 2.5]
        } else {
            [1.0, 1.0, 1.0]
        };
        for (z, acc) in zones.iter().enumerate() {
            for (r, v) in raw.iter_mut().zip(acc.iter()) {
                *r += w * zw[z] * v.min(ZONE_CAP);
            }
        }
    }
}

type Zones = [[f32; Capability::COUNT]; 3];

/// Where the instruction zones of a turn end and begin: a long turn's first and last
/// paragraph (bounded by HEAD/TAIL bytes), which is where people put "summarize this:" or
/// "translate the above".
struct ZoneBounds {
    long: bool,
    head_end: usize,
    tail_start: usize,
}

impl ZoneBounds {
    fn of(text: &str) -> Self {
        let b = text.as_bytes();
        let n = b.len();
        if n <= 2 * (HEAD + TAIL) {
            return ZoneBounds {
                long: false,
                head_end: n,
                tail_start: n,
            };
        }
        let head = &b[..HEAD];
        let head_end = memchr::memmem::find(head, b"\n\n")
            .or_else(|| memchr::memchr(b'\n', head))
            .unwrap_or(HEAD);
        let tail_from = n - TAIL;
        let tail = &b[tail_from..];
        let trimmed = tail.len()
            - tail
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_whitespace())
                .count();
        let tail = &tail[..trimmed];
        let tail_start = memchr::memmem::rfind(tail, b"\n\n")
            .or_else(|| memchr::memrchr(b'\n', tail))
            .map_or(n - TAIL / 2, |i| tail_from + i);
        ZoneBounds {
            long: true,
            head_end,
            tail_start,
        }
    }
}
const HEAD_ZONE: usize = 0;
const MIDDLE_ZONE: usize = 1;
const TAIL_ZONE: usize = 2;
/// Most evidence one zone can give one class.
const ZONE_CAP: f32 = 6.0;

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn bounded(b: &[u8], start: usize, end: usize, bound: Bound) -> bool {
    let left_ok = start == 0 || !is_word(b[start - 1]);
    let right_ok = end >= b.len() || !is_word(b[end]);
    match bound {
        Bound::N => true,
        Bound::L => left_ok,
        Bound::B => left_ok && right_ok,
    }
}

fn ceil_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

impl CapabilityModel for KeywordClassifier {
    fn name(&self) -> &str {
        "keywords-v1"
    }

    fn classify(&self, req: &Request<'_>, f: &Features) -> Classification {
        let mut raw = [0.0f32; Capability::COUNT];
        let mut hits = 0u32;
        let mut signals: Vec<&'static str> = Vec::new();
        // Turns, newest first; only the last user turn speaks with full weight.
        let last = f.last_user;
        for (i, m) in req.messages.iter().enumerate().rev().take(8) {
            let w = match m.role {
                _ if Some(i) == last => 1.0,
                Some(Role::User) => 0.3,
                Some(Role::System) => 0.4,
                _ => continue,
            };
            for p in &m.parts {
                self.scan_turn(p, w, &mut raw, &mut hits);
            }
        }
        if hits > 0 {
            signals.push("cue phrases");
        }
        // Structural priors.
        let code_lines = f.code_lines as f32;
        if f.code_blocks > 0 || f.code_lines >= 3 {
            raw[Capability::Code.index()] += 1.5 + (code_lines / 5.0).min(2.0);
            signals.push("code structure");
        } else if f.inline_code > 0 {
            raw[Capability::Code.index()] += 0.5;
        }
        let math = f.latex as f32 + f.math_symbols as f32 / 3.0;
        if f.latex > 0 || f.math_symbols >= 3 {
            raw[Capability::Math.index()] += (0.6 * math).min(3.0);
            signals.push("math notation");
        }
        if f.response_json {
            raw[Capability::Extraction.index()] += 2.5;
            signals.push("json output requested");
        }
        if f.table_rows >= 2 {
            raw[Capability::Extraction.index()] += 0.5;
        }
        // With no cue at all, short talk is chit-chat and the rest a knowledge request.
        let top = raw.iter().copied().fold(0.0f32, f32::max);
        let words = f.last_user_tokens;
        if top < 0.5 {
            if words <= 6 && f.questions == 0 {
                raw[Capability::Chitchat.index()] += 1.2;
            } else {
                raw[Capability::Factual.index()] += 1.0;
            }
            signals.push("no strong cue");
        }
        let p = normalize(&raw, 1.0);
        let (capability, mut confidence) = argmax(&p);
        // Little evidence caps confidence, however peaked the softmax.
        if top < 1.5 {
            confidence = confidence.min(0.5);
        }
        Classification {
            capability,
            confidence,
            scores: p,
            signals,
            difficulty: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::extract;
    use crate::request::Message;

    fn cls(text: &str) -> Capability {
        let req = Request::from_text(text);
        KeywordClassifier::new()
            .classify(&req, &extract(&req))
            .capability
    }

    #[test]
    fn obvious_cases() {
        assert_eq!(cls("hi there, how are you?"), Capability::Chitchat);
        assert_eq!(cls("What is the capital of France?"), Capability::Factual);
        assert_eq!(
            cls("Translate 'good morning' into Spanish"),
            Capability::Translation
        );
        assert_eq!(
            cls("Summarize this article in three bullet points"),
            Capability::Summarization
        );
        assert_eq!(
            cls("Write a Python function that reverses a linked list"),
            Capability::Code
        );
        assert_eq!(cls("Solve the equation 3x + 5 = 20"), Capability::Math);
        assert_eq!(cls("Write a haiku about autumn rain"), Capability::Creative);
        assert_eq!(
            cls("Classify the sentiment of this review: great phone"),
            Capability::Classification
        );
        assert_eq!(
            cls("Extract all the dates and names from the following text"),
            Capability::Extraction
        );
        assert_eq!(
            cls("Solve this logic puzzle step by step: three boxes are mislabeled"),
            Capability::Reasoning
        );
    }

    #[test]
    fn multilingual() {
        assert_eq!(cls("请把这句话翻译成英文"), Capability::Translation);
        assert_eq!(cls("この記事を要約してください"), Capability::Summarization);
        assert_eq!(
            cls("Переведи этот текст на английский"),
            Capability::Translation
        );
        assert_eq!(
            cls("Übersetze bitte diesen Satz ins Französische"),
            Capability::Translation
        );
        assert_eq!(cls("파이썬 코드를 작성해 주세요"), Capability::Code);
    }

    #[test]
    fn keyword_traps() {
        assert_eq!(
            cls("Translate this customer record to JSON"),
            Capability::Extraction
        );
        assert_ne!(cls("How long can a python snake grow?"), Capability::Code);
        let doc = format!(
            "```rust\nfn main() {{ println!(\"hi\"); }}\n```\n{}\nSummarize the text above in two sentences.",
            "The quarterly report shows revenue growth. ".repeat(40)
        );
        assert_eq!(cls(&doc), Capability::Summarization);
    }

    #[test]
    fn instruction_at_end_of_long_document_decides() {
        let doc = format!(
            "{}\n\nTranslate the above into German.",
            "Write a poem about the sea. The story goes on. ".repeat(200)
        );
        assert_eq!(cls(&doc), Capability::Translation);
    }

    #[test]
    fn last_user_turn_dominates() {
        let req = Request {
            messages: vec![
                Message::user("Write a Python function to parse dates"),
                Message::new(Role::Assistant, "def parse(...): ..."),
                Message::user("thanks! now write a short poem about it"),
            ],
            ..Default::default()
        };
        let c = KeywordClassifier::new().classify(&req, &extract(&req));
        assert_eq!(c.capability, Capability::Creative);
    }

    #[test]
    fn scores_are_probabilities() {
        let req = Request::from_text("hello");
        let c = KeywordClassifier::new().classify(&req, &extract(&req));
        let sum: f32 = c.scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4);
        assert!(c.confidence > 0.0 && c.confidence <= 1.0);
    }
}
