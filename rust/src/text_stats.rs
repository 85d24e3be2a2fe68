//! One linear pass over a text that counts what token estimation and script detection need.
//!
//! The counters are deliberately tokenizer-shaped (word lengths, digit groups of three, punctuation
//! runs, per-script characters) because BPE vocabularies like `o200k_base` merge along exactly those
//! lines; `tokens.rs` turns them into an estimate with fitted coefficients.

/// Script of a text, from its letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Unknown = 0,
    Latin = 1,
    Cyrillic = 2,
    Greek = 3,
    Arabic = 4,
    Hebrew = 5,
    Devanagari = 6,
    Thai = 7,
    Han = 8,
    Japanese = 9,
    Hangul = 10,
    OtherIndic = 11,
}

impl Script {
    pub fn as_str(self) -> &'static str {
        match self {
            Script::Unknown => "unknown",
            Script::Latin => "latin",
            Script::Cyrillic => "cyrillic",
            Script::Greek => "greek",
            Script::Arabic => "arabic",
            Script::Hebrew => "hebrew",
            Script::Devanagari => "devanagari",
            Script::Thai => "thai",
            Script::Han => "han",
            Script::Japanese => "japanese",
            Script::Hangul => "hangul",
            Script::OtherIndic => "other_indic",
        }
    }
    pub fn is_cjk(self) -> bool {
        matches!(self, Script::Han | Script::Japanese | Script::Hangul)
    }
}

/// Counter indices (also the order of the token-estimate coefficients).
pub mod idx {
    pub const W_1_2: usize = 0; // ASCII/Latin words of 1-2 letters
    pub const W_3_5: usize = 1;
    pub const W_6_8: usize = 2;
    pub const W_9_12: usize = 3;
    pub const W_LONG_CHARS: usize = 4; // letters in words longer than 12
    pub const CAMEL: usize = 5; // lower→upper transitions inside words (code identifiers)
    pub const DIGIT_GROUPS: usize = 6; // digit runs split into groups of up to three
    pub const PUNCT: usize = 7;
    pub const PUNCT_RUNS: usize = 8;
    pub const NEWLINE_RUNS: usize = 9;
    pub const SPACE_RUNS: usize = 10; // runs of 2+ spaces/tabs (indentation)
    pub const LATIN_EXT: usize = 11; // accented Latin letters
    pub const CYRILLIC: usize = 12;
    pub const GREEK: usize = 13;
    pub const ARABIC_HEBREW: usize = 14;
    pub const INDIC: usize = 15;
    pub const THAI: usize = 16;
    pub const HAN: usize = 17;
    pub const KANA: usize = 18;
    pub const HANGUL: usize = 19;
    pub const OTHER: usize = 20; // emoji, symbols, CJK punctuation, combining marks
    pub const NONLATIN_WORDS: usize = 21; // words in spaced non-Latin scripts
    pub const N: usize = 22;
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TextStats {
    pub c: [u32; idx::N],
    pub chars: u32,
    pub devanagari: u32,
    pub hebrew: u32,
    /// Structural punctuation, counted in the same pass for the feature extractor.
    pub qmarks: u32,
    pub braces: u32,
    pub math_ops: u32,
    pub dollars: u32,
    pub backslashes: u32,
    pub backticks: u32,
    pub pipes: u32,
    pub quotes: u32,
    pub colons: u32,
    pub semicolons: u32,
}

/// Which bucket a non-ASCII code point falls in; `true` in the second slot if it is a word letter
/// of a space-separated script.
#[inline]
fn classify_cp(cp: u32) -> (usize, bool) {
    match cp {
        0x00C0..=0x00D6 | 0x00D8..=0x00F6 | 0x00F8..=0x024F | 0x1E00..=0x1EFF => {
            (idx::LATIN_EXT, true)
        }
        0x0400..=0x052F => (idx::CYRILLIC, true),
        0x0370..=0x03FF => (idx::GREEK, true),
        0x0590..=0x05FF | 0x0600..=0x06FF | 0x0750..=0x077F => (idx::ARABIC_HEBREW, true),
        0x0900..=0x0DFF => (idx::INDIC, true),
        0x0E00..=0x0E7F => (idx::THAI, false),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F => {
            (idx::HAN, false)
        }
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => (idx::KANA, false),
        0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => (idx::HANGUL, false),
        _ => (idx::OTHER, false),
    }
}

#[derive(Default)]
struct WordState {
    len: u32,
    nonlatin: bool,
    prev_lower: bool,
}

impl TextStats {
    #[inline]
    fn end_word(&mut self, w: &mut WordState) {
        if w.len > 0 {
            let slot = match w.len {
                1..=2 => idx::W_1_2,
                3..=5 => idx::W_3_5,
                6..=8 => idx::W_6_8,
                9..=12 => idx::W_9_12,
                _ => idx::W_LONG_CHARS,
            };
            self.c[slot] += if slot == idx::W_LONG_CHARS { w.len } else { 1 };
        }
        if w.nonlatin {
            self.c[idx::NONLATIN_WORDS] += 1;
        }
        *w = WordState::default();
    }

    /// Count `text` into `self` (accumulates, so several parts can share one `TextStats`).
    ///
    /// ASCII stretches go 64 bytes at a time through `ascii_block` masks; a non-ASCII code
    /// point is decoded and counted on its own. A word may continue across both (café).
    pub fn add(&mut self, text: &str) {
        let b = text.as_bytes();
        let n = b.len();
        let mut i = 0;
        let mut w = WordState::default();
        while i < n {
            if b[i] >= 0x80 {
                // Non-ASCII: decode one code point (the input is valid UTF-8).
                let (cp, width) = decode(b, i);
                i += width;
                self.chars += 1;
                self.non_ascii(cp, &mut w);
                continue;
            }
            i = self.ascii_stretch(b, i, &mut w);
        }
        self.end_word(&mut w);
    }

    /// Count the ASCII bytes from `b[i]` up to the next non-ASCII byte or the end; returns
    /// where it stopped. Runs open at a block boundary carry their length into the next block.
    fn ascii_stretch(&mut self, b: &[u8], mut i: usize, w: &mut WordState) -> usize {
        use crate::ascii_block::{run_len, shift_in, stretch, top, valid, BLOCK};
        if w.nonlatin {
            self.end_word(w);
        }
        let mut digits = 0u32; // open digit run
        let mut spaces = 0u32; // open space run (only 0, 1, 2+ matter)
        let mut newline = 0u64; // 1 if the previous byte was a newline
        let mut punct = 0u64; // 1 if the previous byte was punctuation
        let mut padded = [0u8; BLOCK];
        loop {
            let (blk, m, n) = stretch(b, i, &mut padded);
            if n == 0 {
                break;
            }
            let v = valid(n);
            let (l, d) = (m.letter & v, m.digit & v);
            let (s, nl, p) = (m.space & v, m.newline & v, m.punct & v);
            // Words: a word carried in ends here if the block does not start with a letter.
            if w.len > 0 && l & 1 == 0 {
                self.end_word(w);
            }
            let wl = w.len;
            let ends = l & !(l >> 1) & (v >> 1);
            // r_k: a run of at least k letters ends here (the carried word counts). The same
            // masks of the bytes before the block: the open word's last letters, `top(wl)`;
            // shifting it left by j gives `top(wl - j)`.
            let t = top(wl);
            let r2 = l & shift_in(l, t, 1);
            let r3 = r2 & shift_in(l, t, 2);
            let r4 = r2 & shift_in(r2, t << 1, 2);
            let r6 = r3 & shift_in(r3, t << 2, 3);
            let r9 = r6 & shift_in(r3, t << 2, 6);
            let r13 = r9 & shift_in(r4, t << 3, 9);
            let count = |x: u64| (ends & x).count_ones();
            let (n1, n3, n6, n9) = (count(!0), count(r3), count(r6), count(r9));
            self.c[idx::W_1_2] += n1 - n3;
            self.c[idx::W_3_5] += n3 - n6;
            self.c[idx::W_6_8] += n6 - n9;
            let mut long = ends & r13;
            self.c[idx::W_9_12] += n9 - long.count_ones();
            while long != 0 {
                let e = long.trailing_zeros();
                self.c[idx::W_LONG_CHARS] += run_len(l, e, wl);
                long &= long - 1;
            }
            let carry_lower = u64::from(wl > 0 && w.prev_lower);
            let camel = m.upper & v & ((m.lower << 1) | carry_lower);
            self.c[idx::CAMEL] += camel.count_ones();
            let last = n as u32 - 1;
            if l >> last & 1 == 1 {
                w.len = run_len(l, last, wl);
                w.prev_lower = m.lower >> last & 1 == 1;
            } else {
                *w = WordState::default();
            }
            // Digit runs count ⌈len / 3⌉ groups each, when they end.
            if d & 1 == 0 {
                self.c[idx::DIGIT_GROUPS] += digits.div_ceil(3);
                digits = 0;
            }
            let mut dends = d & !(d >> 1) & (v >> 1);
            while dends != 0 {
                let e = dends.trailing_zeros();
                self.c[idx::DIGIT_GROUPS] += run_len(d, e, digits).div_ceil(3);
                digits = 0;
                dends &= dends - 1;
            }
            digits = if d >> last & 1 == 1 {
                run_len(d, last, digits)
            } else {
                0
            };
            // Space runs of two or more: count each run at its second byte.
            let second = s & shift_in(s, top(spaces), 1) & !shift_in(s, top(spaces), 2);
            self.c[idx::SPACE_RUNS] += second.count_ones();
            spaces = if s >> last & 1 == 1 {
                run_len(s, last, spaces).min(2)
            } else {
                0
            };
            self.c[idx::NEWLINE_RUNS] += (nl & !((nl << 1) | newline)).count_ones();
            newline = nl >> last & 1;
            self.c[idx::PUNCT_RUNS] += (p & !((p << 1) | punct)).count_ones();
            punct = p >> last & 1;
            self.c[idx::PUNCT] += p.count_ones();
            let mut rest = p;
            while rest != 0 {
                self.punct_kind(blk[rest.trailing_zeros() as usize]);
                rest &= rest - 1;
            }
            self.chars += n as u32;
            i += n;
            if n < crate::ascii_block::BLOCK || i == b.len() {
                break;
            }
        }
        self.c[idx::DIGIT_GROUPS] += digits.div_ceil(3);
        i
    }

    /// The counters of particular punctuation (the block path counts `PUNCT` itself).
    #[inline]
    fn punct_kind(&mut self, byte: u8) {
        match byte {
            b'?' => self.qmarks += 1,
            b'{' => self.braces += 1,
            b'=' | b'+' | b'^' | b'*' | b'/' | b'<' | b'>' => self.math_ops += 1,
            b'$' => self.dollars += 1,
            b'\\' => self.backslashes += 1,
            b'`' => self.backticks += 1,
            b'|' => self.pipes += 1,
            b'"' => self.quotes += 1,
            b':' => self.colons += 1,
            b';' => self.semicolons += 1,
            _ => {}
        }
    }

    fn non_ascii(&mut self, cp: u32, w: &mut WordState) {
        let (slot, wordy) = classify_cp(cp);
        self.c[slot] += 1;
        match cp {
            0x0900..=0x097F => self.devanagari += 1,
            0x0590..=0x05FF => self.hebrew += 1,
            0xFF1F | 0x061F => self.qmarks += 1, // fullwidth and Arabic question marks
            0x2200..=0x22FF | 0x00B1 | 0x00D7 | 0x00F7 | 0x03C0 => self.math_ops += 1,
            _ => {}
        }
        if slot == idx::LATIN_EXT {
            if w.nonlatin {
                self.end_word(w);
            }
            w.len += 1;
            w.prev_lower = true;
        } else if wordy {
            if w.len > 0 && !w.nonlatin {
                self.end_word(w);
            }
            w.nonlatin = true;
        } else {
            self.end_word(w);
        }
    }

    pub fn of(text: &str) -> Self {
        let mut s = TextStats::default();
        s.add(text);
        s
    }

    /// Dominant script by letter counts.
    pub fn script(&self) -> Script {
        let latin = self.c[idx::W_1_2] * 2
            + self.c[idx::W_3_5] * 4
            + self.c[idx::W_6_8] * 7
            + self.c[idx::W_9_12] * 10
            + self.c[idx::W_LONG_CHARS]
            + self.c[idx::LATIN_EXT];
        let arabic = self.c[idx::ARABIC_HEBREW] - self.hebrew;
        let indic_other = self.c[idx::INDIC] - self.devanagari;
        let cjk = self.c[idx::HAN] + self.c[idx::KANA];
        let candidates = [
            (latin, Script::Latin),
            (self.c[idx::CYRILLIC], Script::Cyrillic),
            (self.c[idx::GREEK], Script::Greek),
            (arabic, Script::Arabic),
            (self.hebrew, Script::Hebrew),
            (self.devanagari, Script::Devanagari),
            (indic_other, Script::OtherIndic),
            (self.c[idx::THAI], Script::Thai),
            // CJK characters carry several letters' worth of meaning each.
            (
                cjk * 3,
                if self.c[idx::KANA] * 10 >= cjk && cjk > 0 {
                    Script::Japanese
                } else {
                    Script::Han
                },
            ),
            (self.c[idx::HANGUL] * 2, Script::Hangul),
        ];
        let mut best = (0u32, Script::Unknown);
        for (n, s) in candidates {
            if n > best.0 {
                best = (n, s);
            }
        }
        best.1
    }
}

/// Decode the code point starting at `i` of valid UTF-8; returns (code point, byte width).
#[inline]
fn decode(b: &[u8], i: usize) -> (u32, usize) {
    let b0 = b[i] as u32;
    let cont = |k: usize| (b.get(i + k).copied().unwrap_or(0x80) as u32) & 0x3F;
    if b0 < 0xE0 {
        (((b0 & 0x1F) << 6) | cont(1), 2)
    } else if b0 < 0xF0 {
        (((b0 & 0x0F) << 12) | (cont(1) << 6) | cont(2), 3)
    } else {
        (
            ((b0 & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3),
            4,
        )
    }
}

#[cfg(test)]
mod reference;

#[cfg(test)]
mod tests;
