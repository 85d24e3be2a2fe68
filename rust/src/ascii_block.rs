//! Byte-class bitmasks of a 64-byte block: bit `i` of a mask says what byte `i` is.
//!
//! Most prompts are ASCII prose, and walking them a byte at a time (a branch per byte, a state
//! machine per word) was most of what `route()` cost. With the classes of 64 bytes as bit masks,
//! word boundaries, run starts and run lengths become a few shifts, ANDs and popcounts per
//! block (the simdjson way); only events that need per-item work (a word's hash, a rare
//! punctuation counter) are visited, one set bit at a time.
//!
//! SSE2 is part of the x86-64 baseline, so the fast path needs no runtime detection; other
//! targets use the portable table version (the tests check the two agree on random blocks).

pub const BLOCK: usize = 64;

/// Which bytes of a block are what. `letter` is `a-zA-Z`; `punct` is ASCII punctuation
/// (`char::is_ascii_punctuation`); `space` is space and tab; `newline` is LF and CR; bytes of
/// no mask are other control characters; `non_ascii` is every byte ≥ 0x80.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masks {
    pub letter: u64,
    pub lower: u64,
    pub upper: u64,
    pub digit: u64,
    pub space: u64,
    pub newline: u64,
    pub punct: u64,
    pub underscore: u64,
    pub non_ascii: u64,
}

/// The block at `b[at..]`, zero-padded past the end (NUL is a control byte: in no mask).
#[inline]
pub fn load(b: &[u8], at: usize) -> [u8; BLOCK] {
    let mut blk = [0u8; BLOCK];
    let end = (at + BLOCK).min(b.len());
    blk[..end - at].copy_from_slice(&b[at..end]);
    blk
}

/// The block at `b[at..]` (borrowed, or copied into `padded` near the end of `b`), its
/// classes, and how many of its bytes belong to the ASCII stretch starting at `at`: up to the
/// first non-ASCII byte or the end of `b`.
#[inline]
pub fn stretch<'a>(
    b: &'a [u8],
    at: usize,
    padded: &'a mut [u8; BLOCK],
) -> (&'a [u8; BLOCK], Masks, usize) {
    let blk: &[u8; BLOCK] = match b.get(at..at + BLOCK) {
        Some(full) => full.try_into().expect("64 bytes"),
        None => {
            *padded = load(b, at);
            padded
        }
    };
    let m = classify(blk);
    let n = (b.len() - at).min(m.non_ascii.trailing_zeros() as usize);
    (blk, m, n)
}

/// The classes of a block.
#[inline]
pub fn classify(blk: &[u8; BLOCK]) -> Masks {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is always available on x86_64.
        unsafe { sse2::classify(blk) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        portable(blk)
    }
}

/// Base64 bytes of a block (standard and URL-safe alphabets: `A-Za-z0-9+/-_`), for the
/// guards' encoded-blob search.
#[inline]
pub fn base64(blk: &[u8; BLOCK]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is always available on x86_64.
        unsafe { sse2::base64(blk) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        base64_portable(blk)
    }
}

/// `base64`, one byte at a time (the reference).
pub fn base64_portable(blk: &[u8; BLOCK]) -> u64 {
    blk.iter().enumerate().fold(0, |m, (i, &c)| {
        let yes = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_');
        m | u64::from(yes) << i
    })
}

/// A block's bytes as word hashing reads them: ASCII letters lower-cased, digits folded to
/// `0`, every other byte unchanged; eight zero bytes of padding let a `u64` load start at any
/// byte of the block.
#[inline]
pub fn fold_words(blk: &[u8; BLOCK]) -> [u8; BLOCK + 8] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is always available on x86_64.
        unsafe { sse2::fold_words(blk) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        fold_words_portable(blk)
    }
}

/// `fold_words` one byte at a time (the reference).
pub fn fold_words_portable(blk: &[u8; BLOCK]) -> [u8; BLOCK + 8] {
    let mut out = [0u8; BLOCK + 8];
    for (o, &c) in out.iter_mut().zip(blk) {
        *o = if c.is_ascii_alphabetic() {
            c | 0x20
        } else if c.is_ascii_digit() {
            b'0'
        } else {
            c
        };
    }
    out
}

/// The classes of a block, one byte at a time (the reference the SIMD version must match).
pub fn portable(blk: &[u8; BLOCK]) -> Masks {
    let mut m = Masks::default();
    for (i, &c) in blk.iter().enumerate() {
        let bit = 1u64 << i;
        let set = |mask: &mut u64, yes: bool| *mask |= if yes { bit } else { 0 };
        set(&mut m.letter, c.is_ascii_alphabetic());
        set(&mut m.lower, c.is_ascii_lowercase());
        set(&mut m.upper, c.is_ascii_uppercase());
        set(&mut m.digit, c.is_ascii_digit());
        set(&mut m.space, c == b' ' || c == b'\t');
        set(&mut m.newline, c == b'\n' || c == b'\r');
        set(&mut m.punct, c.is_ascii_punctuation());
        set(&mut m.underscore, c == b'_');
        set(&mut m.non_ascii, c >= 0x80);
    }
    m
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use super::{Masks, BLOCK};
    use std::arch::x86_64::*;

    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn bits(v: __m128i) -> u64 {
        u64::from(_mm_movemask_epi8(v) as u16)
    }

    /// `lo <= x <= hi` per byte (signed compares: bytes ≥ 0x80 are negative, so never in an
    /// ASCII range).
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn range(x: __m128i, lo: u8, hi: u8) -> __m128i {
        _mm_and_si128(
            _mm_cmpgt_epi8(x, _mm_set1_epi8(lo as i8 - 1)),
            _mm_cmplt_epi8(x, _mm_set1_epi8(hi as i8 + 1)),
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn eq(x: __m128i, c: u8) -> __m128i {
        _mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8))
    }

    #[target_feature(enable = "sse2")]
    pub unsafe fn classify(blk: &[u8; BLOCK]) -> Masks {
        let mut m = Masks::default();
        for k in 0..BLOCK / 16 {
            // SAFETY: `blk` has 64 bytes; this reads bytes 16k..16k+16 (unaligned load).
            let x = _mm_loadu_si128(blk.as_ptr().add(16 * k).cast());
            let folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
            let letter = range(folded, b'a', b'z');
            let lower = _mm_and_si128(letter, eq(_mm_and_si128(x, _mm_set1_epi8(0x20)), 0x20));
            let digit = range(x, b'0', b'9');
            let graphic = range(x, 0x21, 0x7E);
            let punct = _mm_andnot_si128(_mm_or_si128(letter, digit), graphic);
            let s = 16 * k as u32;
            m.letter |= bits(letter) << s;
            m.lower |= bits(lower) << s;
            m.digit |= bits(digit) << s;
            m.punct |= bits(punct) << s;
            m.space |= bits(_mm_or_si128(eq(x, b' '), eq(x, b'\t'))) << s;
            m.newline |= bits(_mm_or_si128(eq(x, b'\n'), eq(x, b'\r'))) << s;
            m.underscore |= bits(eq(x, b'_')) << s;
            m.non_ascii |= bits(x) << s;
        }
        m.upper = m.letter & !m.lower;
        m
    }

    #[target_feature(enable = "sse2")]
    pub unsafe fn base64(blk: &[u8; BLOCK]) -> u64 {
        let mut m = 0;
        for k in 0..BLOCK / 16 {
            // SAFETY: `blk` has 64 bytes; this reads bytes 16k..16k+16 (unaligned load).
            let x = _mm_loadu_si128(blk.as_ptr().add(16 * k).cast());
            let folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
            let alnum = _mm_or_si128(range(folded, b'a', b'z'), range(x, b'0', b'9'));
            let plus_slash = _mm_or_si128(eq(x, b'+'), eq(x, b'/'));
            let url = _mm_or_si128(eq(x, b'-'), eq(x, b'_'));
            m |= bits(_mm_or_si128(alnum, _mm_or_si128(plus_slash, url))) << (16 * k);
        }
        m
    }

    #[target_feature(enable = "sse2")]
    pub unsafe fn fold_words(blk: &[u8; BLOCK]) -> [u8; BLOCK + 8] {
        let mut out = [0u8; BLOCK + 8];
        for k in 0..BLOCK / 16 {
            // SAFETY: both buffers hold at least 16k + 16 bytes.
            let x = _mm_loadu_si128(blk.as_ptr().add(16 * k).cast());
            let upper = range(x, b'A', b'Z');
            let digit = range(x, b'0', b'9');
            let y = _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
            let y = _mm_andnot_si128(_mm_and_si128(digit, _mm_set1_epi8(0x0F)), y);
            _mm_storeu_si128(out.as_mut_ptr().add(16 * k).cast(), y);
        }
        out
    }
}

/// `(x << k)` with the `k` bits shifted in taken from the top of `before` (the same mask of
/// the 64 bytes preceding the block). `1 <= k < 64`.
#[inline]
pub fn shift_in(x: u64, before: u64, k: u32) -> u64 {
    (x << k) | (before >> (64 - k))
}

/// A mask of the 64 bytes before a block in which only the last `n` bytes (a run still open
/// at the block boundary) are set.
#[inline]
pub fn top(n: u32) -> u64 {
    match n {
        0 => 0,
        1..=63 => !0u64 << (64 - n),
        _ => !0,
    }
}

/// Length of the run of `mask` that ends at bit `e`, where `carried` bytes of the run lie
/// before the block (they count only if the run reaches bit 0).
#[inline]
pub fn run_len(mask: u64, e: u32, carried: u32) -> u32 {
    let below = !mask & ((1u64 << e) - 1);
    if below == 0 {
        e + 1 + carried
    } else {
        e - (63 - below.leading_zeros())
    }
}

/// The valid-bytes mask of a block holding `n` bytes (`n <= 64`).
#[inline]
pub fn valid(n: usize) -> u64 {
    if n >= BLOCK {
        !0
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn classes() {
        let blk = load(b"aZ9 \t\n\r_.\x01\xc3\xa9", 0);
        let m = classify(&blk);
        assert_eq!(m.letter, 0b11);
        assert_eq!(m.lower, 0b01);
        assert_eq!(m.upper, 0b10);
        assert_eq!(m.digit, 0b100);
        assert_eq!(m.space, 0b11000);
        assert_eq!(m.newline, 0b1100000);
        assert_eq!(m.underscore, 1 << 7);
        assert_eq!(m.punct, (1 << 7) | (1 << 8));
        assert_eq!(m.non_ascii, 0b11 << 10);
    }

    #[test]
    fn run_lengths() {
        assert_eq!(run_len(0b0111_0000, 6, 9), 3);
        assert_eq!(run_len(0b0000_0111, 2, 9), 12);
        assert_eq!(top(3), 0b111 << 61);
        assert_eq!(shift_in(0b1, top(2), 2), 0b111);
    }

    proptest! {
        #[test]
        fn simd_matches_portable(v in proptest::collection::vec(any::<u8>(), 64)) {
            let mut blk = [0u8; BLOCK];
            blk.copy_from_slice(&v);
            prop_assert_eq!(classify(&blk), portable(&blk));
        }

        #[test]
        fn fold_matches_portable(v in proptest::collection::vec(any::<u8>(), 64)) {
            let mut blk = [0u8; BLOCK];
            blk.copy_from_slice(&v);
            prop_assert_eq!(fold_words(&blk), fold_words_portable(&blk));
        }

        #[test]
        fn base64_matches_portable(v in proptest::collection::vec(any::<u8>(), 64)) {
            let mut blk = [0u8; BLOCK];
            blk.copy_from_slice(&v);
            prop_assert_eq!(base64(&blk), base64_portable(&blk));
        }

        #[test]
        fn simd_matches_portable_ascii(s in "[ -~\\t\\n\\r]{64}") {
            let blk = load(s.as_bytes(), 0);
            prop_assert_eq!(classify(&blk), portable(&blk));
        }
    }
}
