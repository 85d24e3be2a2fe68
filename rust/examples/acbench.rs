use aho_corasick::{AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::time::Instant;
fn main() {
    let pats: Vec<String> = include_str!("../src/classify/keywords.rs")
        .lines()
        .flat_map(|l| {
            l.split("(\"")
                .skip(1)
                .map(|p| p.split('"').next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let pats: Vec<String> = pats.into_iter().filter(|p| p.is_ascii()).collect();
    println!("{} patterns", pats.len());
    let base = "Please review the following paragraph and tell me whether the argument holds up, and why. ";
    let text = base.repeat(12)[..1000].to_string();
    for (kind, mk, pf) in [
        (AhoCorasickKind::DFA, MatchKind::LeftmostLongest, true),
        (AhoCorasickKind::DFA, MatchKind::LeftmostLongest, false),
        (AhoCorasickKind::DFA, MatchKind::Standard, true),
        (AhoCorasickKind::DFA, MatchKind::Standard, false),
        (
            AhoCorasickKind::ContiguousNFA,
            MatchKind::LeftmostLongest,
            true,
        ),
    ] {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(mk)
            .kind(Some(kind))
            .prefilter(pf)
            .build(&pats)
            .unwrap();
        let s = Instant::now();
        let mut c = 0;
        for _ in 0..100000 {
            c += ac.find_iter(std::hint::black_box(text.as_bytes())).count();
        }
        println!(
            "{kind:?} {mk:?} pf={pf} {:?} matches {}",
            s.elapsed() / 100000,
            c / 100000
        );
    }
}
