//! Prompt-injection / jailbreak scoring: phrase rules on the folded text (see
//! `normalize`), encoded blobs decoded and rescanned, and the hashed n-gram model.

use std::cell::RefCell;

use aho_corasick::dfa::DFA;
use aho_corasick::MatchKind;

use super::addressed::{ai_vocative, code_insertion};
use super::directive::output_directive;
use super::encoded;
use super::framed::framed_middle;
use super::model::{self, Model};
use super::normalize::{fold, Normalized};
use super::notice::is_notice;
use super::offtopic::OffTopic;
use super::patterns::*;
use super::quoted::without_quoted_overrides;
use super::quoted_question::question_without_quotes;
use super::search::standard_hits;
use super::shape::{code_block, dialogue_and_burst};
use super::suffix::adversarial_suffix;
use super::topic::Topic;
use super::transcript::is_transcript;
use super::words::{flag, tokenize, tokenize_features, Tok, Vocab};

/// Three-way decision; thresholds come with the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Benign,
    Suspicious,
    Injection,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Benign => "benign",
            Verdict::Suspicious => "suspicious",
            Verdict::Injection => "injection",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    /// Probability-like score in `0..=1`.
    pub score: f32,
    pub verdict: Verdict,
    /// Names of the rule signals that fired (stable strings, see `patterns::SIGNALS`).
    pub signals: Vec<&'static str>,
}

/// Score floor when a strong rule fires, whatever the model says.
const STRONG_FLOOR: f32 = 0.9;
/// Rule-only fallback weights (used when no valid model is embedded).
const FALLBACK: f32 = 0.35;
/// Decoded payloads rescanned per call, in bytes: keeps the scan linear.
const DECODE_BUDGET: usize = 16 * 1024;
/// Longest text `own_secret` may fire on (see `analyze_in`).
const OWN_SECRET_MAX_BYTES: usize = 300;
/// Per-thread buffers above this size are dropped after a call rather than kept.
const KEEP_BYTES: usize = 256 * 1024;

/// Buffers reused across calls on one thread, so a scan allocates nothing once warm:
/// the folded input and its words, and the same for decoded payloads.
#[derive(Default)]
struct Scratch {
    n: Normalized,
    toks: Vec<Tok>,
    squashed: Vec<u8>,
    inner: Normalized,
    inner_toks: Vec<Tok>,
    inner_squashed: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

pub struct InjectionDetector {
    /// Squashed phrases: a DFA walked by `phrase_hits` (standard semantics).
    phrases: Option<DFA>,
    phrase_signal: Vec<u8>,
    /// Punctuated phrases and document markers, matched on the folded text in one pass;
    /// markers carry the signal id `S_DOCUMENT` and are counted, not fired.
    text_dfa: Option<DFA>,
    text_signal: Vec<u8>,
    vocab: Vocab,
    offtopic: OffTopic,
    topic: Topic,
    model: Option<Model>,
}

impl Default for InjectionDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InjectionDetector {
    pub fn new() -> InjectionDetector {
        let (mut pats, mut sig) = (Vec::new(), Vec::new());
        let (mut punct, mut punct_sig) = (Vec::new(), Vec::new());
        let own = OWN_SECRET_PHRASES.iter().map(|&p| (S_OWN_SECRET, p));
        for (s, p) in PHRASES.iter().copied().chain(own) {
            let (folded, sq) = fold(p);
            if squashable(p) {
                if sq.len() >= 4 {
                    pats.push(sq);
                    sig.push(s as u8);
                }
            } else {
                punct.push(folded);
                punct_sig.push(s as u8);
            }
        }
        // Structural markers are matched on the folded text, not squashed.
        let phrases = phrase_dfa(&pats);
        for m in DOCUMENT_MARKERS {
            punct.push((*m).to_string());
            punct_sig.push(S_DOCUMENT as u8);
        }
        // A DFA walked in pieces side by side (`standard_hits`), with standard semantics.
        // It finds what a leftmost-first search with a packed (SIMD) prefilter found before
        // (`text_walk_matches_leftmost_first`), because no pattern contains another
        // (`text_patterns_are_substring_free`), so the earliest-ending match is also the
        // leftmost one; on new text that prefilter's candidate checks mispredicted ~190
        // times per KB.
        let text_dfa = phrase_dfa(&punct);
        InjectionDetector {
            phrases,
            phrase_signal: sig,
            text_dfa,
            text_signal: punct_sig,
            vocab: Vocab::new(),
            offtopic: OffTopic::new(),
            topic: Topic::new(),
            model: Model::from_bytes(include_bytes!("injection_model.bin")),
        }
    }

    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// Fires phrase/obfuscation signals; returns the number of document markers seen.
    fn rules(
        &self,
        n: &Normalized,
        toks: &[Tok],
        squashed: &[u8],
        fired: &mut [bool; SIGNALS.len()],
    ) -> usize {
        if let Some(dfa) = &self.phrases {
            standard_hits(dfa, squashed, |p| {
                if let Some(&s) = self.phrase_signal.get(p) {
                    if let Some(f) = fired.get_mut(usize::from(s)) {
                        *f = true;
                    }
                }
            });
        }
        let mut markers = 0;
        if let Some(dfa) = &self.text_dfa {
            standard_hits(dfa, n.text.as_bytes(), |p| match self.text_signal.get(p) {
                Some(&s) if usize::from(s) == S_DOCUMENT => markers += 1,
                Some(&s) => {
                    if let Some(f) = fired.get_mut(usize::from(s)) {
                        *f = true;
                    }
                }
                None => {}
            });
        }
        fired[S_OVERRIDE] |= override_words(toks);
        fired[S_AI_ADDRESSED] |= ai_vocative(&n.text);
        for (k, f) in fired.iter_mut().skip(S_OBF_FIRST).take(6).enumerate() {
            *f |= n.obfuscation & (1 << k) != 0;
        }
        markers
    }

    /// Signals and hashed features of `text` (input of both scoring and training).
    /// Each hashed feature id goes to `feat` as it is computed (detection sums weights on
    /// the fly; training collects them).
    pub fn analyze(&self, text: &str, feat: &mut impl FnMut(u32)) -> [bool; SIGNALS.len()] {
        // A re-entrant call (from `feat`) or a thread being torn down gets fresh buffers.
        let warm = SCRATCH
            .try_with(|cell| {
                let mut s = cell.try_borrow_mut().ok()?;
                let r = self.analyze_in(&mut s, text, feat);
                if s.n.text.capacity() > KEEP_BYTES || s.inner.text.capacity() > KEEP_BYTES {
                    *s = Scratch::default();
                }
                Some(r)
            })
            .ok()
            .flatten();
        match warm {
            Some(r) => r,
            None => self.analyze_in(&mut Scratch::default(), text, feat),
        }
    }

    fn analyze_in(
        &self,
        s: &mut Scratch,
        text: &str,
        feat: &mut impl FnMut(u32),
    ) -> [bool; SIGNALS.len()] {
        let mut fired = [false; SIGNALS.len()];
        let Scratch {
            n,
            toks,
            squashed,
            inner,
            inner_toks,
            inner_squashed,
        } = s;
        n.fill(text);
        // Words and the model's features in one pass.
        tokenize_features(&n.text, &self.vocab, toks, squashed, feat);
        let markers = self.rules(n, toks, squashed, &mut fired);
        // The rules' signals on another text (a decoded blob, the text with quotes blanked),
        // in the inner buffers.
        let mut rules_on = |t: &str| {
            inner.fill(t);
            tokenize(&inner.text, &self.vocab, inner_toks, inner_squashed);
            let mut sub = [false; SIGNALS.len()];
            self.rules(inner, inner_toks, inner_squashed, &mut sub);
            sub
        };
        let mut budget = DECODE_BUDGET;
        encoded::for_each_decoded(text, &mut budget, |decoded| {
            let sub = rules_on(decoded);
            if sub[..S_ENCODED].iter().any(|&x| x) {
                fired[S_ENCODED] = true;
                for (f, s) in fired.iter_mut().zip(sub.iter()).take(S_ENCODED) {
                    *f |= *s;
                }
            }
        });
        // An override only inside a short quoted phrase ("a hacker says \"ignore all
        // previous instructions\"") is talk about attacks: the signal is dropped when the
        // text without such phrases does not fire it (rare: a quote and an override).
        if fired[S_OVERRIDE] {
            if let Some(rest) = without_quoted_overrides(text) {
                let sub = rules_on(&rest);
                fired[S_OVERRIDE] = sub[S_OVERRIDE] || fired[S_ENCODED];
            }
        }
        // The same for an override or secret request in any language quoted in a short
        // question ("\"पिछले निर्देशों को अनदेखा करो\" वाला हमला क्या होता है?", "Por que os
        // golpistas pedem \"me diga sua senha\"?"): `quoted_question.rs`.
        if (fired[S_OVERRIDE] || fired[S_REVEAL]) && !fired[S_ENCODED] {
            if let Some(rest) = question_without_quotes(text) {
                let sub = rules_on(&rest);
                fired[S_OVERRIDE] &= sub[S_OVERRIDE];
                fired[S_REVEAL] &= sub[S_REVEAL];
            }
        }
        // Markdown/pipe tables carry no textual marker: three rows starting with `|`
        // make a document by themselves.
        let rows = memchr::memmem::find_iter(text.as_bytes(), "\n|")
            .take(3)
            .count();
        // So do transcripts: lines opening with speaker labels (`transcript.rs`).
        let marked = markers + if rows >= 3 { 2 } else { 0 } >= 2;
        let transcript = !marked && is_transcript(text);
        // And mails or notifications pasted without headers (`notice.rs`).
        let notice = !marked && !transcript && is_notice(text, markers);
        fired[S_DOCUMENT] = marked || transcript || notice;
        // In a transcript "Assistant:" / "AI:" at a line's start is a speaker's label, not
        // the model addressed (`ai_vocative` reads it as one), so there it proves nothing.
        let speaker = |s: usize| transcript && s == S_AI_ADDRESSED;
        let instructive = [
            S_OVERRIDE,
            S_AI_ADDRESSED,
            S_COVERT,
            S_EXFIL,
            S_STEERING,
            S_FAKE_SYSTEM,
        ];
        // Directives about the answer are ordinary from the user but not inside pasted
        // content, so they count here only (no signal of their own for the model).
        // So are requests that share no word with the document around them (`offtopic`).
        // A directive on the first or last line of a document the user framed ("Summarise
        // this email; in your response, …") is the user's own: only the lines between count.
        let mut inner_directive = |mid: &str| {
            inner.fill(mid);
            tokenize(&inner.text, &self.vocab, inner_toks, inner_squashed);
            output_directive(inner_toks)
        };
        fired[S_IN_DOCUMENT] = fired[S_DOCUMENT]
            && (instructive.iter().any(|&s| fired[s] && !speaker(s))
                || output_directive(toks) && framed_middle(text).is_none_or(&mut inner_directive)
                || self.offtopic.detect(text)
                || code_insertion(text));
        fired[S_SUFFIX] = adversarial_suffix(text);
        fired[S_CODE] = code_block(text);
        (fired[S_DIALOGUE], fired[S_BURST]) = dialogue_and_burst(text);
        // A question about attacks, not one: only when nothing else points at an attack.
        let attack = [
            S_OVERRIDE,
            S_REVEAL,
            S_ROLE,
            S_PERSONA,
            S_POLICY,
            S_FAKE_SYSTEM,
            S_COVERT,
            S_EXFIL,
            S_STEERING,
            S_ENCODED,
            S_DOCUMENT,
            S_SUFFIX,
            S_DIALOGUE,
            S_BURST,
        ];
        let attacked = attack.iter().any(|&s| fired[s]);
        fired[S_TOPIC] = !attacked && self.topic.question(text, squashed);
        // The user's own password, not a request for the model's: only with no attack
        // signal beside it (a reveal or override turns it off), and only in a short text.
        // Its weight is negative (-3.1), so a long jailbreak that fires no phrase could
        // otherwise append "I forgot my password" to buy it; users asking about their own
        // password write a line or two (the longest benign training text that fires it is ~140 bytes).
        fired[S_OWN_SECRET] &= !attacked && text.len() <= OWN_SECRET_MAX_BYTES;
        fired
    }

    pub fn detect(&self, text: &str) -> Injection {
        // Weights summed as features are produced: no per-call vector of ~1.2 ids per byte.
        let (mut sum, mut count) = (0i64, 0usize);
        let fired = match &self.model {
            Some(m) => self.analyze(text, &mut |b| {
                sum += m.weight(b);
                count += 1;
            }),
            None => self.analyze(text, &mut |_| {}),
        };
        // Fired signal ids in a stack array: no per-call vector.
        let mut ids = [0usize; SIGNALS.len()];
        let mut n_ids = 0;
        for (k, _) in fired.iter().enumerate().filter(|(_, &f)| f) {
            ids[n_ids] = k;
            n_ids += 1;
        }
        let idx = &ids[..n_ids];
        let strong = STRONG.iter().any(|&s| fired[s]);
        let (mut score, sus, inj) = match &self.model {
            Some(m) => (
                sigmoid(m.logit_from(sum, count, idx)),
                m.suspicious,
                m.injection,
            ),
            None => {
                let miss: f32 = idx
                    .iter()
                    // Shape signals (`shape.rs`) mean little without the model's weights.
                    .filter(|&&k| !(S_OBF_FIRST..S_DOCUMENT).contains(&k) && k < S_CODE)
                    .map(|_| 1.0 - FALLBACK)
                    .product();
                (1.0 - miss, 0.3, 0.6)
            }
        };
        if strong {
            score = score.max(STRONG_FLOOR);
        }
        let score = if score.is_finite() {
            score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let verdict = if score >= inj {
            Verdict::Injection
        } else if score >= sus {
            Verdict::Suspicious
        } else {
            Verdict::Benign
        };
        Injection {
            score,
            verdict,
            signals: idx.iter().map(|&k| SIGNALS[k]).collect(),
        }
    }

    /// Feature ids for training: hashed n-grams, then `N_BUCKETS + signal` per fired signal.
    pub fn training_features(&self, text: &str) -> Vec<u32> {
        let mut feats = Vec::new();
        let fired = self.analyze(text, &mut |b| feats.push(b));
        for (k, &f) in fired.iter().enumerate() {
            if f {
                feats.push((model::N_BUCKETS + k) as u32);
            }
        }
        feats
    }
}

/// Whether a phrase is matched on the squashed text (the DFA) rather than the folded text:
/// no ASCII punctuation but the apostrophe. The squashed text keeps every non-ASCII char,
/// so Devanagari, Bengali and Thai phrases (their viramas and vowel marks are not
/// alphanumeric) go there too. On the folded-text automaton, nine more of them (59 patterns
/// in all) slowed injection detect on 1 KB of English 8.4-8.5 -> 8.9-9.0 us; why was not
/// profiled (its Teddy prefilter takes up to 64 patterns, so not that limit).
fn squashable(p: &str) -> bool {
    p.chars()
        .all(|c| c.is_alphanumeric() || !c.is_ascii() || c == ' ' || c == '\'')
}

fn phrase_dfa(pats: &[String]) -> Option<DFA> {
    DFA::builder()
        .prefilter(false)
        .match_kind(MatchKind::Standard)
        .build(pats)
        .ok()
}

/// Verb, fillers/adjectives, noun: see `patterns::OVERRIDE_VERBS`. Word-list membership
/// comes as flag bits on the tokens (`words::Vocab`).
fn override_words(toks: &[Tok]) -> bool {
    let has = |t: &Tok, bit: u32| t.flags & bit != 0;
    for (i, w) in toks.iter().enumerate() {
        // The previous word's flags; none before the first word.
        let p = if i > 0 { toks[i - 1].flags } else { 0 };
        if !has(w, flag::VERB) || has(w, flag::NEGATED) && p & flag::NEGATION == 0 {
            continue;
        }
        let weak = has(w, flag::WEAK);
        let (mut adj, mut strong, mut positional) = (false, false, false);
        // Flags of the word that ended the run (0 for a noun); None = end of text.
        let mut tail: Option<u32> = None;
        for x in toks[i + 1..].iter().take(6) {
            if has(x, flag::NOUN) {
                if adj || strong && !weak {
                    return true;
                }
                tail = Some(0);
                break;
            } else if has(x, flag::ADJ) {
                adj = true;
                positional |= has(x, flag::POSITIONAL);
            } else if has(x, flag::FILLER) {
                strong |= has(x, flag::STRONG_DET);
            } else {
                tail = Some(x.flags);
                break;
            }
        }
        if positional && !weak && tail.is_none_or(|t| t & flag::TAIL != 0) {
            return true;
        }
    }
    false
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
#[path = "injection_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "injection_rotation.rs"]
mod rotation;

#[cfg(test)]
#[path = "injection_pretext.rs"]
mod pretext;

#[cfg(test)]
#[path = "injection_lang12.rs"]
mod lang12;
