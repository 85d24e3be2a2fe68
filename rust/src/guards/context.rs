//! Context-cued PII: person names, street addresses, passport numbers and dates of
//! birth written with month names. Without a large model these rely on cues:
//!
//! * names after honorifics (`Mr.`, `Dr`, …), self-introductions (`my name is`,
//!   `je m'appelle`, `Name:`) and sign-offs / greetings (`Regards,`, `Dear`), followed
//!   by capitalised words (one is enough after a strong cue, two after a weak one);
//! * addresses as `<number> <Capitalised words> <street suffix>` (US/UK style),
//!   `<Name>strasse|weg|gatan|katu|… <number>` and `Rue|Via|Calle|Rua … <number>`
//!   (continental style), plus unit/box designators (`Apt. 5`, `Suite 501`, `PSC 0413, Box 8144`);
//! * passport numbers: 6–9 alphanumerics with 5+ digits within 30 bytes after `passport`;
//! * dates of birth: `born|date of birth|DOB|birthday` then `March 3, 1990` / `3 March 1990`.

use aho_corasick::dfa::DFA;
use aho_corasick::MatchKind;

use super::overlap::leftmost_longest;
use super::pii::{Cand, PiiKind};
use super::text::{boundary_after, boundary_before};

#[derive(Clone, Copy, PartialEq)]
enum Cue {
    NameStrong,
    NameWeak,
    Passport,
    Birth,
    StreetSuffix,
    StreetPrefix,
    Unit,
}

#[rustfmt::skip]
const CUES: &[(&str, Cue)] = &[
    ("mr. ", Cue::NameStrong), ("mr ", Cue::NameStrong), ("mrs. ", Cue::NameStrong), ("mrs ", Cue::NameStrong),
    ("ms. ", Cue::NameStrong), ("ms ", Cue::NameStrong), ("miss ", Cue::NameStrong), ("dr. ", Cue::NameStrong),
    ("dr ", Cue::NameStrong), ("prof. ", Cue::NameStrong), ("mx. ", Cue::NameStrong), ("sir ", Cue::NameStrong),
    ("madame ", Cue::NameStrong), ("monsieur ", Cue::NameStrong), ("herr ", Cue::NameStrong), ("frau ", Cue::NameStrong),
    ("señor ", Cue::NameStrong), ("señora ", Cue::NameStrong), ("my name is ", Cue::NameStrong), ("my name's ", Cue::NameStrong),
    ("name: ", Cue::NameStrong), ("name is ", Cue::NameStrong), ("dear ", Cue::NameStrong), ("je m'appelle ", Cue::NameStrong),
    ("me llamo ", Cue::NameStrong), ("mi nombre es ", Cue::NameStrong), ("mein name ist ", Cue::NameStrong), ("ich heiße ", Cue::NameStrong),
    ("ich heisse ", Cue::NameStrong), ("mi chiamo ", Cue::NameStrong), ("meu nome é ", Cue::NameStrong), ("call me ", Cue::NameWeak),
    ("this is ", Cue::NameWeak), ("i am ", Cue::NameWeak), ("i'm ", Cue::NameWeak), ("regards,\n", Cue::NameWeak),
    ("regards, ", Cue::NameWeak), ("sincerely,\n", Cue::NameWeak), ("sincerely, ", Cue::NameWeak), ("thanks,\n", Cue::NameWeak),
    ("cheers,\n", Cue::NameWeak), ("best,\n", Cue::NameWeak), ("hi ", Cue::NameWeak), ("hello ", Cue::NameWeak),
    ("contact ", Cue::NameWeak), ("patient ", Cue::NameWeak), ("customer ", Cue::NameWeak), ("employee ", Cue::NameWeak),
    ("passport", Cue::Passport), ("reisepass", Cue::Passport), ("passeport", Cue::Passport), ("pasaporte", Cue::Passport),
    ("born", Cue::Birth), ("date of birth", Cue::Birth), ("birth date", Cue::Birth), ("birthdate", Cue::Birth),
    ("birthday", Cue::Birth), ("dob", Cue::Birth), ("d.o.b", Cue::Birth), ("street", Cue::StreetSuffix),
    ("st.", Cue::StreetSuffix), ("st", Cue::StreetSuffix), ("avenue", Cue::StreetSuffix), ("ave", Cue::StreetSuffix),
    ("road", Cue::StreetSuffix), ("rd", Cue::StreetSuffix), ("boulevard", Cue::StreetSuffix), ("blvd", Cue::StreetSuffix),
    ("lane", Cue::StreetSuffix), ("ln", Cue::StreetSuffix), ("drive", Cue::StreetSuffix), ("court", Cue::StreetSuffix),
    ("ct", Cue::StreetSuffix), ("place", Cue::StreetSuffix), ("terrace", Cue::StreetSuffix), ("way", Cue::StreetSuffix),
    ("parkway", Cue::StreetSuffix), ("highway", Cue::StreetSuffix), ("square", Cue::StreetSuffix), ("circle", Cue::StreetSuffix),
    ("crescent", Cue::StreetSuffix), ("close", Cue::StreetSuffix), ("gardens", Cue::StreetSuffix), ("row", Cue::StreetSuffix),
    ("trail", Cue::StreetSuffix), ("plaza", Cue::StreetSuffix), ("squares", Cue::StreetSuffix), ("streets", Cue::StreetSuffix),
    ("forges", Cue::StreetSuffix), ("strasse", Cue::StreetSuffix), ("straße", Cue::StreetSuffix), ("str.", Cue::StreetSuffix),
    ("weg", Cue::StreetSuffix), ("gasse", Cue::StreetSuffix), ("allee", Cue::StreetSuffix), ("platz", Cue::StreetSuffix),
    ("straat", Cue::StreetSuffix), ("laan", Cue::StreetSuffix), ("gracht", Cue::StreetSuffix), ("gatan", Cue::StreetSuffix),
    ("vägen", Cue::StreetSuffix), ("gade", Cue::StreetSuffix), ("vej", Cue::StreetSuffix), ("katu", Cue::StreetSuffix),
    ("tie", Cue::StreetSuffix), ("kuja", Cue::StreetSuffix), ("veien", Cue::StreetSuffix), ("vei", Cue::StreetSuffix),
    ("utca", Cue::StreetSuffix), ("u.", Cue::StreetSuffix), ("rue ", Cue::StreetPrefix), ("via ", Cue::StreetPrefix),
    ("viale ", Cue::StreetPrefix), ("calle ", Cue::StreetPrefix), ("avenida ", Cue::StreetPrefix), ("rua ", Cue::StreetPrefix),
    ("piazza ", Cue::StreetPrefix), ("carrer ", Cue::StreetPrefix), ("ulica ", Cue::StreetPrefix), ("apt. ", Cue::Unit),
    ("apt ", Cue::Unit), ("suite ", Cue::Unit), ("unit ", Cue::Unit), ("psc ", Cue::Unit),
    ("box ", Cue::Unit),
];

/// Capitalised words that start sentences or name things other than people.
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "I", "A", "An", "The", "My", "Your", "Our", "This", "That", "It", "We", "You",
    "He", "She", "They", "Please", "Thanks", "Thank", "Hello", "Hi", "Dear", "Yes", "No", "Not",
    "What", "How", "Why", "When", "Where", "Who", "Can", "Could", "Would", "Should", "Is", "Are",
    "Am", "Do", "Does", "Did", "Have", "Has", "In", "On", "At", "For", "From", "To",
    "With", "And", "Or", "But", "If", "So", "As", "Mr", "Mrs", "Ms", "Dr", "Inc",
    "Ltd", "LLC", "Co", "Corp", "Team", "Customer", "Support", "Service", "Sir", "Madam", "All", "Everyone",
    "There", "Here", "Just", "Also", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
    "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Street",
    "Road", "Avenue", "Apt", "Suite", "Box", "Phone", "Email", "Fax", "Mobile", "Desk", "Office", "Address",
    "Name", "Date", "Today", "Tomorrow", "Good", "Sorry", "Okay", "OK", "Assistant", "User", "System", "AI",
    "Bank", "University", "Company",
];

#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
];

pub struct ContextDetectors {
    /// Standard semantics, ASCII case-insensitive: every cue match, from which
    /// `overlap::leftmost_longest` picks the leftmost-longest ones.
    ac: Option<DFA>,
}

/// The cue strings, in pattern order.
#[cfg(test)]
pub fn cue_strings() -> impl Iterator<Item = &'static str> {
    CUES.iter().map(|c| c.0)
}

impl Default for ContextDetectors {
    fn default() -> Self {
        Self::new()
    }
}

impl ContextDetectors {
    pub fn new() -> ContextDetectors {
        let ac = DFA::builder()
            .prefilter(false)
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(CUES.iter().map(|c| c.0))
            .ok();
        ContextDetectors { ac }
    }

    pub fn scan(&self, text: &str, out: &mut Vec<Cand>) {
        let Some(ac) = &self.ac else { return };
        let bytes = text.as_bytes();
        // ~10 cue matches in a KB of prompt text: one allocation, no regrowth.
        let mut all = Vec::with_capacity(32);
        leftmost_longest(ac, bytes, &mut all, |pid, s, e| {
            let Some(&(_, cue)) = CUES.get(pid) else {
                return;
            };
            if !boundary_before(bytes, s) && cue != Cue::StreetSuffix {
                return;
            }
            match cue {
                Cue::NameStrong | Cue::NameWeak => {
                    let min = if cue == Cue::NameStrong { 1 } else { 2 };
                    if let Some((a, b)) = cap_words(text, e, min) {
                        out.push(Cand {
                            start: a,
                            end: b,
                            kind: PiiKind::Person,
                        });
                    }
                }
                Cue::Passport => passport(bytes, e, out),
                Cue::Birth => birth_date(text, e, out),
                Cue::StreetSuffix => street_suffix(text, s, e, out),
                Cue::StreetPrefix => street_prefix(text, s, e, out),
                Cue::Unit => {
                    let k = digits_at(bytes, e);
                    if bytes.get(s).is_some_and(u8::is_ascii_uppercase)
                        && (1..=6).contains(&k)
                        && boundary_after(bytes, e + k)
                    {
                        out.push(Cand {
                            start: s,
                            end: e + k,
                            kind: PiiKind::StreetAddress,
                        });
                    }
                }
            }
        });
    }
}

fn digits_at(bytes: &[u8], i: usize) -> usize {
    bytes
        .get(i..)
        .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// One capitalised word at byte `i` (a char boundary): returns its end.
fn cap_word(text: &str, i: usize) -> Option<usize> {
    let rest = text.get(i..)?;
    let mut it = rest.char_indices();
    let (_, c0) = it.next()?;
    if !c0.is_uppercase() {
        return None;
    }
    let mut end = c0.len_utf8();
    let mut lower = 0;
    for (k, c) in it {
        if c.is_alphabetic() || c == '\'' || c == '-' {
            lower += usize::from(c.is_lowercase());
            end = k + c.len_utf8();
        } else {
            break;
        }
    }
    // An initial ("J.") counts as a word; all-caps words (acronyms) do not.
    if lower == 0 && end == c0.len_utf8() && rest.as_bytes().get(end) == Some(&b'.') {
        return Some(i + end + 1);
    }
    (lower > 0 && !NOT_NAMES.contains(&&rest[..end])).then_some(i + end)
}

/// Up to three space-separated capitalised words starting at `i`; at least `min`.
fn cap_words(text: &str, i: usize, min: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut end = cap_word(text, i)?;
    let mut n = 1;
    while n < 3 && bytes.get(end) == Some(&b' ') {
        match cap_word(text, end + 1) {
            Some(e) => {
                end = e;
                n += 1;
            }
            None => break,
        }
    }
    (n >= min).then_some((i, end))
}

fn passport(bytes: &[u8], from: usize, out: &mut Vec<Cand>) {
    let hi = (from + 30).min(bytes.len());
    let mut i = from;
    while i < hi {
        if bytes[i].is_ascii_alphanumeric() && boundary_before(bytes, i) {
            let k = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let t = &bytes[i..i + k];
            let digits = t.iter().filter(|b| b.is_ascii_digit()).count();
            if (6..=9).contains(&k) && digits >= 5 && !t.iter().any(u8::is_ascii_lowercase) {
                out.push(Cand {
                    start: i,
                    end: i + k,
                    kind: PiiKind::Passport,
                });
                return;
            }
            i += k.max(1);
        } else {
            i += 1;
        }
    }
}

fn month_at(bytes: &[u8], i: usize) -> usize {
    let k = bytes.get(i..).map_or(0, |r| {
        r.iter().take_while(|b| b.is_ascii_alphabetic()).count()
    });
    let w = &bytes[i.min(bytes.len())..(i + k).min(bytes.len())];
    if MONTHS.iter().any(|m| m.as_bytes().eq_ignore_ascii_case(w)) {
        k + usize::from(bytes.get(i + k) == Some(&b'.'))
    } else {
        0
    }
}

/// `March 3, 1990`, `3 March 1990`, `3rd of March 1990` within 30 bytes after the cue.
fn birth_date(text: &str, from: usize, out: &mut Vec<Cand>) {
    let bytes = text.as_bytes();
    let hi = (from + 30).min(bytes.len());
    let mut i = from;
    while i < hi {
        if !boundary_before(bytes, i) || !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        let mut j = i;
        let d = digits_at(bytes, j);
        if (1..=2).contains(&d) {
            j += d;
            for suf in [&b"st"[..], b"nd", b"rd", b"th"] {
                if bytes
                    .get(j..j + 2)
                    .is_some_and(|w| w.eq_ignore_ascii_case(suf))
                {
                    j += 2;
                }
            }
            j += usize::from(bytes.get(j) == Some(&b' '));
            if bytes
                .get(j..j + 3)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"of "))
            {
                j += 3;
            }
        }
        let m = month_at(bytes, j);
        if m == 0 {
            i += 1;
            continue;
        }
        j += m;
        j += usize::from(bytes.get(j) == Some(&b' '));
        let d2 = digits_at(bytes, j);
        if d == 0 && (1..=2).contains(&d2) {
            j += d2;
            while matches!(bytes.get(j), Some(b's' | b't' | b'n' | b'd' | b'r' | b'h')) {
                j += 1;
            }
            j += usize::from(bytes.get(j) == Some(&b','));
            j += usize::from(bytes.get(j) == Some(&b' '));
        }
        let y = digits_at(bytes, j);
        if y == 4 {
            out.push(Cand {
                start,
                end: j + 4,
                kind: PiiKind::DateOfBirth,
            });
            return;
        }
        i += 1;
    }
}

/// Byte index where the trailing word of `h` starts (words: letters, digits, `'`, `-`).
fn word_start(h: &str) -> usize {
    h.char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map_or(0, |(p, c)| p + c.len_utf8())
}

/// A street suffix at `s..e`: either the tail of a compound (`Bundesstrasse 31`) or a
/// separate word after a number and capitalised words (`14 Crown Street`).
fn street_suffix(text: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let bytes = text.as_bytes();
    if !boundary_after(bytes, e) && bytes.get(e.wrapping_sub(1)) != Some(&b'.') {
        return;
    }
    let Some(head) = text.get(..s) else { return };
    if !boundary_before(bytes, s) {
        // Compound: the word must be capitalised and followed by a house number.
        let ws = word_start(head);
        let numeric = bytes.get(e) == Some(&b' ') && (1..=4).contains(&digits_at(bytes, e + 1));
        if numeric
            && text
                .get(ws..)
                .is_some_and(|w| w.starts_with(char::is_uppercase))
        {
            let end = e + 1 + digits_at(bytes, e + 1);
            out.push(Cand {
                start: ws,
                end,
                kind: PiiKind::StreetAddress,
            });
        }
        return;
    }
    if !bytes.get(s).is_some_and(u8::is_ascii_uppercase) {
        return;
    }
    // "<number> <Capitalised words> <Suffix>", up to three words back.
    let mut a = s;
    for _ in 0..4 {
        let Some(h) = text.get(..a).and_then(|h| h.strip_suffix(' ')) else {
            return;
        };
        let ws = word_start(h);
        let w = &h[ws..];
        if !w.is_empty() && w.len() <= 6 && w.bytes().all(|b| b.is_ascii_digit()) {
            out.push(Cand {
                start: ws,
                end: e,
                kind: PiiKind::StreetAddress,
            });
            return;
        }
        if !w.starts_with(char::is_uppercase) {
            return;
        }
        a = ws;
    }
}

/// `Rue de la Paix 12`, `Via Franscini 71`, `Rua do Arenque 1634`, `12 rue de la Paix`.
fn street_prefix(text: &str, s: usize, e: usize, out: &mut Vec<Cand>) {
    let bytes = text.as_bytes();
    // Number before: "12 rue ..."
    let before_num = {
        let h = &bytes[..s];
        let h = h.strip_suffix(b" ").unwrap_or(h);
        let h = h.strip_suffix(b",").unwrap_or(h);
        let k = h.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        (1..=4).contains(&k).then_some(h.len() - k)
    };
    let mut j = e;
    let mut words = 0;
    while words < 5 {
        let k = text.get(j..).map_or(0, |r| {
            r.find(|c: char| !(c.is_alphabetic() || c == '\'' || c == '-'))
                .unwrap_or(r.len())
        });
        if k == 0 {
            break;
        }
        j += k;
        words += 1;
        if bytes.get(j) != Some(&b' ') {
            break;
        }
        let d = digits_at(bytes, j + 1);
        if (1..=4).contains(&d) && boundary_after(bytes, j + 1 + d) {
            let cap = bytes.get(s).is_some_and(u8::is_ascii_uppercase);
            if cap || before_num.is_some() {
                out.push(Cand {
                    start: before_num.unwrap_or(s),
                    end: j + 1 + d,
                    kind: PiiKind::StreetAddress,
                });
            }
            return;
        }
        j += 1;
    }
    if let (Some(a), true) = (before_num, words >= 1) {
        out.push(Cand {
            start: a,
            end: j.min(bytes.len()),
            kind: PiiKind::StreetAddress,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> Vec<(PiiKind, String)> {
        let mut v = Vec::new();
        ContextDetectors::new().scan(s, &mut v);
        v.into_iter()
            .map(|c| (c.kind, s[c.start..c.end].trim_end().to_string()))
            .collect()
    }

    #[test]
    fn names() {
        assert_eq!(
            run("Hello, my name is Åsa Laine and"),
            vec![(PiiKind::Person, "Åsa Laine".into())]
        );
        assert_eq!(
            run("Please ask Dr. Gregory House."),
            vec![(PiiKind::Person, "Gregory House".into())]
        );
        assert!(run("this is Great").is_empty());
        assert!(run("what is a system prompt").is_empty());
    }

    #[test]
    fn addresses() {
        assert!(run("I live at 1668 Glyn St in")
            .iter()
            .any(|(k, s)| *k == PiiKind::StreetAddress && s == "1668 Glyn St"));
        assert!(run("14 Crown Street Kishiev")
            .iter()
            .any(|(_, s)| s == "14 Crown Street"));
        assert!(run("at Brucker Bundesstrasse 31")
            .iter()
            .any(|(_, s)| s == "Brucker Bundesstrasse 31" || s == "Bundesstrasse 31"));
        assert!(run("send to Via Franscini 71 now")
            .iter()
            .any(|(_, s)| s == "Via Franscini 71"));
        assert!(run("Apt. 864 is").iter().any(|(_, s)| s == "Apt. 864"));
        assert!(run("the best way to learn").is_empty());
    }

    #[test]
    fn passport_dob() {
        assert_eq!(
            run("my passport number is X1234567."),
            vec![(PiiKind::Passport, "X1234567".into())]
        );
        assert_eq!(
            run("I was born on March 3, 1990"),
            vec![(PiiKind::DateOfBirth, "March 3, 1990".into())]
        );
        assert_eq!(
            run("DOB: 3rd of March 1990"),
            vec![(PiiKind::DateOfBirth, "3rd of March 1990".into())]
        );
    }
}
