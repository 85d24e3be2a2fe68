//! What `Normalized` does with each non-ASCII char of the Basic Multilingual Plane,
//! worked out once per process: a 64 K-entry table, so Cyrillic, Greek, CJK, Devanagari,
//! Arabic or accented Latin text costs a table load per char instead of a compatibility
//! decomposition, a lowercase mapping and a Unicode property lookup (the char-by-char
//! path made a 1 KB Hindi or Russian prompt ten times dearer to fold than English).
//!
//! An entry describes a char whose folding (`normalize::fold_char`) is one plain step: it
//! folds to exactly one char, other than `@`, `$` or a digit (those feed the leetspeak
//! counters), and it is neither invisible nor a letter-like compatibility form (that sets
//! an obfuscation flag). Every other char has entry 0 and takes the general path.

use std::sync::LazyLock;

use super::normalize::{fold_char, invisible, is_glyph};

/// Entry bits: the folded char `l` in the low 21 bits, then these flags.
const VALID: u32 = 1 << 23;
const ALNUM: u32 = 1 << 21;
const GLYPH: u32 = 1 << 22;

/// One char's fold: the char `Normalized::push_char` receives, whether it is
/// alphanumeric, and whether it is a Latin look-alike (`normalize::is_glyph`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub ch: char,
    pub alnum: bool,
    pub glyph: bool,
}

static TABLE: LazyLock<Box<[u32]>> = LazyLock::new(|| (0..=0xFFFFu32).map(entry).collect());

/// The fold of the char `c` (None: take the general path).
#[inline]
pub fn lookup(c: char) -> Option<Fold> {
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

fn entry(cp: u32) -> u32 {
    let Some(c) = char::from_u32(cp) else {
        return 0;
    };
    // ASCII has its own fast paths; invisible chars set a flag.
    if c.is_ascii() || invisible(c) {
        return 0;
    }
    let mut out = Vec::new();
    if fold_char(c, |l| out.push(l)) {
        return 0;
    }
    let [l] = out[..] else {
        return 0;
    };
    if l.is_ascii_digit() || l == '@' || l == '$' {
        return 0;
    }
    let alnum = l.is_alphanumeric();
    u32::from(l) | VALID | if alnum { ALNUM } else { 0 } | if is_glyph(l) { GLYPH } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        assert_eq!(lookup('é').map(|x| x.ch), Some('e'));
        assert_eq!(lookup('Д').map(|x| (x.ch, x.alnum)), Some(('д', true)));
        assert_eq!(lookup('а').map(|x| x.glyph), Some(true)); // Cyrillic a
        assert_eq!(
            lookup('中').map(|x| (x.ch, x.alnum, x.glyph)),
            Some(('中', true, false))
        );
        assert_eq!(lookup('。').map(|x| x.alnum), Some(false));
        assert_eq!(lookup('\u{00A0}').map(|x| x.ch), Some(' '));
        assert_eq!(lookup('İ').map(|x| x.ch), Some('i'));
        assert_eq!(lookup('가').map(|x| (x.ch, x.alnum)), Some(('가', true)));
        for c in ['a', '\u{200B}', 'Ａ', '①', '…', '²'] {
            assert_eq!(lookup(c), None, "{c}");
        }
    }
}
