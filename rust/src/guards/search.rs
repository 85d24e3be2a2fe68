//! Non-overlapping Aho-Corasick matches from a plain loop over a DFA's transitions.
//!
//! `AhoCorasick::find_iter` runs a generic searcher behind a trait object: per byte it
//! re-reads the input bounds and the haystack through references, ~38 instructions
//! where the transition itself is ~6. `matches` gives the same matches (the tests compare
//! them) for DFAs built without a prefilter, in their own match kind: standard (stop at
//! the first match state) or leftmost (keep going until the dead state, keep the last
//! match seen), the next search starting where the last match ended. The context cues now
//! use `overlap::leftmost_longest`; `matches` is its test reference.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::Anchored;

/// `f(pattern, start, end)` for each match of `dfa` (no prefilter; no empty patterns)
/// in `hay`, as `find_iter` reports them. The reference for `overlap::leftmost_longest`.
#[cfg(test)]
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

/// The pattern of each match `AhoCorasick::find_iter` reports with standard semantics
/// (the first match state entered, its first pattern; the search then restarts from the
/// start state after the match), one state after another: the reference for `standard_hits`.
#[cfg(test)]
pub fn standard_hits_serial(dfa: &DFA, hay: &[u8], mut hit: impl FnMut(usize)) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    walk(dfa, start, start, hay, &mut |_, p| hit(p));
}

/// `hit(pattern)` for the same matches as `standard_hits_serial` (in another order).
///
/// A walk over a large DFA (the phrase automaton is ~3 MB) on new text waits on a cache
/// miss per byte, one after the other. So the text is cut in pieces walked side by side:
/// the first from the true state, the others from the start state, on speculation,
/// recording their state after each byte. Each walk then goes on into the next piece until
/// its state equals the recorded one at the same byte (a few bytes: both soon sit at the same short prefix
/// of the patterns); from there on the two walks are the same walk, so the speculative
/// one's matches after that byte are the true ones. If the states never meet, the first
/// walk simply covers the next piece too.
pub fn standard_hits(dfa: &DFA, hay: &[u8], hit: impl FnMut(usize)) {
    split_hits::<WALKS>(dfa, hay, hit);
}

/// Walks side by side in `standard_hits`.
const WALKS: usize = 4;

/// `standard_hits` with the text cut in `N` pieces walked side by side (the first from the
/// true state, the others on speculation), each later walk checked against the one before.
fn split_hits<const N: usize>(dfa: &DFA, hay: &[u8], mut hit: impl FnMut(usize)) {
    const PIECE: usize = 256;
    const SPEC_HITS: usize = 16;
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let mut sid = start;
    let mut at = 0;
    let mut states = [[start; PIECE]; N];
    while hay.len() - at >= 32 * N {
        let len = ((hay.len() - at) / N).min(PIECE);
        let piece = |c: usize| &hay[at + c * len..at + (c + 1) * len];
        let p: [&[u8]; N] = std::array::from_fn(piece);
        let mut s = [start; N];
        s[0] = sid;
        let mut spec = [[(0usize, 0usize); SPEC_HITS]; N];
        let (mut n_spec, mut spec_ok) = ([0usize; N], [true; N]);
        for k in 0..len {
            // N independent transition chains, then one rarely taken branch for all of
            // them (a branch per walk cost more than the walks saved).
            let mut special = false;
            for c in 0..N {
                s[c] = dfa.next_state(Anchored::No, s[c], p[c][k]);
                special |= dfa.is_special(s[c]);
                states[c][k] = s[c];
            }
            if !special {
                continue;
            }
            for c in 0..N {
                if !dfa.is_special(s[c]) {
                    continue;
                }
                if c == 0 {
                    if dfa.is_dead(s[0]) {
                        return;
                    }
                    if dfa.is_match(s[0]) {
                        hit(dfa.match_pattern(s[0], 0).as_usize());
                        s[0] = start;
                    }
                } else if dfa.is_match(s[c]) && n_spec[c] < SPEC_HITS {
                    spec[c][n_spec[c]] = (k, dfa.match_pattern(s[c], 0).as_usize());
                    n_spec[c] += 1;
                    s[c] = start;
                } else {
                    // Dead, or too many matches to keep: the walk before does it all.
                    spec_ok[c] = false;
                }
                states[c][k] = s[c];
            }
        }
        // Each walk goes on into the next piece until it meets the walk there, whose
        // state at the end of its piece is then the true one.
        let mut truth = s[0];
        for c in 1..N {
            let out = if spec_ok[c] {
                walk_until(dfa, start, truth, piece(c), &states[c][..len], &mut hit)
            } else {
                match walk(dfa, start, truth, piece(c), &mut |_, p| hit(p)) {
                    Some(st) => Until::End(st),
                    None => Until::Dead,
                }
            };
            match out {
                Until::Met(k) => {
                    for &(j, p) in &spec[c][..n_spec[c]] {
                        if j > k {
                            hit(p);
                        }
                    }
                    truth = s[c];
                }
                Until::End(st) => truth = st,
                Until::Dead => return,
            }
        }
        sid = truth;
        at += N * len;
    }
    walk(dfa, start, sid, &hay[at..], &mut |_, p| hit(p));
}

/// Walks `hay` from state `sid`, `hit(index, pattern)` per match; the state at the end, or
/// None at the dead state.
#[inline]
fn walk(
    dfa: &DFA,
    start: StateID,
    mut sid: StateID,
    hay: &[u8],
    hit: &mut impl FnMut(usize, usize),
) -> Option<StateID> {
    for (k, &b) in hay.iter().enumerate() {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            if dfa.is_dead(sid) {
                return None;
            }
            if dfa.is_match(sid) {
                hit(k, dfa.match_pattern(sid, 0).as_usize());
                sid = start;
            }
        }
    }
    Some(sid)
}

/// How `walk_until` ended: the walks met after byte `k`; or they never met, and this is
/// the state at the end; or the dead state.
enum Until {
    Met(usize),
    End(StateID),
    Dead,
}

/// Walks `hay` from `sid`, `hit(pattern)` per match, until its state after byte `k`
/// equals `states[k]`.
#[inline]
fn walk_until(
    dfa: &DFA,
    start: StateID,
    mut sid: StateID,
    hay: &[u8],
    states: &[StateID],
    hit: &mut impl FnMut(usize),
) -> Until {
    for (k, (&b, &theirs)) in hay.iter().zip(states).enumerate() {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            if dfa.is_dead(sid) {
                return Until::Dead;
            }
            if dfa.is_match(sid) {
                hit(dfa.match_pattern(sid, 0).as_usize());
                sid = start;
            }
        }
        if sid == theirs {
            return Until::Met(k);
        }
    }
    Until::End(sid)
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

    /// `standard_hits` against the serial walk: the same matches (as a multiset), on texts
    /// glued from pieces of many overlapping patterns, long enough to be cut in pieces.
    fn split_walk_agrees(pats: &[&str], hay: &[u8]) {
        let dfa = DFA::builder()
            .prefilter(false)
            .match_kind(MatchKind::Standard)
            .build(pats)
            .expect("dfa");
        let (mut want, mut got) = (Vec::new(), Vec::new());
        standard_hits_serial(&dfa, hay, |p| want.push(p));
        standard_hits(&dfa, hay, |p| got.push(p));
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(hay));
    }

    #[test]
    fn split_walk_finds_what_the_serial_walk_finds() {
        let pats = [
            "ignoreallprevious",
            "ignore",
            "previousinstructions",
            "allprevious",
            "ab",
            "abab",
            "ba",
            "aaaa",
            "aaab",
            "instructions",
            "xyz",
            "yzx",
            "zxy",
            "q",
        ];
        let mut next = crate::guards::test_rng(0x2545_F491_4F6C_DD1D);
        for round in 0..3000 {
            let mut h = Vec::new();
            let target = [10, 70, 130, 700, 1100, 3000][round % 6];
            while h.len() < target {
                match next(4) {
                    0 => h.extend_from_slice(b"the quick brown fox"),
                    1 => h.push(b"abxyzq"[next(6)]),
                    _ => {
                        let p = pats[next(pats.len())].as_bytes();
                        let (a, b) = (next(p.len()), next(p.len() + 1));
                        h.extend_from_slice(if next(3) == 0 {
                            &p[a.min(b)..a.max(b)]
                        } else {
                            p
                        });
                    }
                }
            }
            split_walk_agrees(&pats, &h);
        }
        // Runs that keep both walks apart (no meeting), and match-dense texts (more
        // speculative matches than are kept).
        split_walk_agrees(&pats, &b"a".repeat(2000));
        split_walk_agrees(&pats, &b"ab".repeat(1500));
        split_walk_agrees(&pats, &b"q".repeat(1500));
    }

    /// The same matches as `find_iter`, in every match kind, on texts glued from the
    /// patterns' pieces (overlaps, prefixes, case changes).
    #[test]
    fn same_matches_as_find_iter() {
        let pats = crate::guards::NESTED_PATTERNS;
        let mut next = crate::guards::test_rng(0x9E37_79B9_7F4A_7C15u64);
        let mut hays = Vec::new();
        for _ in 0..2000 {
            let mut h = Vec::new();
            for _ in 0..next(10) {
                crate::guards::push_piece(&mut h, &pats, &mut next, b" x.:");
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
