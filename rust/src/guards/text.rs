//! Byte-level helpers shared by the detectors. Everything works on `&[u8]` so no
//! index can ever split a UTF-8 sequence into a `&str` slice (no panics by construction).

/// ASCII letter, digit or underscore: the bytes that glue a token together.
#[inline]
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True if the byte before `i` does not continue a token (start of text counts).
#[inline]
pub fn boundary_before(bytes: &[u8], i: usize) -> bool {
    i == 0 || bytes.get(i - 1).is_none_or(|&b| !is_word(b))
}

/// True if the byte at `i` does not continue a token (end of text counts).
#[inline]
pub fn boundary_after(bytes: &[u8], i: usize) -> bool {
    bytes.get(i).is_none_or(|&b| !is_word(b))
}

/// Case-insensitive (ASCII) search for any of `needles` (lowercase) in `bytes[lo..hi]`,
/// clamped to the text. Windows are small (tens of bytes), so a naive scan is cheapest.
pub fn window_has(bytes: &[u8], lo: usize, hi: usize, needles: &[&[u8]]) -> bool {
    let hi = hi.min(bytes.len());
    let lo = lo.min(hi);
    let mut buf = [0u8; 96];
    let w = &bytes[lo..hi];
    let w = if w.len() > buf.len() {
        &w[w.len() - buf.len()..]
    } else {
        w
    };
    for (d, s) in buf.iter_mut().zip(w) {
        *d = s.to_ascii_lowercase();
    }
    let hay = &buf[..w.len()];
    // Windows are tiny: a naive scan beats building a memmem searcher per needle.
    needles.iter().any(|n| match n.split_first() {
        Some((&first, rest)) => hay
            .iter()
            .enumerate()
            .any(|(i, &b)| b == first && hay.get(i + 1..i + 1 + rest.len()) == Some(rest)),
        None => false,
    })
}

/// `window_has` over the `n` bytes before `at`.
pub fn before_has(bytes: &[u8], at: usize, n: usize, needles: &[&[u8]]) -> bool {
    window_has(bytes, at.saturating_sub(n), at, needles)
}

/// Index of the first ASCII digit in `bytes[from..]`. Digits are sparse in prose and two
/// detectors (numbers, IBANs) jump from digit to digit, so this tests eight bytes per
/// step: a SWAR range test ("has a byte between 0x2F and 0x3A", exact per byte since no
/// lane can carry or borrow into the next).
pub fn next_digit(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        let x = u64::from_le_bytes(lanes);
        let low = x & (ONES * 0x7F);
        let below = (ONES * (0x7F + b'9' as u64 + 1)).wrapping_sub(low);
        let above = low.wrapping_add(ONES * (0x7F - (b'0' as u64 - 1)));
        let hit = below & !x & above & (ONES * 0x80);
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| i + p)
}

/// Converts sorted, non-decreasing byte offsets into code-point offsets in one pass.
/// Offsets inside a multi-byte sequence round down to the containing character.
pub fn byte_to_char_offsets(text: &str, offsets: &mut [usize]) {
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    let mut chars = 0usize;
    for off in offsets.iter_mut() {
        let target = (*off).min(bytes.len());
        if target >= pos {
            chars += bytes[pos..target]
                .iter()
                .filter(|&&b| (b & 0xC0) != 0x80)
                .count();
            pos = target;
        }
        *off = chars;
    }
}

/// Bit `j` set for each byte of `blk` that starts a char (any byte but a UTF-8
/// continuation byte `10xxxxxx`), eight bytes per step: bit 7 set and bit 6 clear.
#[inline]
pub fn char_starts(blk: &[u8; 64]) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut cont = 0u64;
    for (k, lane) in blk.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(lane);
        let x = u64::from_le_bytes(b);
        // Bit 6 of a byte moves to bit 7 of the same byte (bit 7 leaves it).
        let t = x & !(x << 1) & HIGH;
        // The eight high bits gathered into one byte (no carries: one bit per lane).
        cont |= ((t >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k);
    }
    !cont
}

/// Code point of the char whose UTF-8 encoding starts at `b[0]` (`b[1..4]` hold the
/// bytes after it, anything past the char). Valid UTF-8 only (a `str`'s bytes): no
/// check, and no branch on the length, which varies unpredictably in mixed-script text.
#[inline]
pub fn decode_lead(b: [u8; 4]) -> u32 {
    // Per high nibble of the lead byte: payload mask of the lead, and 6 × (4 − length).
    const LEAD: [u8; 16] = [
        0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0x7F, 0, 0, 0, 0, 0x1F, 0x1F, 0x0F, 0x07,
    ];
    const SHIFT: [u8; 16] = [18, 18, 18, 18, 18, 18, 18, 18, 0, 0, 0, 0, 12, 12, 6, 0];
    let hi = usize::from(b[0] >> 4);
    let all = u32::from(b[0] & LEAD[hi]) << 18
        | u32::from(b[1] & 0x3F) << 12
        | u32::from(b[2] & 0x3F) << 6
        | u32::from(b[3] & 0x3F);
    all >> SHIFT[hi]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn block_char_starts_and_decoding_match_std(t in "\\PC{0,80}") {
            let bytes = t.as_bytes();
            let mut at = 0;
            while at < bytes.len() {
                let mut blk = [0u8; 64];
                let n = (bytes.len() - at).min(64);
                blk[..n].copy_from_slice(&bytes[at..at + n]);
                let starts = char_starts(&blk);
                for j in 0..n {
                    let is_start = t.is_char_boundary(at + j);
                    prop_assert_eq!(starts >> j & 1 != 0, is_start, "{:?} at {}", t, at + j);
                    if is_start {
                        let mut b = [0u8; 4];
                        for (k, x) in b.iter_mut().enumerate() {
                            *x = bytes.get(at + j + k).copied().unwrap_or(0);
                        }
                        let want = t[at + j..].chars().next().map(u32::from);
                        prop_assert_eq!(Some(decode_lead(b)), want, "{:?}", t);
                    }
                }
                at += n;
            }
        }
    }

    #[test]
    fn windows() {
        let t = b"Please call me at";
        assert!(before_has(t, t.len(), 40, &[b"call"]));
        assert!(!before_has(t, 3, 40, &[b"call"]));
        assert!(window_has(t, 0, 999, &[b"please"]));
    }

    #[test]
    fn digits() {
        let all: Vec<u8> = (0..=255).collect();
        for from in 0..all.len() {
            let want = all[from..]
                .iter()
                .position(u8::is_ascii_digit)
                .map(|p| from + p);
            assert_eq!(next_digit(&all, from), want, "from {from}");
        }
        let t = b"no digits here, only words and \xc3\xa9 / : 9";
        assert_eq!(next_digit(t, 0), Some(t.len() - 1));
        assert_eq!(next_digit(b"abc", 5), None);
        for b in 0..=255u8 {
            let mut t = [b'x'; 11];
            t[9] = b;
            let want = if b.is_ascii_digit() { Some(9) } else { None };
            assert_eq!(next_digit(&t, 0), want, "byte {b}");
        }
    }

    #[test]
    fn char_offsets() {
        let s = "é@a.bc x";
        let mut o = [0, 2, 3, 9];
        byte_to_char_offsets(s, &mut o);
        assert_eq!(o, [0, 1, 2, 8]);
    }
}
