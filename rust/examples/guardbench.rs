//! Input-guard timings and a result dump, for issue 6 work on `rust/src/guards`.
//!
//!   guardbench time                 µs per call of scan / injection / pii at 1, 8, 64 KB
//!   guardbench run <case> <kb> <n> [scan|injection|pii]
//!                                   n calls on one case (for cachegrind instruction counts)
//!   guardbench rot <texts.jsonl> <rounds> [scan|injection|pii]
//!                                   µs per call over a rotation of distinct texts (what a
//!                                   router sees: branch predictors cannot learn one text)
//!   guardbench dump < texts.jsonl   one line of full results per {"text": …} line, so a
//!                                   change can be checked to leave every result identical
//!
//! Cases: `en` (English prompt text), `pii` (English with contact data, cards, keys),
//! `multi` (French, German, Russian, Chinese, Japanese mixed with English), `file:PATH`.
use std::hint::black_box;
use std::io::{BufRead, Write};
use std::time::Instant;

use routecore::guards::Guards;

const EN: &str = "I'm preparing a quarterly report for our operations team and would like help \
structuring it. The report should cover delivery times, customer satisfaction scores, and the \
cost of returns across our three warehouses. Could you suggest an outline with section headings, \
explain which charts would make the trends easiest to read, and point out any metrics that \
managers usually overlook? Please keep the tone professional but approachable.\n\
Also, here is a paragraph from last quarter's summary: \"Average delivery time fell from 4.2 to \
3.6 days, while returns rose by 7% after the new packaging was introduced in May.\" Rewrite it so \
that the cause and effect are clearer, and tell me whether the 7% figure needs more context.\n\
Finally, write a short Python function that reads a CSV of orders (order_id, warehouse, days, \
returned) and prints the mean delivery time per warehouse, sorted from slowest to fastest. \
Explain each step briefly, and mention how you would handle missing values.\n";

const PII: &str = "Hi, my name is Sarah Connelly and I need to update the billing details on \
my account. You can reach me at sarah.connelly@example.com or call +1-415-555-0134 after 5pm. \
The old card ending was 4111 1111 1111 1111 and the new IBAN is GB56HXDO88167774656119. I was \
born on March 3, 1990 and I live at 14 Crown Street, Apt. 5. Our server at 10.2.3.4 logs every \
request; the deploy key was AKIAIOSFODNN7EXAMPLE and password = \"hunter22!\" (rotated since). \
Please write a polite email to the bank explaining the change and asking them to confirm.\n";

const MULTI: &str = "Bonjour, pouvez-vous m'aider à rédiger une lettre de motivation pour un \
poste d'ingénieur logiciel ? Ich möchte außerdem wissen, wie man die Einleitung kürzer \
formuliert. Объясните, пожалуйста, разницу между процессом и потоком в операционной системе. \
请用简单的语言解释一下机器学习中的过拟合，并举一个例子。日本語でも短くまとめてください。 \
Finally, summarise the three answers in English, in a table with one row per language.\n";

fn case(name: &str) -> String {
    match name {
        "en" => EN.to_string(),
        "pii" => PII.to_string(),
        "multi" => MULTI.to_string(),
        _ => match name.strip_prefix("file:") {
            Some(path) => std::fs::read_to_string(path).expect("readable UTF-8 file"),
            None => panic!("unknown case {name} (en, pii, multi, file:PATH)"),
        },
    }
}

/// `kb` KiB of the case's text, cut at a char boundary.
fn sized(base: &str, kb: usize) -> String {
    let want = kb * 1024;
    let mut s = base.repeat(want / base.len() + 1);
    let mut cut = want.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s
}

/// Best of 7 batches of µs per call: the minimum is least disturbed by a loaded box.
fn time(text: &str, f: &dyn Fn(&str)) -> f64 {
    let n = (200_000 / text.len().max(1)).clamp(20, 5000);
    let mut best = f64::INFINITY;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..n {
            f(black_box(text));
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    best
}

fn timings(g: &Guards) {
    println!("case   KB      scan µs  (µs/KB)   injection µs     pii µs");
    for name in ["en", "pii", "multi"] {
        for kb in [1, 8, 64] {
            let t = sized(&case(name), kb);
            let s = time(&t, &|x| drop(black_box(g.scan(x))));
            let i = time(&t, &|x| drop(black_box(g.injection(x))));
            let p = time(&t, &|x| drop(black_box(g.pii(x))));
            println!(
                "{name:5} {kb:3} {s:12.1} {:8.1} {i:14.1} {p:10.1}",
                s / kb as f64
            );
        }
    }
}

fn dump(g: &Guards) {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let v: serde_json::Value = serde_json::from_str(&line).expect("json line");
        let text = v["text"].as_str().expect("text field");
        let r = g.scan(text);
        // Sorted: the model sums its features, so only the multiset must stay the same.
        let mut feats = g.injection_features(text);
        feats.sort_unstable();
        let fh = feats.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &f| {
            (h ^ u64::from(f)).wrapping_mul(0x0100_0000_01b3)
        });
        let pii: Vec<(usize, usize, &str)> = r
            .pii
            .iter()
            .map(|s| (s.start, s.end, s.kind.as_str()))
            .collect();
        let row = serde_json::json!({
            "score_bits": r.injection.score.to_bits(),
            "verdict": r.injection.verdict.as_str(),
            "signals": r.injection.signals,
            "pii": pii,
            "redacted": g.redact(text),
            "features": [feats.len(), fh],
        });
        writeln!(out, "{row}").expect("stdout");
    }
}

/// `rot`: best of 5 passes, each scanning every text of the file `rounds` times in turn.
fn rotation(g: &Guards, args: &[String]) {
    let texts: Vec<String> = std::fs::read_to_string(&args[1])
        .expect("readable jsonl")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["text"].as_str().expect("text field").to_string()
        })
        .collect();
    let rounds: usize = args[2].parse().expect("rounds");
    let which = args.get(3).map_or("scan", String::as_str);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..rounds {
            for x in &texts {
                match which {
                    "scan" => drop(black_box(g.scan(black_box(x)))),
                    "injection" => drop(black_box(g.injection(black_box(x)))),
                    "pii" => drop(black_box(g.pii(black_box(x)))),
                    _ => panic!("unknown part {which}"),
                }
            }
        }
        best = best.min(t.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len()) as f64);
    }
    println!("{which}: {best:.2} µs per text ({} texts)", texts.len());
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let g = Guards::new();
    match args.first().map(String::as_str) {
        Some("time") | None => timings(&g),
        Some("run") => {
            let t = sized(&case(&args[1]), args[2].parse().expect("kb"));
            let n: usize = args[3].parse().expect("n");
            let which = args.get(4).map_or("scan", String::as_str);
            for _ in 0..n {
                match which {
                    "scan" => drop(black_box(g.scan(black_box(&t)))),
                    "injection" => drop(black_box(g.injection(black_box(&t)))),
                    "pii" => drop(black_box(g.pii(black_box(&t)))),
                    _ => panic!("unknown part {which}"),
                }
            }
        }
        Some("rot") => rotation(&g, &args),
        Some("dump") => dump(&g),
        Some(m) => panic!("unknown mode {m}"),
    }
}
