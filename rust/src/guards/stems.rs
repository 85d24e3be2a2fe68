//! Words and crude stems for the off-topic document rule (`offtopic.rs`): runs of word
//! bytes split at ASCII punctuation and at the no-break space and General Punctuation, and
//! a five-byte key per word, compared with a two-byte prefilter.

/// A byte of a word where a line's first words are cut (any non-ASCII byte counts).
pub(super) fn is_word_byte(b: u8) -> bool {
    b >= 0x80 || b.is_ascii_alphanumeric()
}

/// Bytes of the separator at `text[i]`, 0 inside a word: ASCII non-alphanumerics, and the
/// no-break space (U+00A0) and General Punctuation (U+2000–U+203F: dashes, curly quotes,
/// bullets) that tables and mails put between words ("Iraq\u{a0}(IRQ)", "••7681"). Other
/// non-ASCII chars count as letters.
pub(super) fn sep_len(text: &[u8], i: usize) -> usize {
    match text[i] {
        b if b < 0x80 => usize::from(!b.is_ascii_alphanumeric()),
        0xC2 if text.get(i + 1) == Some(&0xA0) => 2,
        0xE2 if text.get(i + 1) == Some(&0x80) => 3,
        _ => 0,
    }
}

/// The words of `text` (runs of word bytes) as byte ranges, lazily: callers stop early.
pub(super) fn word_ranges(text: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            if i >= text.len() {
                return None;
            }
            match sep_len(text, i) {
                0 => break,
                k => i += k,
            }
        }
        let s = i;
        while i < text.len() && sep_len(text, i) == 0 {
            i += 1;
        }
        Some((s, i))
    })
}

/// Words of `hay` whose stem is one of `stems`, counted up to `limit`.
pub(super) fn stems_in(hay: &[u8], stems: &[u64], limit: usize) -> usize {
    // A filter on each stem's first two bytes (lowercase, 1024 bits): most words are
    // skipped on those alone.
    let key = |a: u8, b: u8| (usize::from(a) * 31 + usize::from(b)) & 1023;
    let mut pair = [0u64; 16];
    for &k in stems {
        let len = (k >> 56) as u32;
        let (a, b) = ((k >> (8 * (len - 1))) as u8, (k >> (8 * (len - 2))) as u8);
        let h = key(a, b);
        pair[h / 64] |= 1 << (h % 64);
    }
    let mut n = 0;
    for (s, e) in word_ranges(hay) {
        if n >= limit {
            break;
        }
        let w = &hay[s..e];
        if w.len() >= 2 {
            let h = key(w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
            if pair[h / 64] >> (h % 64) & 1 != 0 {
                n += usize::from(stems.contains(&stem(w)));
            }
        }
    }
    n
}

/// Key of a content word: its first five bytes, ASCII-lowercased (a crude stem).
pub(super) fn stem(w: &[u8]) -> u64 {
    let mut k = 0u64;
    for &b in w.iter().take(5) {
        k = k << 8 | u64::from(b.to_ascii_lowercase());
    }
    k | (w.len().min(5) as u64) << 56
}
