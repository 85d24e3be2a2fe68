//! The fast path of `Normalized::fill`: a clean ASCII stretch of up to 64 bytes taken in
//! one step; the byte-at-a-time loop in `normalize.rs` is its reference (`tests.rs`
//! compares them).

use super::{Normalized, Word};

impl Normalized {
    /// Takes in the longest clean stretch of up to 64 bytes at `bytes[i..]` in one step and
    /// returns its length (0: the next event needs the byte-at-a-time path). Clean bytes
    /// are ASCII letters, punctuation/control bytes other than `@`/`$`, and single
    /// whitespace chars (each folds to a space);
    /// words in the stretch have 2+ letters and no digit, so each word end would only reset
    /// the spaced-letter run. The stretch is then its own folded text (letters lowercased;
    /// a trailing space becomes the owed space), and the scanner state after it follows
    /// from the letter mask: the open word, the separators since the last word end.
    pub(super) fn clean_stretch(&mut self, bytes: &[u8], i: usize) -> usize {
        let st = &mut self.st;
        if st.run_len >= 3 || st.in_word && (st.word.real_digits > 0 || st.word.glyphs > 0) {
            return 0;
        }
        let n = (bytes.len() - i).min(64);
        let mut blk = [0u8; 64];
        blk[..n].copy_from_slice(&bytes[i..i + n]);
        let (letter, space, other) = classes(&mut blk);
        let valid = if n == 64 { !0u64 } else { (1u64 << n) - 1 };
        let in_word = u64::from(st.in_word);
        let prev_letter = (letter << 1) | in_word;
        // A one-letter word ending inside the window could start a spaced-out run
        // ("i g n o r e"), so it is an exception, unless the next word starts inside the
        // window with two letters: that word resets the run ("a cat", "I think"), so the
        // byte loop would keep nothing of it. (Taking every "a" and "I" of English on the
        // slow path cost ~1 µs per KB of new text.)
        let single = letter & !prev_letter & !(letter >> 1) & (valid >> 1);
        let starts = letter & !prev_letter;
        let multi = starts & (letter >> 1) & (valid >> 1);
        let spaces = space & ((space << 1) | u64::from(st.pending_space));
        // A word the letter mask cannot see (non-ASCII letters, digits, `@`/`$` are all
        // `other`) may come between: then the next ASCII word is not the next word.
        let blockers = other | spaces;
        let mut lone = 0u64;
        // With a run already open, a first single extends it: no exception taken then.
        let mut sg = if st.run_len == 0 { single } else { 0 };
        while sg != 0 {
            let p = sg.trailing_zeros();
            sg &= sg - 1;
            let next = (starts >> p >> 1).trailing_zeros() + p + 1;
            let blocked = (blockers >> p >> 1).trailing_zeros() + p + 1;
            if next < 64 && next < blocked && multi >> next & 1 != 0 {
                lone |= 1 << p;
            }
        }
        let mut bad = other | (single & !lone) | spaces;
        if self.text.is_empty() {
            bad |= space & 1;
        }
        // The open word ends at byte 0 with one letter: a spaced-letter candidate.
        if st.in_word && st.word.chars == 1 && letter & 1 == 0 {
            bad |= 1;
        }
        let k = (bad | !valid).trailing_zeros() as usize;
        if k == 0 {
            return 0;
        }
        let m = if k == 64 { !0u64 } else { (1u64 << k) - 1 };
        if st.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        let trailing_space = space >> (k - 1) & 1 != 0;
        st.pending_space = trailing_space;
        let base = self.text.len();
        let copy = k - usize::from(trailing_space);
        let stretch = &blk[..copy];
        debug_assert!(stretch.is_ascii());
        // SAFETY: the stretch is ASCII (`classes` counts every byte >= 0x80 as `other`,
        // an exception, so none is in it), hence valid UTF-8. Validating it again cost
        // ~50 mispredicted branches per KB of new text.
        self.text
            .push_str(unsafe { std::str::from_utf8_unchecked(stretch) });
        let non_word = !letter & m;
        let ends = non_word & prev_letter;
        if ends != 0 {
            let last = 63 - ends.leading_zeros();
            st.run_len = 0;
            st.gap = (non_word >> last).count_ones() as usize;
        } else {
            st.gap += non_word.count_ones() as usize;
        }
        if letter >> (k - 1) & 1 != 0 {
            let starts = letter & m & !prev_letter;
            if starts != 0 {
                let p0 = (63 - starts.leading_zeros()) as usize;
                st.word = Word {
                    start: base + p0,
                    chars: k - p0,
                    ascii_letters: k - p0,
                    ..Word::default()
                };
            } else {
                let w = &mut st.word;
                w.chars += k;
                w.ascii_letters += k;
                w.digit_letter |= w.last_digit;
                w.last_digit = false;
            }
            st.in_word = true;
        } else {
            st.in_word = false;
        }
        k
    }
}

/// Length of the run of ASCII letters at `bytes[i..]`, eight bytes per step (words are
/// most of a prompt): a SWAR range test on the bytes folded to lowercase, exact per
/// byte as no lane can carry into the next; bytes ≥ 0x80 never count.
pub(super) fn letters_at(bytes: &[u8], i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let mut j = i;
    while let Some(chunk) = bytes.get(j..j + 8) {
        let mut lanes = [0u8; 8];
        lanes.copy_from_slice(chunk);
        let x = u64::from_le_bytes(lanes);
        let low = (x | (ONES * 0x20)) & (ONES * 0x7F);
        let below = (ONES * (0x7F + b'z' as u64 + 1)).wrapping_sub(low);
        let above = low.wrapping_add(ONES * (0x7F - (b'a' as u64 - 1)));
        let letter = below & !x & above & (ONES * 0x80);
        let other = !letter & (ONES * 0x80);
        if other != 0 {
            return j - i + (other.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    j - i
        + bytes[j..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count()
}

/// Masks of a 64-byte block: ASCII letters; whitespace (space, tab, newline, VT, FF, CR);
/// bytes a clean stretch cannot hold (digits, `@`, `$`, every byte ≥ 0x80). ASCII letters
/// of the block are lowercased in place and whitespace becomes a space: the byte loop
/// folds every whitespace char alike (an owed space), so a stretch may span line breaks
/// (prompts are often many short lines; each break cost a failed attempt and a backoff).
#[inline]
pub(super) fn classes(blk: &mut [u8; 64]) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { classes_sse2(blk) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        classes_bytes(blk)
    }
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub(super) fn classes_bytes(blk: &mut [u8; 64]) -> (u64, u64, u64) {
    let (mut letter, mut space, mut other) = (0u64, 0u64, 0u64);
    for (j, c) in blk.iter_mut().enumerate() {
        let b = *c;
        c.make_ascii_lowercase();
        letter |= u64::from(b.is_ascii_alphabetic()) << j;
        let white = b == b' ' || (9..=13).contains(&b);
        if white {
            *c = b' ';
        }
        space |= u64::from(white) << j;
        let bad = b >= 0x80 || b.is_ascii_digit() || b == b'@' || b == b'$';
        other |= u64::from(bad) << j;
    }
    (letter, space, other)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
unsafe fn classes_sse2(blk: &mut [u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    let (mut letter, mut space, mut other) = (0u64, 0u64, 0u64);
    let set = |b: u8| _mm_set1_epi8(b as i8);
    for q in 0..4 {
        // SAFETY: 16 bytes at 16 * q lie inside the 64-byte block.
        let v = unsafe { _mm_loadu_si128(blk.as_ptr().add(16 * q).cast()) };
        // Signed compares: bytes ≥ 0x80 are negative, below every bound.
        let low = _mm_or_si128(v, set(0x20));
        let l = _mm_and_si128(
            _mm_cmpgt_epi8(low, set(b'a' - 1)),
            _mm_cmplt_epi8(low, set(b'z' + 1)),
        );
        let w = _mm_and_si128(_mm_cmpgt_epi8(v, set(8)), _mm_cmplt_epi8(v, set(14)));
        let s = _mm_or_si128(_mm_cmpeq_epi8(v, set(b' ')), w);
        // SAFETY: as for the load.
        unsafe {
            let lowered = _mm_or_si128(v, _mm_and_si128(l, set(0x20)));
            let spaced = _mm_or_si128(_mm_andnot_si128(w, lowered), _mm_and_si128(w, set(b' ')));
            _mm_storeu_si128(blk.as_mut_ptr().add(16 * q).cast(), spaced);
        }
        let d = _mm_and_si128(
            _mm_cmpgt_epi8(v, set(b'0' - 1)),
            _mm_cmplt_epi8(v, set(b'9' + 1)),
        );
        let at = _mm_or_si128(_mm_cmpeq_epi8(v, set(b'@')), _mm_cmpeq_epi8(v, set(b'$')));
        let o = _mm_or_si128(_mm_or_si128(d, at), v);
        let shift = 16 * q as u32;
        letter |= u64::from(_mm_movemask_epi8(l) as u16) << shift;
        space |= u64::from(_mm_movemask_epi8(s) as u16) << shift;
        other |= u64::from(_mm_movemask_epi8(o) as u16) << shift;
    }
    (letter, space, other)
}
