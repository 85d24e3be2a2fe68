//! Email addresses, IPv6 addresses and IBANs: token-shaped identifiers found from a
//! cheap anchor byte (`@`, `:`, or two letters + two digits).

use super::checksums::iban_valid;
use super::pii::{Cand, PiiKind};
use super::text::{boundary_after, boundary_before, next_digit};

#[inline]
fn is_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-' | b'\'')
}

#[inline]
fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

/// Width of the non-ASCII letter ending at `end` (alphabetic, below the CJK blocks, whose
/// scripts put no spaces before an address), if there is one within `bytes[floor..end]`.
fn letter_before(bytes: &[u8], end: usize, floor: usize) -> Option<usize> {
    if end == 0 || bytes[end - 1] < 0x80 {
        return None;
    }
    let mut start = end - 1;
    while start > floor && (0x80..0xC0).contains(&bytes[start]) {
        start -= 1;
    }
    let c = std::str::from_utf8(&bytes[start..end])
        .ok()?
        .chars()
        .next()?;
    (c.is_alphabetic() && (c as u32) < 0x2E80).then_some(end - start)
}

/// Emails: anchored on each `@` (memchr), expanded left over the local part and right
/// over the domain; the domain needs a dot and an alphabetic TLD of 2+ letters.
pub fn scan_emails(bytes: &[u8], out: &mut Vec<Cand>) {
    let mut last_end = 0;
    for at in memchr::memchr_iter(b'@', bytes) {
        if at < last_end {
            continue;
        }
        let mut s = at;
        while s > last_end {
            if is_local(bytes[s - 1]) {
                s -= 1;
            } else if let Some(w) = letter_before(bytes, s, last_end) {
                // Internationalised local parts (RFC 6531): "jürgen.müller@…".
                s -= w;
            } else {
                break;
            }
        }
        while s < at && matches!(bytes[s], b'.' | b'\'' | b'-') {
            s += 1;
        }
        if s == at {
            continue;
        }
        let mut e = at + 1;
        while e < bytes.len() && is_domain(bytes[e]) {
            e += 1;
        }
        while e > at + 1 && matches!(bytes[e - 1], b'.' | b'-') {
            e -= 1;
        }
        let domain = &bytes[at + 1..e];
        let Some(dot) = domain.iter().rposition(|&b| b == b'.') else {
            continue;
        };
        let tld = &domain[dot + 1..];
        if dot == 0 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
            continue;
        }
        out.push(Cand {
            start: s,
            end: e,
            kind: PiiKind::Email,
        });
        last_end = e;
    }
}

/// IPv6: runs of hex digits and colons around each `::` or 7-colon group, validated by
/// a tiny parser (8 groups, or fewer with exactly one `::`). Times ("12:30:45"), MAC
/// addresses and C++ paths (`std::vec`) fail it.
pub fn scan_ipv6(bytes: &[u8], out: &mut Vec<Cand>) {
    let mut i = 0;
    let n = bytes.len();
    while let Some(off) = memchr::memchr(b':', &bytes[i..]) {
        let c = i + off;
        let mut s = c;
        while s > 0 && (bytes[s - 1].is_ascii_hexdigit() || bytes[s - 1] == b':') {
            s -= 1;
        }
        let mut e = c;
        while e < n && (bytes[e].is_ascii_hexdigit() || bytes[e] == b':') {
            e += 1;
        }
        i = e.max(c + 1);
        if !boundary_before(bytes, s) || !boundary_after(bytes, e) {
            continue;
        }
        if ipv6_valid(&bytes[s..e]) {
            out.push(Cand {
                start: s,
                end: e,
                kind: PiiKind::IpAddress,
            });
        }
        if i >= n {
            break;
        }
    }
}

fn ipv6_valid(s: &[u8]) -> bool {
    if s.len() < 6 || s.len() > 39 {
        return false;
    }
    let double = memchr::memmem::find_iter(s, b"::").count();
    if double > 1 || memchr::memmem::find(s, b":::").is_some() {
        return false;
    }
    let mut groups = 0;
    let mut hex = 0;
    for part in s.split(|&b| b == b':') {
        if part.is_empty() {
            continue;
        }
        if part.len() > 4 {
            return false;
        }
        groups += 1;
        hex += part.len();
    }
    if double == 1 {
        // Leading/trailing single colons are malformed ("::1:" etc.).
        let bad_edge =
            (s[0] == b':' && s[1] != b':') || (s[s.len() - 1] == b':' && s[s.len() - 2] != b':');
        (2..=7).contains(&groups) && hex >= 6 && !bad_edge
    } else {
        groups == 8 && s[0] != b':' && s[s.len() - 1] != b':'
    }
}

/// IBANs: two letters + two check digits at a token start, then alphanumerics in
/// optional space-separated groups of four; accepted only if length and mod-97 fit.
pub fn scan_iban(bytes: &[u8], out: &mut Vec<Cand>) {
    // Starts are "two letters, two digits": jump from digit run to digit run and look
    // back, instead of testing four bytes at every position. Only a run's first digit
    // can be the third byte (the byte before it must be a letter).
    let mut lo = 0; // after a hit, no start inside it
    let mut p = 0;
    while let Some(d) = next_digit(bytes, p) {
        p = d + 1;
        while bytes.get(p).is_some_and(u8::is_ascii_digit) {
            p += 1;
        }
        let Some(i) = d.checked_sub(2) else { continue };
        if i < lo
            || p - d < 2
            || !bytes[i].is_ascii_alphabetic()
            || !bytes[i + 1].is_ascii_alphabetic()
            || !boundary_before(bytes, i)
        {
            continue;
        }
        if let Some(e) = iban_at(bytes, i) {
            out.push(Cand {
                start: i,
                end: e,
                kind: PiiKind::Iban,
            });
            lo = e;
        }
    }
}

/// End of the IBAN starting at `i` (two letters and two digits there), if valid.
fn iban_at(bytes: &[u8], i: usize) -> Option<usize> {
    let n = bytes.len();
    let mut buf = [0u8; 34];
    let mut len = 0;
    let mut j = i;
    let mut end = i;
    while j < n && len < 34 {
        let c = bytes[j];
        if c.is_ascii_alphanumeric() {
            buf[len] = c;
            len += 1;
            j += 1;
            end = j;
        } else if c == b' '
            && len % 4 == 0
            && bytes.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)
        {
            j += 1;
        } else {
            break;
        }
    }
    // Accept the longest valid prefix ending at a group/token boundary.
    let mut k = len;
    let mut e = end;
    while k >= 15 {
        if boundary_after(bytes, e) && iban_valid(&buf[..k]) {
            return Some(e);
        }
        k -= 1;
        e -= 1;
        while e > i && bytes[e - 1] == b' ' {
            e -= 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: fn(&[u8], &mut Vec<Cand>), s: &str) -> Vec<String> {
        let mut v = Vec::new();
        f(s.as_bytes(), &mut v);
        v.into_iter()
            .map(|c| s[c.start..c.end].to_string())
            .collect()
    }

    #[test]
    fn emails() {
        assert_eq!(
            run(scan_emails, "mail UtaKortig@jourrapide.com."),
            vec!["UtaKortig@jourrapide.com"]
        );
        assert_eq!(
            run(scan_emails, "a.b+c@x.co.uk, d@e.io"),
            vec!["a.b+c@x.co.uk", "d@e.io"]
        );
        assert!(run(scan_emails, "@user hi, foo@bar, x@1.2").is_empty());
        assert_eq!(
            run(scan_emails, "an jürgen.müller@example.de!"),
            vec!["jürgen.müller@example.de"]
        );
        assert_eq!(
            run(scan_emails, "邮箱：bob@example.com"),
            vec!["bob@example.com"]
        );
    }

    #[test]
    fn ipv6() {
        assert_eq!(
            run(scan_ipv6, "ip 6e40:4041:c617:e898:c11:40d2:c669:2eb4 x"),
            vec!["6e40:4041:c617:e898:c11:40d2:c669:2eb4"]
        );
        assert_eq!(
            run(scan_ipv6, "host 2001:db8::8a2e:370:7334"),
            vec!["2001:db8::8a2e:370:7334"]
        );
        assert!(run(scan_ipv6, "at 12:30:45 use std::vec a::b aa:bb:cc:dd:ee:ff").is_empty());
    }

    #[test]
    fn iban() {
        assert_eq!(
            run(scan_iban, "IBAN GB56HXDO88167774656119."),
            vec!["GB56HXDO88167774656119"]
        );
        assert_eq!(
            run(scan_iban, "to DE89 3704 0044 0532 0130 00 now"),
            vec!["DE89 3704 0044 0532 0130 00"]
        );
        assert!(run(scan_iban, "DE89 3704 0044 0532 0130 01").is_empty());
    }
}
