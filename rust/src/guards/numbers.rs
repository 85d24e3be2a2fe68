//! Digit-run detectors: payment cards, US SSNs, IPv4, phone numbers, dates of birth.
//!
//! One pass finds "number runs" (digit groups joined by a single space, `-`, `.`, `/`
//! or parentheses, optionally led by `+`); each run is classified once, most specific
//! first. Newlines and commas end a run, so a ZIP code on one line never merges with a
//! phone number on the next.

use super::checksums::{card_iin_plausible, luhn_valid, ssn_valid};
use super::pii::{Cand, PiiKind};
use super::text::{before_has, boundary_after, is_word, next_digit, window_has};

const MAX_GROUPS: usize = 8;
const MAX_RUN: usize = 40;

const PHONE_CTX: &[&[u8]] = &[
    b"phone",
    b"mobile",
    b"cell",
    b"tel",
    b"call",
    b"fax",
    b"desk",
    b"office",
    b"whatsapp",
    b"sms",
    b"text me",
    b"contact",
    b"number",
    b"answering",
    b"messages to",
    b"registered",
    b"reach",
    b"dial",
    b"ring",
    b"handy",
    b"telefon",
    b"movil",
    b"portable",
];
const CARD_CTX: &[&[u8]] = &[
    b"card", b"cc ", b"visa", b"master", b"amex", b"maestro", b"credit", b"debit",
];
const SSN_CTX: &[&[u8]] = &[b"ssn", b"social security", b"social sec"];
const DOB_CTX: &[&[u8]] = &[
    b"born",
    b"birth",
    b"dob",
    b"d.o.b",
    b"geburt",
    b"naissance",
    b"nacimiento",
    b"nascita",
    b"ne le",
    b"n\xc3\xa9 le",
    b"nacido",
    b"nata ",
    b"nato ",
];

#[derive(Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    /// Separator bytes between the previous group and this one (0 = none / first).
    sep: u8,
}

/// Scans `bytes` for number runs and pushes classified candidates.
pub fn scan(bytes: &[u8], out: &mut Vec<Cand>) {
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        let Some(d) = next_digit(bytes, i) else {
            break;
        };
        if d > 0 && is_word(bytes[d - 1]) {
            // Inside a token (e.g. "A123", "v2"): skip the whole token.
            i = d + 1;
            while i < n && is_word(bytes[i]) {
                i += 1;
            }
            continue;
        }
        let end = classify_run(bytes, d, out);
        i = end.max(d + 1);
    }
}

/// Collects the run starting at digit `d`, classifies it, returns where scanning resumes.
fn classify_run(bytes: &[u8], d: usize, out: &mut Vec<Cand>) -> usize {
    let n = bytes.len();
    let mut groups: [Group; MAX_GROUPS] = [Group {
        start: 0,
        end: 0,
        sep: 0,
    }; MAX_GROUPS];
    let mut g = 0usize;
    let mut j = d;
    let mut sep = 0u8;
    let mut paren = false;
    loop {
        let s = j;
        while j < n && bytes[j].is_ascii_digit() {
            j += 1;
        }
        // "2000-04-16 11:34:35": an hour after a space starts a time, not more number.
        if g > 0 && sep == b' ' && bytes.get(j) == Some(&b':') {
            break;
        }
        groups[g] = Group {
            start: s,
            end: j,
            sep,
        };
        g += 1;
        if g == MAX_GROUPS || j - d > MAX_RUN {
            break;
        }
        // A separator: one of ` - . /`, or `)` optionally followed by a space / `-`.
        let mut k = j;
        let mut sp = 0u8;
        if k < n && bytes[k] == b')' {
            paren = true;
            sp = b')';
            k += 1;
            if k < n && (bytes[k] == b' ' || bytes[k] == b'-') {
                k += 1;
            }
        } else if k < n && matches!(bytes[k], b' ' | b'-' | b'.' | b'/') {
            sp = bytes[k];
            k += 1;
            if k < n && bytes[k] == b'(' && sp == b' ' {
                paren = true;
                k += 1;
            }
        }
        if sp != 0 && k < n && bytes[k].is_ascii_digit() {
            sep = sp;
            j = k;
        } else {
            break;
        }
    }
    let groups = &groups[..g];
    let end = groups[g - 1].end;
    // Start may extend back over "+" or "(".
    let mut start = d;
    let plus = d >= 1 && bytes[d - 1] == b'+';
    let open = d >= 1 && bytes[d - 1] == b'(';
    if plus || open {
        start = d - 1;
    }
    let mut tail = end;
    // Phone extensions: "x4587", "ext. 12".
    let ext = ext_len(bytes, end);
    if ext > 0 {
        tail = end + ext;
    } else if !boundary_after(bytes, end) {
        return end; // "5kg", "1990s", "3rd": not a standalone number.
    }
    if let Some(kind) = classify(bytes, groups, start, tail, plus, paren || open) {
        let e = if kind == PiiKind::Phone { tail } else { end };
        let s = if kind == PiiKind::Phone || kind == PiiKind::CreditCard && plus {
            start
        } else {
            d
        };
        out.push(Cand {
            start: s,
            end: e,
            kind,
        });
    }
    tail
}

fn ext_len(bytes: &[u8], end: usize) -> usize {
    let rest = &bytes[end.min(bytes.len())..];
    let skip = if rest.first() == Some(&b'x') {
        1
    } else if rest.len() >= 5 && rest[..4].eq_ignore_ascii_case(b" ext") {
        if rest.get(4) == Some(&b'.') {
            5
        } else {
            4
        }
    } else {
        return 0;
    };
    let skip = if rest.get(skip) == Some(&b' ') {
        skip + 1
    } else {
        skip
    };
    let digits = rest[skip.min(rest.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if (1..=6).contains(&digits) && boundary_after(bytes, end + skip + digits) {
        skip + digits
    } else {
        0
    }
}

fn digits_of(bytes: &[u8], groups: &[Group], buf: &mut [u8; 64]) -> usize {
    let mut n = 0;
    for g in groups {
        for &b in &bytes[g.start..g.end] {
            if n < buf.len() {
                buf[n] = b;
                n += 1;
            }
        }
    }
    n
}

fn val(s: &[u8]) -> u32 {
    s.iter()
        .take(9)
        .fold(0, |a, &b| a * 10 + u32::from(b - b'0'))
}

fn classify(
    bytes: &[u8],
    groups: &[Group],
    start: usize,
    end: usize,
    plus: bool,
    paren: bool,
) -> Option<PiiKind> {
    let mut buf = [0u8; 64];
    let nd = digits_of(bytes, groups, &mut buf);
    let digits = &buf[..nd];
    // Group lengths and separators in stack arrays (no allocation per number).
    let (mut lens, mut seps) = ([0usize; MAX_GROUPS], [0u8; MAX_GROUPS]);
    for (k, g) in groups.iter().enumerate() {
        lens[k] = g.end - g.start;
        seps[k] = g.sep;
    }
    let lens = &lens[..groups.len()];
    let seps = &seps[1..groups.len()];
    let all_sep = |c: u8| seps.iter().all(|&s| s == c);
    let gs = |i: usize| &bytes[groups[i].start..groups[i].end];
    let first = groups[0].start;

    // US SSN: 3-2-4 with dashes (or spaces / bare 9 digits with an SSN cue).
    if lens == [3, 2, 4]
        && (all_sep(b'-') || all_sep(b' ') && before_has(bytes, first, 40, SSN_CTX))
    {
        if ssn_valid(gs(0), gs(1), gs(2)) {
            return Some(PiiKind::UsSsn);
        }
        return None;
    }
    if lens == [9]
        && before_has(bytes, first, 40, SSN_CTX)
        && ssn_valid(&digits[..3], &digits[3..5], &digits[5..])
    {
        return Some(PiiKind::UsSsn);
    }
    // IPv4: four dotted octets.
    if lens.len() == 4 && all_sep(b'.') {
        let ok = (0..4).all(|i| {
            let s = gs(i);
            s.len() <= 3 && val(s) <= 255 && (s.len() == 1 || s[0] != b'0')
        });
        let after_dot = bytes.get(end) == Some(&b'.')
            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
            || bytes.get(end) == Some(&b'-')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_alphabetic);
        if ok && !after_dot && !before_has(bytes, first, 12, &[b"version", b"v.", b" v"]) {
            return Some(PiiKind::IpAddress);
        }
        return None;
    }
    // Dates: only PII with a date-of-birth cue; never phones or cards.
    if is_date(groups, lens, seps, bytes) {
        if before_has(bytes, first, 40, DOB_CTX) {
            return Some(PiiKind::DateOfBirth);
        }
        return None;
    }
    if seps.contains(&b'/') {
        return None;
    }
    // Payment cards: 13-19 digits (12 with a card cue), Luhn + issuer prefix, card-like grouping.
    if (seps.is_empty() || all_sep(b' ') || all_sep(b'-')) && !paren {
        let card_grouping = lens.len() == 1
            || lens[..lens.len() - 1].iter().all(|&l| l == 4)
            || lens == [4, 6, 5]
            || lens == [4, 6, 4];
        let len_ok = (13..=19).contains(&nd) || nd == 12 && before_has(bytes, first, 40, CARD_CTX);
        if card_grouping && len_ok && luhn_valid(digits) && card_iin_plausible(digits) {
            return Some(PiiKind::CreditCard);
        }
    }
    // Phones.
    if !(7..=15).contains(&nd) {
        return None;
    }
    let ctx =
        || before_has(bytes, start, 48, PHONE_CTX) || window_has(bytes, end, end + 12, PHONE_CTX);
    if plus {
        return (nd >= 8).then_some(PiiKind::Phone);
    }
    if lens.len() == 1 {
        return ((9..=13).contains(&nd) && ctx()).then_some(PiiKind::Phone);
    }
    if lens.iter().any(|&l| l > 8) || lens.len() == 2 && seps[0] == b'.' {
        return None;
    }
    // Thousands-grouped amounts ("1 250 000", "12.500.000") and runs of years look
    // like phones; accept them only with a phone cue.
    let thousands = lens[0] <= 3 && lens[1..].iter().all(|&l| l == 3);
    let years = lens.iter().all(|&l| l == 4)
        && (0..groups.len()).all(|i| matches!(val(gs(i)), 1900..=2099));
    // Two bare groups are as often "ZIP + house number" or "75534-030" as a phone.
    let two_bare = lens.len() == 2 && !paren;
    if (thousands || years || two_bare || nd < 8 && !paren) && !ctx() {
        return None;
    }
    Some(PiiKind::Phone)
}

fn is_date(groups: &[Group], lens: &[usize], seps: &[u8], bytes: &[u8]) -> bool {
    if lens.len() != 3 || seps[0] != seps[1] || !matches!(seps[0], b'-' | b'.' | b'/') {
        return false;
    }
    let v = |i: usize| val(&bytes[groups[i].start..groups[i].end]);
    let dm =
        |a: u32, b: u32| (1..=31).contains(&a) && (1..=31).contains(&b) && (a <= 12 || b <= 12);
    match (lens[0], lens[1], lens[2]) {
        (4, 1..=2, 1..=2) => (1..=12).contains(&v(1)) && (1..=31).contains(&v(2)),
        (1..=2, 1..=2, 4) => dm(v(0), v(1)),
        (1..=2, 1..=2, 2) => seps[0] == b'/' && dm(v(0), v(1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(PiiKind, String)> {
        let mut v = Vec::new();
        scan(s.as_bytes(), &mut v);
        v.into_iter()
            .map(|c| (c.kind, s[c.start..c.end].to_string()))
            .collect()
    }

    #[test]
    fn cards() {
        assert_eq!(
            kinds("card 4111 1111 1111 1111 ok"),
            vec![(PiiKind::CreditCard, "4111 1111 1111 1111".into())]
        );
        assert_eq!(
            kinds("My card 347415977307943 is"),
            vec![(PiiKind::CreditCard, "347415977307943".into())]
        );
        assert!(kinds("order 4111111111111112 shipped").is_empty());
        assert!(kinds("tracking 1Z999AA10123456784").is_empty());
    }

    #[test]
    fn ssn_ip_dates() {
        assert_eq!(
            kinds("ssn 460-89-9847"),
            vec![(PiiKind::UsSsn, "460-89-9847".into())]
        );
        assert!(kinds("id 666-12-3456").is_empty());
        assert_eq!(
            kinds("from 106.31.73.20."),
            vec![(PiiKind::IpAddress, "106.31.73.20".into())]
        );
        assert!(kinds("version 1.2.3.4").is_empty());
        assert!(kinds("bump to 1.20.3").is_empty());
        assert!(kinds("on 2024-01-15 we").is_empty());
        assert_eq!(
            kinds("I was born on 12/01/1981."),
            vec![(PiiKind::DateOfBirth, "12/01/1981".into())]
        );
    }

    #[test]
    fn phones() {
        for p in [
            "+1-984-182-0190",
            "(602)272-9781",
            "+46 (0)8 928 571 38",
            "345-899-3560x4587",
            "0494 92 82 32",
            "03.93.92.16.85",
        ] {
            let s = format!("call me at {p}, thanks");
            assert_eq!(kinds(&s), vec![(PiiKind::Phone, p.to_string())], "{p}");
        }
        assert_eq!(
            kinds("Phone: 9498777106"),
            vec![(PiiKind::Phone, "9498777106".into())]
        );
        assert!(kinds("we sold 1 250 000 units").is_empty());
        assert!(kinds("between 2019 2020 and").is_empty());
        assert!(kinds("pi is 3.14159265").is_empty());
        assert!(kinds("When: 2000-04-16 11:34:35").is_empty());
        assert!(kinds("The restaurant is at 17151 2450 Crown St").is_empty());
        assert!(kinds("ZIP: 75534-030").is_empty());
        assert!(kinds("order #123456789012").is_empty());
    }
}
