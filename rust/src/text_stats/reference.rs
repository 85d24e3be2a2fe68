//! The byte-at-a-time counting `add` replaced: the oracle the block version must match.

use super::*;

// ASCII byte classes.
const OTHER: u8 = 0;
const LOWER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 3;
const SPACE: u8 = 4;
const NEWLINE: u8 = 5;
const PUNCT: u8 = 6;

const fn ascii_table() -> [u8; 128] {
    let mut t = [OTHER; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_lowercase() {
            LOWER
        } else if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_digit() {
            DIGIT
        } else if b == b' ' || b == b'\t' {
            SPACE
        } else if b == b'\n' || b == b'\r' {
            NEWLINE
        } else if b.is_ascii_punctuation() {
            PUNCT
        } else {
            OTHER
        };
        i += 1;
    }
    t
}
static ASCII: [u8; 128] = ascii_table();

fn punct(s: &mut TextStats, byte: u8) {
    s.punct_kind(byte);
    s.c[idx::PUNCT] += 1;
}

pub fn add(s: &mut TextStats, text: &str) {
    let b = text.as_bytes();
    let n = b.len();
    let mut i = 0;
    let mut w = WordState::default();
    let mut prev = OTHER; // class of the previous ASCII char (OTHER after non-ASCII)
    while i < n {
        let byte = b[i];
        if byte >= 0x80 {
            // Non-ASCII: decode one code point (the input is valid UTF-8).
            let (cp, width) = decode(b, i);
            i += width;
            s.chars += 1;
            prev = OTHER;
            s.non_ascii(cp, &mut w);
            continue;
        }
        let cls = ASCII[byte as usize];
        let start = i;
        i += 1;
        match cls {
            LOWER | UPPER => {
                if w.nonlatin {
                    s.end_word(&mut w);
                }
                // Count lower→upper transitions (camelCase) inside the run; lowercase
                // letters, the common case, go through the tightest loop.
                let mut camel = (w.prev_lower && cls == UPPER) as u32;
                loop {
                    while i < n && b[i].is_ascii_lowercase() {
                        i += 1;
                    }
                    if i < n && b[i].is_ascii_uppercase() {
                        camel += b[i - 1].is_ascii_lowercase() as u32;
                        i += 1;
                    } else {
                        break;
                    }
                }
                let last_lower = b[i - 1].is_ascii_lowercase();
                s.c[idx::CAMEL] += camel;
                w.len += (i - start) as u32;
                w.prev_lower = last_lower;
            }
            DIGIT => {
                s.end_word(&mut w);
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
                s.c[idx::DIGIT_GROUPS] += ((i - start) as u32).div_ceil(3);
            }
            SPACE => {
                s.end_word(&mut w);
                while i < n && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                if i - start >= 2 {
                    s.c[idx::SPACE_RUNS] += 1;
                }
            }
            NEWLINE => {
                s.end_word(&mut w);
                while i < n && (b[i] == b'\n' || b[i] == b'\r') {
                    i += 1;
                }
                if prev != NEWLINE {
                    s.c[idx::NEWLINE_RUNS] += 1;
                }
            }
            PUNCT => {
                s.end_word(&mut w);
                punct(s, byte);
                while i < n && b[i] < 0x80 && ASCII[b[i] as usize] == PUNCT {
                    punct(s, b[i]);
                    i += 1;
                }
                s.c[idx::PUNCT_RUNS] += 1;
            }
            _ => s.end_word(&mut w),
        }
        s.chars += (i - start) as u32;
        prev = cls;
    }
    s.end_word(&mut w);
}
