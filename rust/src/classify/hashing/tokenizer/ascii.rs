//! The tokenizer's ASCII fast path: a block of 64 bytes at a time.
//!
//! Byte-class masks (`ascii_block`) give the words (letters, digits, and `_` inside a word)
//! and the punctuation tokens of a block; only those events are visited, in position order,
//! and a word's bytes are folded into its hash up to eight at a time. The features are the
//! same, bit for bit, as the byte-at-a-time loop this replaced (the tests keep that loop as
//! the oracle), so the shipped models need no retraining.

use super::{bucket, fmix, punct_token, Sink, Tokenizer, SEED_STEM, SEED_WORD, STEM};
use crate::ascii_block::{fold_words, run_len, stretch, valid, BLOCK};

/// The `n` (1..=8) bytes of `folded` from `at`, packed big-endian as `push` would pack them.
#[inline]
fn packed(folded: &[u8; BLOCK + 8], at: usize, n: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&folded[at..at + 8]);
    u64::from_be_bytes(b) >> (8 * (8 - n))
}

impl<S: Sink> Tokenizer<'_, S> {
    /// Tokenize the ASCII bytes from `b[i]` up to the next non-ASCII byte or the end of `b`;
    /// returns where it stopped. A word open at the end stays open (`café` continues in the
    /// caller's non-ASCII path).
    pub(super) fn ascii_stretch(&mut self, b: &[u8], mut i: usize) -> usize {
        let mut padded = [0u8; BLOCK];
        loop {
            let (blk, m, n) = stretch(b, i, &mut padded);
            if n == 0 {
                break;
            }
            let v = valid(n);
            let alnum = (m.letter | m.digit) & v;
            // `_` belongs to a word only after a word byte: runs of `_` that start right
            // after one (or after the word carried in) are filled by carry propagation.
            let under = m.underscore & v;
            let joins = under & !(under << 1) & ((alnum << 1) | u64::from(self.len > 0));
            let word = alnum | (under & !under.wrapping_add(joins));
            if self.len > 0 && word & 1 == 0 {
                self.end_word();
            }
            let ends = word & !(word >> 1) & (v >> 1);
            let folded = fold_words(blk);
            let mut events = ends | (m.punct & v & !word);
            while events != 0 {
                let e = events.trailing_zeros();
                events &= events - 1;
                if word >> e & 1 == 1 {
                    let len = run_len(word, e, 0) as usize;
                    let start = e as usize + 1 - len;
                    if self.len == 0 && len <= 8 {
                        // The common case, a whole short word: its hash in one step (what
                        // pushing each byte and `end_word` compute).
                        let acc = packed(&folded, start, len);
                        let w = SEED_WORD ^ acc.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ len as u64;
                        if len > STEM as usize {
                            let head = acc >> (8 * (len - STEM as usize));
                            let stem =
                                SEED_WORD ^ head.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ SEED_STEM;
                            self.emit(bucket(stem));
                        }
                        self.token(w);
                    } else {
                        self.push_run(&folded, start, e as usize + 1);
                        self.end_word();
                    }
                } else if punct_token(blk[e as usize]) {
                    self.token(u64::from(blk[e as usize]) | 0x7000_0000);
                }
            }
            let last = n as u32 - 1;
            if word >> last & 1 == 1 {
                let start = (last + 1 - run_len(word, last, 0)) as usize;
                self.push_run(&folded, start, n);
            }
            i += n;
            if n < BLOCK || i == b.len() {
                break;
            }
        }
        i
    }

    /// `push(c, 1)` for each folded byte of a word run `from..to`, up to eight bytes per step:
    /// the hash state folds when eight bytes are packed, and the stem is taken at the fourth
    /// letter, exactly as one byte at a time would.
    #[inline]
    fn push_run(&mut self, folded: &[u8; BLOCK + 8], from: usize, to: usize) {
        let mut k = from;
        while k < to {
            if self.packed == 8 {
                self.h = fmix(self.h ^ self.acc);
                self.acc = 0;
                self.packed = 0;
            }
            let mut take = (8 - self.packed as usize).min(to - k);
            if self.len < STEM {
                take = take.min((STEM - self.len) as usize);
            }
            let v = packed(folded, k, take);
            self.acc = if take == 8 {
                v
            } else {
                (self.acc << (8 * take)) | v
            };
            self.packed += take as u32;
            self.len += take as u32;
            k += take;
            if self.len == STEM {
                self.stem = self.h ^ self.acc.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ SEED_STEM;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Tokenizer, EDGE_WORDS, INSTRUCTION, MIDDLE};
    use super::*;
    use proptest::prelude::*;

    #[derive(Default)]
    struct Log(Vec<(usize, u32)>);
    impl Sink for Log {
        fn feature(&mut self, zone: usize, bucket: u32) {
            self.0.push((zone, bucket));
        }
    }

    /// The byte-at-a-time loop the block path replaced.
    fn reference<S: Sink>(t: &mut Tokenizer<'_, S>, text: &str) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c < 0x80 {
                i += 1;
                if c.is_ascii_alphabetic() {
                    t.push(u64::from(c | 0x20), 1);
                } else if c.is_ascii_digit() {
                    t.push(u64::from(b'0'), 1);
                } else if c == b'_' && t.len > 0 {
                    t.push(u64::from(c), 1);
                } else {
                    t.end_word();
                    if punct_token(c) {
                        t.token(u64::from(c) | 0x7000_0000);
                    }
                }
                continue;
            }
            let ch = text[i..].chars().next().expect("valid UTF-8");
            i += ch.len_utf8();
            t.non_ascii(ch);
        }
    }

    /// The features of `pieces` tokenized in one zone, by the block path or the oracle.
    fn features(pieces: &[String], zone: usize, oracle: bool) -> Vec<(usize, u32)> {
        let mut log = Log::default();
        let mut t = Tokenizer::new(&mut log, zone);
        t.head_left = EDGE_WORDS;
        t.tag_tail = true;
        for p in pieces {
            if oracle {
                reference(&mut t, p);
            } else {
                t.text(p);
            }
        }
        t.finish();
        drop(t);
        log.0
    }

    #[test]
    fn words_across_blocks_and_scripts() {
        let long = format!("{}__x café_ {}", "a".repeat(70), "ab_c1 ".repeat(30));
        for zone in [INSTRUCTION, MIDDLE] {
            assert_eq!(
                features(std::slice::from_ref(&long), zone, false),
                features(std::slice::from_ref(&long), zone, true)
            );
        }
    }

    proptest! {
        #[test]
        fn block_path_matches_byte_loop(
            pieces in proptest::collection::vec("[ -~\\t\\néÀ中ё😀]{0,200}", 1..4),
        ) {
            prop_assert_eq!(
                features(&pieces, INSTRUCTION, false),
                features(&pieces, INSTRUCTION, true)
            );
        }

        #[test]
        fn block_path_matches_byte_loop_runs(
            s in "([a-zA-Z]{1,12}|[0-9]{1,4}|_{1,3}| |\\n|[.,;:?(){}=`]|é|中){0,120}",
        ) {
            let pieces = [s];
            prop_assert_eq!(
                features(&pieces, INSTRUCTION, false),
                features(&pieces, INSTRUCTION, true)
            );
        }
    }
}
