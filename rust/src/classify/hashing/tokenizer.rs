//! The tokenizer behind the hashed features: how code points take part in words, and the
//! streaming word / bigram / stem / position-tag hashing into a `Sink`.

use super::*;

mod ascii;

use crate::mix::fmix;

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

/// Features buffered per flush to the sink.
const BATCH: usize = 64;

/// Streams tokens of one text slice into a sink.
pub(super) struct Tokenizer<'s, S: Sink> {
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
    pub(super) head_left: usize,
    /// Every word goes into the ring (a power of two: no division per word); `finish` tags
    /// the last `EDGE_WORDS` when `tag_tail` is set.
    pub(super) ring: [u64; RING],
    pub(super) ring_n: usize,
    pub(super) tag_tail: bool,
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
    pub(super) fn new(sink: &'s mut S, zone: usize) -> Self {
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
    pub(super) fn set_zone(&mut self, zone: usize) {
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
    pub(super) fn text(&mut self, text: &str) {
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
    pub(super) fn cut(&mut self) {
        self.end_word();
        self.prev_word = 0;
        self.prev_cjk = 0;
    }

    pub(super) fn finish(&mut self) {
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
