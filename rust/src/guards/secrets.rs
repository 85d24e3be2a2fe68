//! API keys and tokens: vendor prefixes found with one Aho-Corasick pass, then the
//! body is checked for the vendor's charset and length. JWTs need three base64url
//! segments with a JSON header; bearer tokens need 16+ token characters.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use super::pii::{Cand, PiiKind};
use super::text::{boundary_after, boundary_before};

#[derive(Clone, Copy)]
enum Body {
    /// `[A-Za-z0-9_-]`, at least `min` bytes.
    Token {
        min: usize,
    },
    /// Exactly `len` uppercase letters or digits (AWS access key ids).
    Upper {
        len: usize,
    },
    Jwt,
    Bearer,
    /// `key = value` / `password: value` assignments.
    Assigned,
}

const PREFIXES: &[(&str, Body, PiiKind)] = &[
    ("sk-ant-", Body::Token { min: 32 }, PiiKind::ApiKey),
    ("sk-proj-", Body::Token { min: 32 }, PiiKind::ApiKey),
    ("sk-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("sk_live_", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("sk_test_", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("rk_live_", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("AKIA", Body::Upper { len: 16 }, PiiKind::ApiKey),
    ("ASIA", Body::Upper { len: 16 }, PiiKind::ApiKey),
    ("ghp_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("gho_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("ghu_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("ghs_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("ghr_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("github_pat_", Body::Token { min: 40 }, PiiKind::ApiKey),
    ("glpat-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xoxb-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xoxp-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xoxa-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xoxr-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xoxs-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("xapp-", Body::Token { min: 20 }, PiiKind::ApiKey),
    ("AIza", Body::Token { min: 35 }, PiiKind::ApiKey),
    ("hf_", Body::Token { min: 30 }, PiiKind::ApiKey),
    ("eyJ", Body::Jwt, PiiKind::Jwt),
    ("Bearer ", Body::Bearer, PiiKind::BearerToken),
    ("bearer ", Body::Bearer, PiiKind::BearerToken),
    ("BEARER ", Body::Bearer, PiiKind::BearerToken),
    ("password", Body::Assigned, PiiKind::Password),
    ("Password", Body::Assigned, PiiKind::Password),
    ("PASSWORD", Body::Assigned, PiiKind::Password),
    ("passwd", Body::Assigned, PiiKind::Password),
    ("api_key", Body::Assigned, PiiKind::ApiKey),
    ("apikey", Body::Assigned, PiiKind::ApiKey),
    ("API_KEY", Body::Assigned, PiiKind::ApiKey),
    ("secret_key", Body::Assigned, PiiKind::ApiKey),
    ("SECRET_KEY", Body::Assigned, PiiKind::ApiKey),
    ("access_token", Body::Assigned, PiiKind::ApiKey),
    ("ACCESS_TOKEN", Body::Assigned, PiiKind::ApiKey),
];

pub struct Secrets {
    /// `None` only if the automaton could not be built (it always can for these
    /// patterns); scanning then finds nothing instead of panicking.
    ac: Option<AhoCorasick>,
}

impl Secrets {
    pub fn new() -> Secrets {
        let ac = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::DFA))
            .match_kind(MatchKind::LeftmostLongest)
            .build(PREFIXES.iter().map(|p| p.0))
            .ok();
        Secrets { ac }
    }

    pub fn scan(&self, bytes: &[u8], out: &mut Vec<Cand>) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_iter(bytes) {
            let Some(&(_, body, kind)) = PREFIXES.get(m.pattern().as_usize()) else {
                continue;
            };
            let s = m.start();
            if !boundary_before(bytes, s) {
                continue;
            }
            let rest = &bytes[m.end()..];
            let span = match body {
                Body::Token { min } => {
                    let k = rest
                        .iter()
                        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                        .count();
                    // Real keys mix letters and digits; "sk-learn-tutorial-for-..." does not.
                    let t = &rest[..k];
                    let mixed =
                        t.iter().any(u8::is_ascii_digit) && t.iter().any(u8::is_ascii_alphabetic);
                    (k >= min && mixed).then_some((s, m.end() + k))
                }
                Body::Upper { len } => {
                    let k = rest
                        .iter()
                        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                        .count();
                    (k == len && boundary_after(bytes, m.end() + k)).then_some((s, m.end() + k))
                }
                Body::Jwt => jwt_len(&bytes[s..]).map(|k| (s, s + k)),
                Body::Bearer => {
                    let k = rest
                        .iter()
                        .take_while(|&&b| {
                            b.is_ascii_alphanumeric()
                                || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
                        })
                        .count();
                    let t = &rest[..k];
                    let mixed =
                        t.iter().any(u8::is_ascii_digit) && t.iter().any(u8::is_ascii_alphabetic);
                    (k >= 16 && mixed).then_some((m.end(), m.end() + k))
                }
                Body::Assigned => assigned_value(rest).map(|(a, b)| (m.end() + a, m.end() + b)),
            };
            if let Some((a, b)) = span {
                out.push(Cand {
                    start: a,
                    end: b,
                    kind,
                });
            }
        }
    }
}

impl Default for Secrets {
    fn default() -> Self {
        Self::new()
    }
}

/// Length of a JWT at the start of `s` (header.payload.signature), if it is one.
fn jwt_len(s: &[u8]) -> Option<usize> {
    let seg = |from: usize| {
        s.get(from..).map_or(0, |r| {
            r.iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                .count()
        })
    };
    let h = seg(0);
    if h < 10 || s.get(h) != Some(&b'.') {
        return None;
    }
    let p = seg(h + 1);
    if p < 10 || s.get(h + 1..h + 4) != Some(b"eyJ") {
        return None;
    }
    let mut end = h + 1 + p;
    if s.get(end) == Some(&b'.') {
        end += 1 + seg(end + 1);
    }
    Some(end)
}

/// `password = "hunter22"`, `api_key: abc...`: the value after `=`/`:` (quotes dropped),
/// 6+ non-space bytes.
fn assigned_value(rest: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < rest.len() && i < 4 && matches!(rest[i], b' ' | b'"' | b'\'') {
        i += 1;
    }
    if !matches!(rest.get(i), Some(b'=') | Some(b':')) {
        return None;
    }
    i += 1;
    while i < rest.len() && matches!(rest[i], b' ' | b'"' | b'\'') {
        i += 1;
    }
    let k = rest[i..]
        .iter()
        .take_while(|&&b| b > b' ' && b < 0x7f && !matches!(b, b'"' | b'\'' | b',' | b';'))
        .count();
    (k >= 6).then_some((i, i + k))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> Vec<(PiiKind, String)> {
        let mut v = Vec::new();
        Secrets::new().scan(s.as_bytes(), &mut v);
        v.into_iter()
            .map(|c| (c.kind, s[c.start..c.end].to_string()))
            .collect()
    }

    #[test]
    fn vendor_keys() {
        let k = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCD";
        assert_eq!(
            run(&format!("key {k} end")),
            vec![(PiiKind::ApiKey, k.into())]
        );
        assert_eq!(run("AKIAIOSFODNN7EXAMPLE,").len(), 1);
        assert_eq!(run("ghp_abcdefghijklmnopqrstuvwxyz0123456789").len(), 1);
        assert_eq!(run("xoxb-1234567890-abcdefghijkl").len(), 1);
        assert!(run("use sk-learn-preprocessing-pipeline today").is_empty());
        assert!(run("AKIASHORT").is_empty());
    }

    #[test]
    fn jwt_bearer_password() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(
            run(&format!("tok {jwt} x")),
            vec![(PiiKind::Jwt, jwt.into())]
        );
        assert_eq!(
            run("Authorization: Bearer abcDEF1234567890xyz"),
            vec![(PiiKind::BearerToken, "abcDEF1234567890xyz".into())]
        );
        assert_eq!(
            run("password = \"hunter22!\""),
            vec![(PiiKind::Password, "hunter22!".into())]
        );
        assert!(run("what is a password manager").is_empty());
    }
}
