//! Non-overlapping Aho-Corasick matches from a plain loop over a DFA's transitions.
//!
//! `AhoCorasick::find_iter` runs a generic searcher behind a trait object: per byte it
//! re-reads the input bounds and the haystack through references, ~38 instructions
//! where the transition itself is ~6. `matches` gives the same matches (the tests compare
//! them) for DFAs built without a prefilter, in their own match kind: standard (stop at
//! the first match state) or leftmost (keep going until the dead state, keep the last
//! match seen), the next search starting where the last match ended.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::Anchored;

/// `f(pattern, start, end)` for each match of `dfa` (no prefilter; no empty patterns)
/// in `hay`, as `find_iter` reports them.
#[inline]
pub fn matches(dfa: &DFA, hay: &[u8], mut f: impl FnMut(usize, usize, usize)) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let earliest = dfa.match_kind() == aho_corasick::MatchKind::Standard;
    let mut at = 0;
    while at < hay.len() {
        let mut sid = start;
        let mut found = None;
        for (i, &b) in hay.iter().enumerate().skip(at) {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    break;
                }
                if dfa.is_match(sid) {
                    found = Some((dfa.match_pattern(sid, 0), i + 1));
                    if earliest {
                        break;
                    }
                }
            }
        }
        let Some((pid, end)) = found else {
            return;
        };
        let len = dfa.pattern_len(pid);
        f(pid.as_usize(), end - len, end);
        // Patterns are never empty, so this always moves on.
        at = end.max(at + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};

    fn check(pats: &[&str], kind: MatchKind, nocase: bool, hays: &[Vec<u8>]) -> usize {
        let dfa = DFA::builder()
            .prefilter(false)
            .ascii_case_insensitive(nocase)
            .match_kind(kind)
            .build(pats)
            .expect("dfa");
        let ac = AhoCorasickBuilder::new()
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .ascii_case_insensitive(nocase)
            .match_kind(kind)
            .build(pats)
            .expect("ac");
        let mut n = 0;
        for h in hays {
            let want: Vec<(usize, usize, usize)> = ac
                .find_iter(h)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            let mut got = Vec::new();
            matches(&dfa, h, |p, s, e| got.push((p, s, e)));
            assert_eq!(got, want, "{:?} {kind:?}", String::from_utf8_lossy(h));
            n += want.len();
        }
        n
    }

    /// The same matches as `find_iter`, in every match kind, on texts glued from the
    /// patterns' pieces (overlaps, prefixes, case changes).
    #[test]
    fn same_matches_as_find_iter() {
        let pats = [
            "mr",
            "mr.",
            "mrs",
            "my name is",
            "name",
            "name:",
            "street",
            "st",
            "str",
            "strasse",
            "apt",
            "apt.",
            "a",
            "ab",
            "abc",
            "bc",
            "c",
            "born",
            "born on",
            "dob",
            "é",
        ];
        let mut next = crate::guards::test_rng(0x9E37_79B9_7F4A_7C15u64);
        let mut hays = Vec::new();
        for _ in 0..2000 {
            let mut h = Vec::new();
            for _ in 0..next(10) {
                let p = pats[next(pats.len())].as_bytes();
                let (a, b) = (next(p.len()), next(p.len() + 1));
                let piece = if next(3) == 0 {
                    &p[a.min(b)..a.max(b)]
                } else {
                    p
                };
                for &c in piece {
                    h.push(if next(4) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    });
                }
                h.extend_from_slice(&b" x.:"[..next(5)]);
            }
            hays.push(h);
        }
        let mut n = 0;
        for kind in [
            MatchKind::Standard,
            MatchKind::LeftmostFirst,
            MatchKind::LeftmostLongest,
        ] {
            for nocase in [false, true] {
                n += check(&pats, kind, nocase, &hays);
            }
        }
        assert!(n > 10_000, "{n} matches");
    }
}
