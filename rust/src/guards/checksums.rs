//! Checksums and structural validators that keep look-alikes out: order numbers,
//! tracking numbers and version strings rarely pass Luhn + an issuer prefix, mod-97 or
//! the SSA's allocation rules.

/// Luhn (mod 10) over ASCII digits; non-digits are skipped.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    let mut n = 0usize;
    for &b in digits.iter().rev() {
        if !b.is_ascii_digit() {
            continue;
        }
        let mut d = u32::from(b - b'0');
        if n % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        n += 1;
    }
    n > 0 && sum % 10 == 0
}

/// Issuer identification prefixes of the card networks (Visa, Mastercard incl. 2-series,
/// Amex, Discover, Diners, JCB incl. 1800/2131, Maestro, UnionPay).
pub fn card_iin_plausible(digits: &[u8]) -> bool {
    let p = |n: usize| -> u32 {
        digits
            .iter()
            .take(n)
            .fold(0u32, |a, &b| a * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    if digits.len() < 4 {
        return false;
    }
    // Each network issues fixed lengths: a Luhn-valid run of the wrong length for its prefix
    // (an account number inside an IBAN, say) is not a card.
    let n = digits.len();
    match digits[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' if (51..=55).contains(&p(2)) => n == 16,
        b'5' | b'6' => (12..=19).contains(&n),
        b'3' => match p(2) {
            34 | 37 => n == 15,
            35 => (16..=19).contains(&n),
            30 | 36 | 38 | 39 => (14..=19).contains(&n),
            _ => false,
        },
        b'2' if (2221..=2720).contains(&p(4)) => n == 16,
        b'2' => p(4) == 2131 && (15..=16).contains(&n),
        b'1' => p(4) == 1800 && (15..=16).contains(&n),
        _ => false,
    }
}

/// IBAN length per country (ISO 13616 registry, common countries).
fn iban_len(cc: [u8; 2]) -> Option<usize> {
    let n = match &cc {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BR" => 29,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NL" => 18,
        b"NO" => 15,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"SA" => 24,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VG" => 24,
        b"XK" => 20,
        _ => return None,
    };
    Some(n)
}

/// Validates a compact IBAN (no spaces, any case): country length and mod 97 == 1.
pub fn iban_valid(compact: &[u8]) -> bool {
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let cc = [
        compact[0].to_ascii_uppercase(),
        compact[1].to_ascii_uppercase(),
    ];
    if iban_len(cc) != Some(compact.len()) {
        return false;
    }
    if !compact[2].is_ascii_digit() || !compact[3].is_ascii_digit() {
        return false;
    }
    let mut rem: u32 = 0;
    for &b in compact[4..].iter().chain(compact[..4].iter()) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'a'..=b'z' => u32::from(b - b'a') + 10,
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return false,
        };
        rem = if v < 10 {
            (rem * 10 + v) % 97
        } else {
            (rem * 100 + v) % 97
        };
    }
    rem == 1
}

/// US SSN allocation rules: area not 000, 666 or 9xx; group not 00; serial not 0000.
pub fn ssn_valid(area: &[u8], group: &[u8], serial: &[u8]) -> bool {
    let num = |s: &[u8]| {
        s.iter()
            .fold(0u32, |a, &b| a * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    let (a, g, s) = (num(area), num(group), num(serial));
    area.len() == 3
        && group.len() == 2
        && serial.len() == 4
        && a != 0
        && a != 666
        && a < 900
        && g != 0
        && s != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid(b"4111111111111111"));
        assert!(luhn_valid(b"4111 1111 1111 1111"));
        assert!(!luhn_valid(b"4111111111111112"));
        assert!(!luhn_valid(b""));
    }

    #[test]
    fn iin() {
        assert!(card_iin_plausible(b"4111111111111111"));
        assert!(card_iin_plausible(b"180016070420458"));
        assert!(card_iin_plausible(b"213176828496175"));
        assert!(!card_iin_plausible(b"9111111111111111"));
        assert!(!card_iin_plausible(b"1234567812345670"));
    }

    #[test]
    fn iban() {
        assert!(iban_valid(b"GB56HXDO88167774656119"));
        assert!(iban_valid(b"gb42nawi04454264788619"));
        assert!(iban_valid(b"DE89370400440532013000"));
        assert!(!iban_valid(b"DE89370400440532013001"));
        assert!(!iban_valid(b"XX89370400440532013000"));
        assert!(!iban_valid(b"GB56"));
    }

    #[test]
    fn ssn() {
        assert!(ssn_valid(b"460", b"89", b"9847"));
        assert!(!ssn_valid(b"000", b"89", b"9847"));
        assert!(!ssn_valid(b"666", b"89", b"9847"));
        assert!(!ssn_valid(b"912", b"89", b"9847"));
        assert!(!ssn_valid(b"460", b"00", b"9847"));
    }
}
