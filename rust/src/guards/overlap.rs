//! Leftmost-longest matches from a forward walk that never restarts, cut in pieces walked
//! side by side (the context cues of `context.rs`).
//!
//! A leftmost-longest search (`search::matches`) restarts at each match's end, behind the
//! point where it found the match, so its walk cannot be split like the phrase walk
//! (`search::standard_hits`), and on new text it waited on one transition load after the
//! other (~3 µs of a 1 KB scan). Here a standard-semantics DFA reports every match
//! (overlapping), a pure forward walk: the text is cut in pieces, all but the first walked
//! from the start state on speculation, and each walk runs on into the next piece until
//! its state equals the one recorded there, after which the two are the same walk. The
//! leftmost-longest matches are then picked from all matches: the leftmost start at or
//! after the last match's end, the longest there, the lowest pattern among equals; which
//! is what the leftmost-longest search reports (`picks_what_the_leftmost_longest_search_finds`).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::Anchored;

/// Walks side by side.
const WALKS: usize = 4;
/// Bytes per piece and round.
const PIECE: usize = 256;
/// Speculative matches kept per piece; more, and the walk before covers the piece.
const SPEC_HITS: usize = 32;

/// `hit(pattern, end)` for every match of the standard-semantics `dfa` in `hay`, each match
/// state's patterns in order (overlapping semantics), in no particular order overall.
pub fn overlapping_hits(dfa: &DFA, hay: &[u8], mut hit: impl FnMut(usize, usize)) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let mut sid = start;
    let mut at = 0;
    // States of the speculative walks after each byte of their pieces.
    let mut states = [[start; PIECE]; WALKS - 1];
    while hay.len() - at >= 32 * WALKS {
        let len = ((hay.len() - at) / WALKS).min(PIECE);
        let p: [&[u8]; WALKS] = std::array::from_fn(|c| &hay[at + c * len..at + (c + 1) * len]);
        let mut s = [start; WALKS];
        s[0] = sid;
        let mut spec = [[(0usize, 0usize); SPEC_HITS]; WALKS];
        let (mut n_spec, mut spec_ok) = ([0usize; WALKS], [true; WALKS]);
        let [st1, st2, st3] = &mut states;
        let (st1, st2, st3) = (&mut st1[..len], &mut st2[..len], &mut st3[..len]);
        for k in 0..len {
            // Four independent transition chains; one rarely taken branch for all four.
            s[0] = dfa.next_state(Anchored::No, s[0], p[0][k]);
            s[1] = dfa.next_state(Anchored::No, s[1], p[1][k]);
            s[2] = dfa.next_state(Anchored::No, s[2], p[2][k]);
            s[3] = dfa.next_state(Anchored::No, s[3], p[3][k]);
            st1[k] = s[1];
            st2[k] = s[2];
            st3[k] = s[3];
            if dfa.is_special(s[0])
                | dfa.is_special(s[1])
                | dfa.is_special(s[2])
                | dfa.is_special(s[3])
            {
                for c in 0..WALKS {
                    if !dfa.is_special(s[c]) {
                        continue;
                    }
                    if dfa.is_dead(s[c]) {
                        // Not reached by an unanchored standard DFA; the serial walk is
                        // the reference if it were.
                        return overlapping_serial(dfa, hay, hit);
                    }
                    if dfa.is_match(s[c]) {
                        for i in 0..dfa.match_len(s[c]) {
                            let pid = dfa.match_pattern(s[c], i).as_usize();
                            if c == 0 {
                                hit(pid, at + k + 1);
                            } else if n_spec[c] < SPEC_HITS {
                                spec[c][n_spec[c]] = (k, pid);
                                n_spec[c] += 1;
                            } else {
                                spec_ok[c] = false;
                            }
                        }
                    }
                }
            }
        }
        let mut truth = s[0];
        for c in 1..WALKS {
            let base = at + c * len;
            let theirs: &[StateID] = if spec_ok[c] {
                &states[c - 1][..len]
            } else {
                &[]
            };
            let mut sid = truth;
            let mut met = None;
            for (k, &b) in p[c].iter().enumerate() {
                sid = dfa.next_state(Anchored::No, sid, b);
                if dfa.is_special(sid) {
                    if dfa.is_dead(sid) {
                        return overlapping_serial(dfa, hay, hit);
                    }
                    if dfa.is_match(sid) {
                        for i in 0..dfa.match_len(sid) {
                            hit(dfa.match_pattern(sid, i).as_usize(), base + k + 1);
                        }
                    }
                }
                if theirs.get(k) == Some(&sid) {
                    met = Some(k);
                    break;
                }
            }
            match met {
                Some(k) => {
                    for &(j, pid) in &spec[c][..n_spec[c]] {
                        if j > k {
                            hit(pid, base + j + 1);
                        }
                    }
                    truth = s[c];
                }
                None => truth = sid,
            }
        }
        sid = truth;
        at += WALKS * len;
    }
    walk_from(dfa, sid, hay, at, &mut hit);
}

/// Every match from `hay[at..]` on, from state `sid`, one state after another.
fn walk_from(
    dfa: &DFA,
    mut sid: StateID,
    hay: &[u8],
    at: usize,
    hit: &mut impl FnMut(usize, usize),
) {
    for (k, &b) in hay.iter().enumerate().skip(at) {
        sid = dfa.next_state(Anchored::No, sid, b);
        if dfa.is_special(sid) {
            if dfa.is_dead(sid) {
                return;
            }
            if dfa.is_match(sid) {
                for i in 0..dfa.match_len(sid) {
                    hit(dfa.match_pattern(sid, i).as_usize(), k + 1);
                }
            }
        }
    }
}

/// The serial walk over all of `hay` (the reference for `overlapping_hits`).
fn overlapping_serial(dfa: &DFA, hay: &[u8], mut hit: impl FnMut(usize, usize)) {
    if let Ok(start) = dfa.start_state(Anchored::No) {
        walk_from(dfa, start, hay, 0, &mut hit);
    }
}

/// `f(pattern, start, end)` for each leftmost-longest match of the patterns of the
/// standard-semantics `dfa` in `hay`, in order, as `search::matches` reports them on the
/// leftmost-longest DFA of the same patterns. `all` is scratch space.
pub fn leftmost_longest(
    dfa: &DFA,
    hay: &[u8],
    all: &mut Vec<(usize, usize, usize)>,
    mut f: impl FnMut(usize, usize, usize),
) {
    all.clear();
    overlapping_hits(dfa, hay, |p, end| {
        // Start first, then the longest (latest end), then the lowest pattern.
        all.push((
            end - dfa.pattern_len(aho_corasick::PatternID::must(p)),
            usize::MAX - end,
            p,
        ));
    });
    all.sort_unstable();
    let mut from = 0;
    for &(s, e, p) in all.iter() {
        if s >= from {
            let end = usize::MAX - e;
            f(p, s, end);
            from = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::MatchKind;

    fn dfa(pats: &[&str], kind: MatchKind) -> DFA {
        DFA::builder()
            .prefilter(false)
            .ascii_case_insensitive(true)
            .match_kind(kind)
            .build(pats)
            .expect("dfa")
    }

    /// Texts glued from the patterns' pieces, case changes and separators; long ones too,
    /// so they are cut in pieces, and match-dense ones (more than the speculative walks keep).
    fn hays(pats: &[&str], seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut next = crate::guards::test_rng(seed);
        let mut out = Vec::new();
        for round in 0..n {
            let target = [5, 40, 130, 600, 1100, 3000][round % 6];
            let mut h = Vec::new();
            while h.len() < target {
                crate::guards::push_piece(&mut h, pats, &mut next, b" x.:\nthe quick fox");
            }
            out.push(h);
        }
        for p in ["st", "a", "ab", "mr. "] {
            out.push(p.repeat(1500).into_bytes());
        }
        out
    }

    fn check(pats: &[&str], seed: u64) -> usize {
        let ll = dfa(pats, MatchKind::LeftmostLongest);
        let std = dfa(pats, MatchKind::Standard);
        let mut all = Vec::new();
        let mut n = 0;
        for h in hays(pats, seed, 1200) {
            let (mut want, mut got) = (Vec::new(), Vec::new());
            crate::guards::search::matches(&ll, &h, |p, s, e| want.push((p, s, e)));
            leftmost_longest(&std, &h, &mut all, |p, s, e| got.push((p, s, e)));
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&h));
            let (mut a, mut b) = (Vec::new(), Vec::new());
            overlapping_serial(&std, &h, |p, e| a.push((p, e)));
            overlapping_hits(&std, &h, |p, e| b.push((p, e)));
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "{:?}", String::from_utf8_lossy(&h));
            n += want.len();
        }
        n
    }

    #[test]
    fn picks_what_the_leftmost_longest_search_finds() {
        let pats = [
            &crate::guards::NESTED_PATTERNS[..],
            &["tie", "abcd", "bcd", "cd"],
        ]
        .concat();
        assert!(check(&pats, 0x9E37_79B9_7F4A_7C15) > 10_000);
    }

    #[test]
    fn picks_the_context_cues_leftmost_longest_matches() {
        let pats: Vec<&str> = crate::guards::context::cue_strings().collect();
        assert!(check(&pats, 0x2545_F491_4F6C_DD1D) > 10_000);
    }
}
