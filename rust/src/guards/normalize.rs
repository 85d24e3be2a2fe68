//! Text folding for injection detection, so that obfuscated and plain spellings of an
//! attack look the same to the phrase automata and the model:
//!
//! * compatibility decomposition (NFKD) with combining accents dropped: fullwidth,
//!   mathematical and circled letters, ligatures, `é` → `e` (Vietnamese too);
//! * invisible characters removed (zero-width, bidi controls, soft hyphen); Unicode
//!   *tag* characters (U+E0020–E007E, "ASCII smuggling") decoded back to ASCII;
//! * per word: Cyrillic/Greek look-alikes folded to Latin when the word also has Latin
//!   letters (pure Russian/Greek words stay intact), and leetspeak (`1gn0r3`) folded
//!   when a word mixes letters and digits;
//! * three or more single letters separated by single spaces/dots (`i g n o r e`) joined;
//! * lowercase, whitespace runs collapsed.
//!
//! The squashed form (letters and digits only, built with the words in `words.rs`) lets
//! phrase patterns match across any spacing or punctuation inserted between letters.

use unicode_normalization::char::decompose_compatible;

use super::fold_table;

// The fast path of `fill`: clean ASCII stretches.
mod fast;
use fast::letters_at;

pub const OBF_ZERO_WIDTH: u32 = 1;
pub const OBF_TAGS: u32 = 2;
pub const OBF_HOMOGLYPH: u32 = 4;
pub const OBF_COMPAT: u32 = 8;
pub const OBF_LEET: u32 = 16;
pub const OBF_SPACED: u32 = 32;

#[derive(Default)]
pub struct Normalized {
    pub text: String,
    pub obfuscation: u32,
    scratch: String,
    st: State,
}

/// Scanner state while filling: the open word, the current run of single letters
/// (start byte in `text`, length), separator chars since the last word, and whether a
/// space is owed before the next output char.
#[derive(Default, Clone, Copy)]
struct State {
    word: Word,
    in_word: bool,
    run_start: usize,
    run_len: usize,
    gap: usize,
    pending_space: bool,
}

fn homoglyph(c: char) -> Option<char> {
    Some(match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'ε' | 'ё' => 'e',
        'ɡ' => 'g',
        'һ' | 'н' => 'h',
        'і' | 'ι' | 'ї' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'ӏ' => 'l',
        'м' => 'm',
        'п' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'ц' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' | 'ш' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        'ᴢ' => 'z',
        _ => return None,
    })
}

fn leet(c: char) -> char {
    match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => c,
    }
}

/// A non-ASCII Latin look-alike (counted per word: a word mixing them with ASCII letters
/// is folded to Latin).
pub(super) fn is_glyph(c: char) -> bool {
    !c.is_ascii() && homoglyph(c).is_some()
}

#[inline]
pub(super) fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' | '\u{034F}')
}

/// The chars `c` folds to, each handed to `out`: compatibility decomposition with the
/// combining accents dropped, then lowercase (ASCII and Hangul syllables, which NFKD would
/// split into jamo, are only lowercased). Returns whether `c` is a letter-like
/// compatibility form (fullwidth, mathematical, circled, squared), which counts as
/// obfuscation; NBSP, "…" or "²" do not. Invisible and tag chars are the caller's.
pub(super) fn fold_char(c: char, mut out: impl FnMut(char)) -> bool {
    if c.is_ascii() || ('\u{AC00}'..='\u{D7A3}').contains(&c) {
        out(c.to_ascii_lowercase());
        return false;
    }
    let mut compat = false;
    decompose_compatible(c, |d| {
        if ('\u{0300}'..='\u{036F}').contains(&d) {
            return;
        }
        compat |= d.is_ascii_alphanumeric()
            && matches!(c, '\u{FF00}'..='\u{FFEF}' | '\u{1D400}'..='\u{1D7FF}' | '\u{2460}'..='\u{24FF}' | '\u{1F130}'..='\u{1F189}');
        for l in d.to_lowercase() {
            out(l);
        }
    });
    compat
}

#[derive(Default, Clone, Copy)]
struct Word {
    start: usize,
    chars: usize,
    ascii_letters: usize,
    glyphs: usize,
    /// Digits plus `@`/`$` (leet candidates); `real_digits` counts 0-9 only.
    digits: usize,
    real_digits: usize,
    /// Leet shape: a digit directly followed by a letter, a letter followed by a digit,
    /// a digit that has no letter reading (2, 6), and the length of the leading digit run.
    digit_letter: bool,
    letter_digit: bool,
    non_leet_digit: bool,
    lead_digits: usize,
    last_digit: bool,
}

impl Normalized {
    pub fn new() -> Normalized {
        Normalized::default()
    }

    /// Refills `self` from `input` (buffers are reused between calls).
    pub fn fill(&mut self, input: &str) {
        self.fill_with::<true>(input);
    }

    /// `FAST`: clean ASCII stretches (see `clean_stretch`) go in up to 64 bytes at a time;
    /// without it every event takes the byte-at-a-time path (the tests' reference).
    fn fill_with<const FAST: bool>(&mut self, input: &str) {
        self.text.clear();
        self.text.reserve(input.len());
        self.obfuscation = 0;
        self.st = State::default();
        let bytes = input.as_bytes();
        let mut i = 0;
        // Events left to take the slow path before the next block attempt. An attempt that
        // finds a short clean stretch or none (code, digits, non-ASCII text, indentation:
        // exceptions come in clusters) doubles the wait, up to 32 events; a long stretch
        // resets it, so text that is mostly exceptions pays little for the attempts.
        let (mut slow, mut backoff) = (0u32, 1u32);
        while i < bytes.len() {
            if FAST {
                let b = bytes[i];
                if slow > 0 {
                    slow -= 1;
                } else if b.is_ascii() && !b.is_ascii_digit() {
                    let k = self.clean_stretch(bytes, i);
                    if k >= 24 {
                        backoff = 1;
                    } else {
                        slow = backoff;
                        backoff = (2 * backoff).min(32);
                    }
                    if k > 0 {
                        i += k;
                        continue;
                    }
                }
            }
            // ASCII fast path: a run of ASCII letters goes in as one slice with the word
            // counters bumped once (exactly what `push_char` per letter would do); other
            // ASCII bytes skip the Unicode work below.
            let b = bytes[i];
            if b.is_ascii_alphabetic() {
                let len = letters_at(bytes, i);
                self.push_letters(&input[i..i + len]);
                i += len;
                continue;
            }
            if b.is_ascii() {
                self.push_char(char::from(b));
                i += 1;
                continue;
            }
            let Some(c0) = input[i..].chars().next() else {
                break;
            };
            i += c0.len_utf8();
            // Most non-ASCII chars fold in one plain step, looked up (see `fold_table`).
            if FAST {
                if let Some(f) = fold_table::lookup(c0) {
                    if f.alnum {
                        self.push_word_char(f.ch, f.glyph);
                    } else {
                        self.push_separator(f.ch);
                    }
                    continue;
                }
            }
            let c = if ('\u{E0020}'..='\u{E007E}').contains(&c0) {
                self.obfuscation |= OBF_TAGS;
                char::from_u32(c0 as u32 - 0xE0000).unwrap_or(' ')
            } else {
                c0
            };
            if invisible(c) || ('\u{E0000}'..='\u{E007F}').contains(&c) {
                self.obfuscation |= OBF_ZERO_WIDTH;
            } else if fold_char(c, |l| self.push_char(l)) {
                self.obfuscation |= OBF_COMPAT;
            }
        }
        if self.st.in_word {
            let w = self.st.word;
            self.end_word(&w, self.st.gap);
        }
        self.flush_run(self.st.run_start, self.st.run_len);
        while self.text.ends_with(' ') {
            self.text.pop();
        }
    }

    /// Start a word at the end of the text, after the space a run of separators left pending.
    #[inline(always)]
    fn open_word(&mut self) {
        let st = &mut self.st;
        if st.pending_space && !self.text.is_empty() {
            self.text.push(' ');
        }
        st.pending_space = false;
        st.in_word = true;
        st.word = Word {
            start: self.text.len(),
            ..Word::default()
        };
    }

    /// `push_char` for each byte of `run` (ASCII letters only), in one go.
    fn push_letters(&mut self, run: &str) {
        if !self.st.in_word {
            self.open_word();
        }
        let word = &mut self.st.word;
        word.chars += run.len();
        word.ascii_letters += run.len();
        word.digit_letter |= word.last_digit;
        word.last_digit = false;
        let from = self.text.len();
        self.text.push_str(run);
        self.text[from..].make_ascii_lowercase();
    }

    #[inline(always)]
    fn push_char(&mut self, c: char) {
        let alnum = if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            c.is_alphanumeric()
        };
        if alnum || (self.st.in_word && matches!(c, '@' | '$')) {
            self.push_word_char(c, is_glyph(c));
        } else {
            self.push_separator(c);
        }
    }

    /// A char of a word: alphanumeric, or `@`/`$` inside one; `glyph`: a Latin look-alike.
    #[inline(always)]
    fn push_word_char(&mut self, c: char, glyph: bool) {
        if !self.st.in_word {
            self.open_word();
        }
        let word = &mut self.st.word;
        word.chars += 1;
        let digitish = c.is_ascii_digit() || c == '@' || c == '$';
        if digitish {
            word.digits += 1;
            word.real_digits += usize::from(c.is_ascii_digit());
            word.non_leet_digit |= matches!(c, '2' | '6');
            word.letter_digit |= word.chars > 1 && !word.last_digit;
            if word.chars == word.digits {
                word.lead_digits += 1;
            }
        } else {
            word.digit_letter |= word.last_digit;
            if c.is_ascii_alphabetic() {
                word.ascii_letters += 1;
            } else if glyph {
                word.glyphs += 1;
            }
        }
        word.last_digit = digitish;
        self.text.push(c);
    }

    /// A char between words: whitespace becomes an owed space, anything else stays
    /// (non-ASCII as `#`).
    #[inline(always)]
    fn push_separator(&mut self, c: char) {
        let st = &mut self.st;
        if st.in_word {
            st.in_word = false;
            let w = &st.word;
            // A plain word (2+ chars, no digit or look-alike) with no letter run to flush:
            // `end_word` would change nothing but reset the run, so skip the call.
            if w.chars > 1 && w.real_digits == 0 && w.glyphs == 0 && st.run_len < 3 {
                st.run_len = 0;
            } else {
                let (w, gap) = (st.word, st.gap);
                self.end_word(&w, gap);
            }
            self.st.gap = 0;
        }
        let st = &mut self.st;
        st.gap += 1;
        if c.is_whitespace() {
            st.pending_space = true;
        } else {
            if st.pending_space && !self.text.is_empty() {
                self.text.push(' ');
            }
            st.pending_space = false;
            self.text.push(if c.is_ascii() { c } else { '#' });
        }
    }

    fn end_word(&mut self, w: &Word, gap_before: usize) {
        let mixed_script = w.glyphs > 0 && w.ascii_letters > 0;
        // Leet needs a real digit (so "a@b" is not leet), a digit read as a letter inside
        // the word ("1gn0r3", "h4x0r"), and no number+unit shape ("100mbps", "5th", "cas9").
        let leet_word = w.real_digits > 0
            && w.ascii_letters + w.glyphs >= 2
            && w.digit_letter
            && !w.non_leet_digit
            && (w.letter_digit || w.lead_digits == 1 && !self.unit_suffix(w.start + 1));
        if mixed_script || leet_word {
            self.scratch.clear();
            for c in self.text.get(w.start..).unwrap_or("").chars() {
                let c = if mixed_script {
                    homoglyph(c).unwrap_or(c)
                } else {
                    c
                };
                self.scratch.push(if leet_word { leet(c) } else { c });
            }
            self.text.truncate(w.start);
            self.text.push_str(&self.scratch);
            self.obfuscation |=
                if mixed_script { OBF_HOMOGLYPH } else { 0 } | if leet_word { OBF_LEET } else { 0 };
        }
        // Spaced-out letters: a run of single-char words separated by one char each.
        let single = w.chars == 1 && w.ascii_letters + w.glyphs == 1;
        if single && (self.st.run_len == 0 || gap_before == 1) {
            if self.st.run_len == 0 {
                self.st.run_start = w.start;
            }
            self.st.run_len += 1;
        } else {
            self.flush_run(self.st.run_start, self.st.run_len);
            self.st.run_len = 0;
            if single {
                self.st.run_start = w.start;
                self.st.run_len = 1;
            }
        }
    }

    /// "5th", "3pm", "4kg": a digit then a unit/ordinal suffix is not leetspeak.
    fn unit_suffix(&self, from: usize) -> bool {
        const UNITS: &[&str] = &[
            "st", "nd", "rd", "th", "am", "pm", "kg", "km", "mb", "gb", "px", "ms", "hz", "mm",
            "cm", "min", "sec", "hrs", "yrs",
        ];
        self.text.get(from..).is_some_and(|t| UNITS.contains(&t))
    }

    fn flush_run(&mut self, start: usize, len: usize) {
        if len < 3 {
            return;
        }
        let Some(region) = self.text.get(start..) else {
            return;
        };
        // The run is the tail of `text` up to the current word end; keep anything after
        // the last letter (the current, longer word) by rebuilding only letters+spaces.
        self.scratch.clear();
        let mut tail_from = region.len();
        let mut singles = 0;
        for (i, c) in region.char_indices() {
            if c.is_alphanumeric() {
                singles += 1;
                self.scratch.push(c);
                if singles == len {
                    tail_from = i + c.len_utf8();
                    break;
                }
            }
        }
        let tail = region.get(tail_from..).unwrap_or("").to_string();
        self.text.truncate(start);
        self.text.push_str(&self.scratch);
        self.text.push_str(&tail);
        self.obfuscation |= OBF_SPACED;
    }
}

/// Convenience for building pattern tables: the folded form of a phrase.
pub fn fold(s: &str) -> (String, String) {
    let mut n = Normalized::new();
    n.fill(s);
    let squashed = n
        .text
        .chars()
        .filter(|c| !c.is_ascii() || c.is_ascii_alphanumeric());
    let squashed = squashed.collect();
    (n.text, squashed)
}

#[cfg(test)]
mod tests;
