//! What `Normalized` does with each non-ASCII char of the Basic Multilingual Plane,
//! worked out once per process: a 64 K-entry table, so Cyrillic, Greek, CJK, Devanagari,
//! Arabic or accented Latin text costs a table load per char instead of a compatibility
//! decomposition, a lowercase mapping and a Unicode property lookup (the char-by-char
//! path made a 1 KB Hindi or Russian prompt ten times dearer to fold than English).
//!
//! An entry describes a char whose folding is one plain step: its decomposition, with the
//! dropped combining accents removed, is one char, that char lowercases to one char `l`,
//! and the char is neither invisible nor a fullwidth/mathematical/circled letter form
//! (those set obfuscation flags). Every other char has entry 0 and takes the general path.

use std::sync::LazyLock;

use unicode_normalization::char::decompose_compatible;

/// Entry bits: the folded char `l` in the low 21 bits, then these flags.
const VALID: u32 = 1 << 23;
const ALNUM: u32 = 1 << 21;
const GLYPH: u32 = 1 << 22;

/// One char's fold: the char `Normalized::push_char` receives, whether it is
/// alphanumeric, and whether it is a Latin look-alike (`normalize::homoglyph`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub ch: char,
    pub alnum: bool,
    pub glyph: bool,
}

static TABLE: LazyLock<Box<[u32]>> = LazyLock::new(|| (0..=0xFFFFu32).map(entry).collect());

/// The fold of the char `c` (None: take the general path).
#[inline]
pub fn lookup(c: u32) -> Option<Fold> {
    let e = *TABLE.get(c as usize)?;
    if e & VALID == 0 {
        return None;
    }
    Some(Fold {
        ch: char::from_u32(e & 0x1F_FFFF)?,
        alnum: e & ALNUM != 0,
        glyph: e & GLYPH != 0,
    })
}

/// The BMP char at `bytes[i]` (a 2- or 3-byte UTF-8 sequence in valid UTF-8) and its
/// length; None for ASCII and 4-byte sequences.
#[inline]
pub fn bmp_at(bytes: &[u8], i: usize) -> Option<(u32, usize)> {
    let b0 = u32::from(*bytes.get(i)?);
    let cont = |k: usize| bytes.get(i + k).map(|&b| u32::from(b) & 0x3F);
    match b0 {
        0xC0..=0xDF => Some(((b0 & 0x1F) << 6 | cont(1)?, 2)),
        0xE0..=0xEF => Some(((b0 & 0x0F) << 12 | cont(1)? << 6 | cont(2)?, 3)),
        _ => None,
    }
}

fn entry(cp: u32) -> u32 {
    let Some(c) = char::from_u32(cp) else {
        return 0;
    };
    // ASCII, invisibles and the letter forms that count as obfuscation keep their own
    // handling in `Normalized`.
    // Hangul syllables are kept whole (NFKD would split them into jamo).
    if ('\u{AC00}'..='\u{D7A3}').contains(&c) {
        return u32::from(c) | VALID | ALNUM;
    }
    if c.is_ascii()
        || super::normalize::invisible(c)
        || matches!(c, '\u{FF00}'..='\u{FFEF}' | '\u{2460}'..='\u{24FF}')
    {
        return 0;
    }
    let mut kept = Vec::new();
    decompose_compatible(c, |d| {
        if !('\u{0300}'..='\u{036F}').contains(&d) {
            kept.push(d);
        }
    });
    let [d] = kept[..] else {
        return 0;
    };
    let mut lower = d.to_lowercase();
    let (Some(l), None) = (lower.next(), lower.next()) else {
        return 0;
    };
    let alnum = l.is_alphanumeric();
    // Digits and '@'/'$' feed the leetspeak counters: general path.
    if l.is_ascii_digit() || l == '@' || l == '$' {
        return 0;
    }
    let glyph = alnum && !l.is_ascii_alphabetic() && super::normalize::homoglyph(l).is_some();
    u32::from(l) | VALID | if alnum { ALNUM } else { 0 } | if glyph { GLYPH } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        let f = |c: char| lookup(u32::from(c));
        assert_eq!(f('é').map(|x| x.ch), Some('e'));
        assert_eq!(f('Д').map(|x| (x.ch, x.alnum)), Some(('д', true)));
        assert_eq!(f('а').map(|x| x.glyph), Some(true)); // Cyrillic a
        assert_eq!(
            f('中').map(|x| (x.ch, x.alnum, x.glyph)),
            Some(('中', true, false))
        );
        assert_eq!(f('。').map(|x| x.alnum), Some(false));
        assert_eq!(f('\u{00A0}').map(|x| x.ch), Some(' '));
        assert_eq!(f('İ').map(|x| x.ch), Some('i'));
        assert_eq!(f('가').map(|x| (x.ch, x.alnum)), Some(('가', true)));
        for c in ['a', '\u{200B}', 'Ａ', '①', '…', '²'] {
            assert_eq!(f(c), None, "{c}");
        }
    }

    #[test]
    fn decodes_two_and_three_byte_chars() {
        for c in [
            'é', 'Д', '中', '\u{FFFF}', '\u{0080}', '\u{07FF}', '\u{0800}',
        ] {
            let s = c.to_string();
            assert_eq!(bmp_at(s.as_bytes(), 0), Some((u32::from(c), c.len_utf8())));
        }
        assert_eq!(bmp_at("a".as_bytes(), 0), None);
        assert_eq!(bmp_at("😀".as_bytes(), 0), None);
    }
}
