//! The learned models' features: hashed word uni/bigrams (ASCII-lowercased, digits folded to
//! `0`), character uni/bigrams for unspaced scripts (Han, kana, Hangul, Thai), a few code and
//! math punctuation tokens, position-tagged words at the edges of the last user turn, and dense
//! structural features from `Features`.
//!
//! Training (`training/capability`, through `routecore._core._hashed_features`) and inference
//! both call `visit`, so the two can never drift. Where a word sits decides its zone:
//!
//! * `INSTRUCTION`: the last user turn — all of it when short, its first paragraph when long
//!   (that is where "summarize this:" goes);
//! * `TAIL`: a long turn's last paragraph ("translate the above"), and the last sentence of a
//!   short turn of several sentences ("…anyway, can you translate this?") counted once more;
//! * `WEAK`: the start or end of a long turn that has no paragraph break there (most likely
//!   the pasted document itself, so it weighs less than a real instruction paragraph);
//! * `MIDDLE`: a bounded sample of a long turn's middle (a pasted document);
//! * `CONTEXT`: the start of earlier user turns and the system prompt.
//!
//! Each zone's sum is divided by √(its feature count) and weighted (`ZONE_WEIGHT`), so a long
//! document cannot out-shout a one-line instruction, a short closing instruction is not
//! diluted by a long opening paragraph, and the work per request is bounded.

use crate::features::Features;
use crate::request::{Request, Role};

mod ascii;

/// Bump when the meaning of any feature changes (artifacts carry it; a mismatch is rejected).
pub const FEATURE_VERSION: u32 = 3;
pub const BUCKETS_LOG2: u32 = 16;
pub const N_BUCKETS: usize = 1 << BUCKETS_LOG2;
/// Dense features follow the hashed buckets in the training index space.
pub const N_DENSE: usize = 24;

pub const INSTRUCTION: usize = 0;
pub const MIDDLE: usize = 1;
pub const CONTEXT: usize = 2;
pub const TAIL: usize = 3;
pub const WEAK: usize = 4;
pub const ZONES: usize = 5;
pub const ZONE_WEIGHT: [f32; ZONES] = [1.0, 0.35, 0.4, 1.0, 0.45];
/// XORed into a feature's bucket per zone. The pasted document (`MIDDLE`, `WEAK`) and earlier
/// turns (`CONTEXT`) get their own copy of the vocabulary: "translate" inside a pasted email is
/// not the request "translate", and a word the instruction shares with the document no longer
/// carries the document's weight into it. The instruction zones (`INSTRUCTION`, `TAIL`) share
/// one copy. XOR with a constant permutes the buckets, so collisions stay as rare as before.
const ZONE_SALT: [u32; ZONES] = [0, 0x5a3c, 0x33c5, 0, 0x96e1];

/// A turn up to this many bytes is all instruction.
const SHORT: usize = 1600;
/// A long turn's first / last paragraph is looked for within these many bytes.
const HEAD: usize = 400;
const TAIL_BYTES: usize = 600;
/// A long turn's middle is sampled in `MIDDLE_CHUNKS` chunks of `MIDDLE_CHUNK` bytes.
const MIDDLE_CHUNK: usize = 384;
const MIDDLE_CHUNKS: usize = 4;
/// Earlier turns: the first bytes of at most `CONTEXT_TURNS` turns.
const CONTEXT_BYTES: usize = 400;
const CONTEXT_TURNS: usize = 4;
/// A long turn without a paragraph break near its start: this many bytes (to a sentence end)
/// go to the `WEAK` zone.
const WEAK_HEAD: usize = 200;
/// A first or last paragraph longer than this is more likely the document than the request.
const PARAGRAPH: usize = 280;
/// Words at each edge of the last user turn that also get a position-tagged feature.
const EDGE_WORDS: usize = 6;

const SEED_WORD: u64 = 0x5752_4431;
const SEED_BIGRAM: u64 = 0x4249_4732;
const SEED_HEAD: u64 = 0x4845_4144;
const SEED_TAIL: u64 = 0x5441_494c;
const SEED_CJK: u64 = 0x434a_4b31;
const SEED_STEM: u64 = 0x5354_454d;
/// Words longer than this also emit their first `STEM` letters (resume / resuma / résumé,
/// summarize / summary): morphology generalises across inflections and related languages.
const STEM: u32 = 4;

#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A feature's bucket: the top bits of one xor-shift and multiply. Word hashes are already
/// multiplicative hashes of the packed bytes, so a full `fmix` (two multiplies, three shifts)
/// per feature bought no spread, and it was the single largest cost of a 1 KB pass.
#[inline(always)]
fn bucket(h: u64) -> u32 {
    ((h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> (64 - BUCKETS_LOG2)) as u32
}

/// How a code point takes part in tokenisation.
enum Kind {
    /// A letter of a space-separated script, lower-cased.
    Letter(u32),
    /// A character of an unspaced script: its own token, paired with its neighbour.
    Unspaced(u32),
    /// Anything else: ends the word.
    Break,
}

#[inline]
fn kind(cp: u32) -> Kind {
    match cp {
        // Latin-1 and Greek / Cyrillic capitals fold to lower case; the rest stay as they are.
        0xC0..=0xDE if cp != 0xD7 => Kind::Letter(cp + 0x20),
        0x391..=0x3A9 => Kind::Letter(cp + 0x20),
        0x410..=0x42F => Kind::Letter(cp + 0x20),
        0x400..=0x40F => Kind::Letter(cp + 0x50),
        0xDF..=0x24F | 0x1E00..=0x1EFF | 0x370..=0x52F | 0x590..=0x6FF | 0x750..=0x77F => {
            Kind::Letter(cp)
        }
        0x900..=0xDFF => Kind::Letter(cp),
        0xE00..=0xE7F
        | 0x3040..=0x30FF
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0xAC00..=0xD7AF
        | 0x1100..=0x11FF
        | 0x3130..=0x318F
        | 0x20000..=0x2FA1F => Kind::Unspaced(cp),
        // Full-width question mark: the same token as '?'.
        0xFF1F => Kind::Unspaced(u32::from(b'?')),
        _ => Kind::Break,
    }
}

/// ASCII punctuation that is a token of its own (code and math shape).
#[inline]
fn punct_token(b: u8) -> bool {
    matches!(
        b,
        b'?' | b'`'
            | b'{'
            | b'}'
            | b'='
            | b'$'
            | b'\\'
            | b'#'
            | b';'
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'|'
            | b'+'
            | b'*'
            | b'^'
            | b':'
            | b'"'
    )
}

/// Receives features: `(zone, bucket)`.
pub trait Sink {
    fn feature(&mut self, zone: usize, bucket: u32);

    /// Several features of one zone, in order. A model sink sums them in registers: one call
    /// per feature kept its running sums in memory, every add waiting on the previous store.
    fn features(&mut self, zone: usize, buckets: &[u32]) {
        for &b in buckets {
            self.feature(zone, b);
        }
    }
}

/// Features buffered per flush to the sink.
const BATCH: usize = 64;

/// Streams tokens of one text slice into a sink.
struct Tokenizer<'s, S: Sink> {
    sink: &'s mut S,
    zone: usize,
    /// Word hash state: bytes packed into `acc`, folded into `h` every 8 bytes.
    acc: u64,
    packed: u32,
    h: u64,
    len: u32,
    stem: u64,
    prev_word: u64,
    prev_cjk: u64,
    /// Position tags: the first `head_left` words get a head tag; the last words are kept in
    /// a ring to be tagged when the turn ends.
    head_left: usize,
    /// Every word goes into the ring (a power of two: no division per word); `finish` tags
    /// the last `EDGE_WORDS` when `tag_tail` is set.
    ring: [u64; RING],
    ring_n: usize,
    tag_tail: bool,
    /// Features not yet handed to the sink, all of the current zone (`set_zone` flushes).
    batch: [u32; BATCH],
    batch_len: usize,
    /// `ZONE_SALT` of the current zone.
    salt: u32,
    /// Buckets already emitted in the `MIDDLE` zone (by their low bits): a pasted document
    /// counts each feature once, so a repetitive document cannot out-shout the instruction.
    seen: [u64; SEEN_WORDS],
}

const SEEN_WORDS: usize = 16;
const RING: usize = 8;
const _: () = assert!(RING.is_power_of_two() && RING >= EDGE_WORDS);

impl<'s, S: Sink> Tokenizer<'s, S> {
    fn new(sink: &'s mut S, zone: usize) -> Self {
        Tokenizer {
            sink,
            zone,
            acc: 0,
            packed: 0,
            h: SEED_WORD,
            len: 0,
            stem: 0,
            prev_word: 0,
            prev_cjk: 0,
            head_left: 0,
            ring: [0; RING],
            ring_n: 0,
            tag_tail: false,
            seen: [0; SEEN_WORDS],
            batch: [0; BATCH],
            batch_len: 0,
            salt: ZONE_SALT[zone],
        }
    }

    /// Hand the buffered features to the sink.
    fn flush(&mut self) {
        if self.zone == MIDDLE {
            self.dedup_batch();
        }
        if self.batch_len > 0 {
            self.sink.features(self.zone, &self.batch[..self.batch_len]);
            self.batch_len = 0;
        }
    }

    /// Drop `MIDDLE` features already seen, keeping the order. Done per batch rather than per
    /// feature, so the other zones' features pay no zone test. (The buffered buckets are salted;
    /// XOR with one constant permutes their low bits, so "seen" means the same thing.)
    fn dedup_batch(&mut self) {
        let mut kept = 0;
        for i in 0..self.batch_len {
            let b = self.batch[i];
            let bit = b as usize % (64 * SEEN_WORDS);
            let (w, m) = (bit / 64, 1u64 << (bit % 64));
            if self.seen[w] & m == 0 {
                self.seen[w] |= m;
                self.batch[kept] = b;
                kept += 1;
            }
        }
        self.batch_len = kept;
    }

    /// Switch zones (the batch holds one zone's features, so it is flushed first).
    fn set_zone(&mut self, zone: usize) {
        if zone != self.zone {
            self.flush();
            self.zone = zone;
            self.salt = ZONE_SALT[zone];
        }
    }

    #[inline(always)]
    fn emit(&mut self, bucket: u32) {
        if self.batch_len == BATCH {
            self.flush();
        }
        self.batch[self.batch_len] = bucket ^ self.salt;
        self.batch_len += 1;
    }

    #[inline]
    fn push(&mut self, v: u64, bytes: u32) {
        if self.packed + bytes > 8 {
            self.h = fmix(self.h ^ self.acc);
            self.acc = 0;
            self.packed = 0;
        }
        self.acc = (self.acc << (8 * bytes)) | v;
        self.packed += bytes;
        self.len += 1;
        if self.len == STEM {
            self.stem = self.h ^ self.acc.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ SEED_STEM;
        }
    }

    #[inline]
    fn end_word(&mut self) {
        if self.len == 0 {
            return;
        }
        let w = self.h ^ self.acc.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(self.len);
        if self.len > STEM {
            self.emit(bucket(self.stem));
        }
        self.acc = 0;
        self.packed = 0;
        self.len = 0;
        self.h = SEED_WORD;
        self.token(w);
    }

    #[inline(always)]
    fn token(&mut self, w: u64) {
        self.emit(bucket(w));
        if self.prev_word != 0 {
            self.emit(bucket(self.prev_word.rotate_left(23) ^ w ^ SEED_BIGRAM));
        }
        self.prev_word = w;
        if self.head_left > 0 {
            self.head_left -= 1;
            self.emit(bucket(w ^ SEED_HEAD));
        }
        self.ring[self.ring_n & (RING - 1)] = w;
        self.ring_n += 1;
        self.prev_cjk = 0;
    }

    /// Tokenize a slice: ASCII stretches a block at a time (`ascii`), other characters one by
    /// one.
    fn text(&mut self, text: &str) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] < 0x80 {
                i = self.ascii_stretch(b, i);
                continue;
            }
            let Some(ch) = text[i..].chars().next() else {
                break;
            };
            i += ch.len_utf8();
            self.non_ascii(ch);
        }
    }

    #[inline]
    fn non_ascii(&mut self, ch: char) {
        match kind(u32::from(ch)) {
            Kind::Letter(cp) => self.push(u64::from(cp), 3),
            Kind::Unspaced(cp) => {
                self.end_word();
                let u = u64::from(cp) ^ SEED_CJK;
                let prev = self.prev_cjk;
                self.token(u);
                if prev != 0 {
                    self.emit(bucket(prev.rotate_left(29) ^ u ^ SEED_BIGRAM));
                }
                self.prev_cjk = u;
            }
            Kind::Break => self.end_word(),
        }
    }

    /// A slice boundary (sampled chunks are not contiguous): no bigram across it.
    fn cut(&mut self) {
        self.end_word();
        self.prev_word = 0;
        self.prev_cjk = 0;
    }

    fn finish(&mut self) {
        self.end_word();
        if self.tag_tail {
            let n = self.ring_n.min(EDGE_WORDS);
            for k in 0..n {
                let w = self.ring[(self.ring_n - 1 - k) & (RING - 1)];
                self.emit(bucket(w ^ SEED_TAIL));
            }
        }
    }
}

impl<S: Sink> Drop for Tokenizer<'_, S> {
    fn drop(&mut self) {
        self.flush();
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where a multi-paragraph turn's first paragraph ends and its last begins, and whether each
/// is a short paragraph of its own (an instruction) rather than a fallback cut or a long
/// paragraph (most likely the document).
fn instruction_bounds(text: &str) -> ((usize, bool), (usize, bool)) {
    let b = text.as_bytes();
    let n = b.len();
    let head = &b[..HEAD.min(n)];
    let head_end = memchr::memmem::find(head, b"\n\n")
        .or_else(|| memchr::memchr(b'\n', head))
        .filter(|&i| i >= 4);
    let head = match head_end {
        Some(i) => (floor_char(text, i), i <= PARAGRAPH),
        None => (
            floor_char(text, sentence_end(&b[..WEAK_HEAD.min(n)])),
            false,
        ),
    };
    let tail_from = n.saturating_sub(TAIL_BYTES).max(head.0);
    let tail = &b[tail_from..];
    let trimmed = tail.len()
        - tail
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
    let tail_start = memchr::memmem::rfind(&tail[..trimmed], b"\n\n")
        .or_else(|| memchr::memrchr(b'\n', &tail[..trimmed]))
        .filter(|&i| trimmed - i >= 4)
        .map(|i| tail_from + i);
    let tail = match tail_start {
        Some(i) => (floor_char(text, i), tail_from + trimmed - i <= PARAGRAPH),
        None => (
            floor_char(text, n - (n - head.0).min(TAIL_BYTES / 2)),
            false,
        ),
    };
    (head, tail)
}

/// Whether a turn is one block of text (no line break after its first few bytes).
fn one_block(text: &str) -> bool {
    let b = text.trim_end().as_bytes();
    b.len() < 8 || memchr::memchr(b'\n', &b[8..]).is_none()
}

/// The end of the first sentence in `b` (after its `.`, `?`, `!` or `:` and a space), or
/// `b.len()`.
fn sentence_end(b: &[u8]) -> usize {
    b.windows(2)
        .position(|w| matches!(w[0], b'.' | b'?' | b'!' | b':') && w[1] == b' ')
        .map_or(b.len(), |i| i + 1)
}

/// Where the last sentence of a short text starts, if it has more than one sentence and the
/// last is a real one (at least a few words).
fn last_sentence(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let end = b.len()
        - b.iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace() || matches!(c, b'.' | b'?' | b'!'))
            .count();
    let at = sentence_break(&b[..end])?;
    (end - at >= 12 && at >= 8).then(|| floor_char(text, at))
}

/// Just after the last sentence break in `body`: a `.`, `?` or `!` followed by a space, or a
/// newline, not as the last byte. `memrchr` jumps between candidates (a byte-pair scan over
/// the whole turn was 2% of a 1 KB pass).
fn sentence_break(body: &[u8]) -> Option<usize> {
    let last = body.len().checked_sub(1)?;
    let newline = memchr::memrchr(b'\n', &body[..last]);
    let from = newline.map_or(0, |i| i + 1);
    let punct = memchr::memrchr3_iter(b'.', b'?', b'!', &body[from..last])
        .map(|i| from + i)
        .find(|&i| body[i + 1] == b' ');
    punct.or(newline).map(|i| i + 1)
}

/// The last user turn: instruction zones plus a sampled middle.
fn last_turn<S: Sink>(parts: &[&str], sink: &mut S) {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n <= SHORT && parts.iter().all(|p| one_block(p)) {
        let mut t = Tokenizer::new(sink, INSTRUCTION);
        t.head_left = EDGE_WORDS;
        t.tag_tail = true;
        for p in parts {
            t.text(p);
            t.cut();
        }
        // The closing sentence of a several-sentence turn once more, as its own zone: the
        // request usually comes last ("Write a poem, my teacher said. Anyway, translate this").
        if let Some(p) = parts.last() {
            if let Some(at) = last_sentence(p) {
                let ring = (t.ring, t.ring_n);
                t.head_left = 0;
                t.set_zone(TAIL);
                t.text(&p[at..]);
                t.cut();
                (t.ring, t.ring_n) = ring;
            }
        }
        t.finish();
        return;
    }
    // A long or multi-paragraph turn: zones are computed on its longest part (the pasted
    // document); other parts (a short instruction sent as its own part) are instruction text.
    let longest = (0..parts.len())
        .max_by_key(|&i| parts[i].len())
        .unwrap_or(0);
    let mut t = Tokenizer::new(sink, INSTRUCTION);
    t.head_left = EDGE_WORDS;
    t.tag_tail = true;
    for (i, p) in parts.iter().enumerate() {
        if i != longest || (one_block(p) && p.len() <= SHORT) {
            t.set_zone(INSTRUCTION);
            t.text(p);
            t.cut();
            continue;
        }
        let ((head_end, head_ok), (tail_start, tail_ok)) = instruction_bounds(p);
        t.set_zone(if head_ok { INSTRUCTION } else { WEAK });
        t.text(&p[..head_end]);
        t.cut();
        t.set_zone(MIDDLE);
        let span = tail_start.saturating_sub(head_end);
        let step = span / MIDDLE_CHUNKS;
        if span <= MIDDLE_CHUNK * MIDDLE_CHUNKS {
            t.text(&p[head_end..tail_start.max(head_end)]);
            t.cut();
        }
        for k in 0..MIDDLE_CHUNKS {
            if span <= MIDDLE_CHUNK * MIDDLE_CHUNKS {
                break;
            }
            let s = floor_char(p, head_end + k * step);
            let e = floor_char(p, (s + MIDDLE_CHUNK).min(tail_start)).max(s);
            t.text(&p[s..e]);
            t.cut();
        }
        t.set_zone(if tail_ok { TAIL } else { WEAK });
        t.text(&p[tail_start..]);
        t.cut();
    }
    t.finish();
}

/// Every hashed feature of a request, in a fixed order.
pub fn visit<S: Sink>(req: &Request<'_>, f: &Features, sink: &mut S) {
    let last = f.last_user;
    if let Some(i) = last {
        last_turn(&req.messages[i].parts, sink);
    }
    let mut t = Tokenizer::new(sink, CONTEXT);
    let mut turns = 0;
    for (i, m) in req.messages.iter().enumerate().rev() {
        if Some(i) == last || !matches!(m.role, Some(Role::User) | Some(Role::System)) {
            continue;
        }
        if turns == CONTEXT_TURNS {
            break;
        }
        turns += 1;
        let mut budget = CONTEXT_BYTES;
        for p in &m.parts {
            if budget == 0 {
                break;
            }
            let e = floor_char(p, budget);
            t.text(&p[..e]);
            t.cut();
            budget -= e.min(budget);
            if e < p.len() {
                break;
            }
        }
    }
}

/// Per-zone multiplier of a feature: the zone's weight over √(features in the zone).
pub fn zone_scale(counts: &[u32; ZONES]) -> [f32; ZONES] {
    let mut s = [0.0; ZONES];
    for z in 0..ZONES {
        if counts[z] > 0 {
            s[z] = ZONE_WEIGHT[z] / (counts[z] as f32).sqrt();
        }
    }
    s
}

#[inline]
fn flag(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

#[inline]
fn sat(v: u32, cap: u32) -> f32 {
    v.min(cap) as f32 / cap as f32
}

/// Dense structural features, each in 0..1 (index 0 is the bias).
pub fn dense(f: &Features) -> [f32; N_DENSE] {
    let ln = |v: u32, d: f32| ((1.0 + v as f32).ln() / d).min(1.0);
    let cjk = f.script.is_some_and(|s| s.is_cjk());
    [
        1.0,
        flag(f.code_blocks > 0),
        sat(f.code_lines, 20),
        flag(f.inline_code > 0),
        flag(f.latex > 0),
        sat(f.math_symbols, 10),
        flag(f.response_json),
        flag(f.table_rows >= 2),
        flag(f.list_items >= 2),
        flag(f.questions > 0),
        sat(f.questions, 4),
        flag(f.urls > 0),
        ln(f.last_user_tokens, 9.0),
        flag(f.turns > 2),
        flag(f.system_tokens > 0),
        f.non_ascii_share.clamp(0.0, 1.0),
        flag(f.tools > 0),
        flag(f.digit_groups >= 3),
        flag(f.last_user_lines >= 3),
        flag(cjk),
        ln(f.input_tokens, 10.0),
        flag(f.last_user_tokens <= 6),
        flag(f.json_braces >= 2),
        flag(f.last_user_lines >= 20),
    ]
}

/// Collects features as a sparse vector (for training, tests and explanations).
#[derive(Default)]
struct Collect {
    items: Vec<(usize, u32)>,
}

impl Sink for Collect {
    fn feature(&mut self, zone: usize, bucket: u32) {
        self.items.push((zone, bucket));
    }
}

/// The request's feature vector as sorted `(index, value)` pairs: hashed buckets scaled per
/// zone (duplicates summed), then `N_BUCKETS + j` for dense feature `j`. A linear model's
/// logit is `Σ value × weight[index]` — exactly what `learned.rs` computes without
/// materialising this vector.
pub fn sparse(req: &Request<'_>, f: &Features) -> Vec<(u32, f32)> {
    let mut c = Collect::default();
    visit(req, f, &mut c);
    let mut counts = [0u32; ZONES];
    for &(z, _) in &c.items {
        counts[z] += 1;
    }
    let scale = zone_scale(&counts);
    let mut v: Vec<(u32, f32)> = c.items.iter().map(|&(z, b)| (b, scale[z])).collect();
    v.sort_by_key(|p| p.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(v.len() + N_DENSE);
    for (b, x) in v {
        match out.last_mut() {
            Some(last) if last.0 == b => last.1 += x,
            _ => out.push((b, x)),
        }
    }
    for (j, x) in dense(f).into_iter().enumerate() {
        if x != 0.0 {
            out.push(((N_BUCKETS + j) as u32, x));
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
}
