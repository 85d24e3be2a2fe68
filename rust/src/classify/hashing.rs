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

mod tokenizer;
mod turn;

use crate::classify::floor_char;
use tokenizer::Tokenizer;
use turn::last_turn;

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
mod tests;
