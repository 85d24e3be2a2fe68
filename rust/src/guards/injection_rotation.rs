//! Opt-in timing of the injection scan's stages over a rotation of distinct texts (what a
//! router sees; one text scanned over and over lets the branch predictors learn it):
//! `ROT_JSONL=texts.jsonl cargo test --release rotation -- --ignored --nocapture`, where
//! each line is `{"text": …}` (`benches/bench_guards.py` cuts such texts).

use std::hint::black_box;

use super::*;

/// Best of five passes over `texts`: µs per text.
fn per_text(name: &str, texts: &[String], f: &mut dyn FnMut(&str)) {
    // ROT_STAGE=name times one stage only (for a profiler).
    if std::env::var("ROT_STAGE").is_ok_and(|s| s != name) {
        return;
    }
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let s = std::time::Instant::now();
        for _ in 0..10 {
            for t in texts {
                f(t);
            }
        }
        best = best.min(s.elapsed().as_secs_f64() * 1e6 / (10 * texts.len()) as f64);
    }
    println!("{name:14} {best:6.2} us");
}

#[test]
#[ignore]
fn stages() {
    let Ok(path) = std::env::var("ROT_JSONL") else {
        return;
    };
    let texts: Vec<String> = std::fs::read_to_string(path)
        .expect("readable")
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            Some(v["text"].as_str()?.to_string())
        })
        .collect();
    let d = InjectionDetector::new();
    let mut n = Normalized::new();
    let (mut toks, mut sq) = (Vec::new(), Vec::new());
    per_text("normalize", &texts, &mut |t| n.fill(black_box(t)));
    per_text("norm+words", &texts, &mut |t| {
        n.fill(t);
        let mut sum = 0i64;
        match &d.model {
            Some(m) => tokenize_features(&n.text, &d.vocab, &mut toks, &mut sq, &mut |b| {
                sum += m.weight(b)
            }),
            None => tokenize_features(&n.text, &d.vocab, &mut toks, &mut sq, &mut |_| {}),
        }
        black_box(sum);
    });
    per_text("norm+w-weights", &texts, &mut |t| {
        n.fill(t);
        let mut x = 0u32;
        tokenize_features(&n.text, &d.vocab, &mut toks, &mut sq, &mut |b| x ^= b);
        black_box(x);
    });
    per_text("norm+tokenize", &texts, &mut |t| {
        n.fill(t);
        tokenize(&n.text, &d.vocab, &mut toks, &mut sq);
    });
    per_text("norm+w+rules", &texts, &mut |t| {
        n.fill(t);
        tokenize_features(&n.text, &d.vocab, &mut toks, &mut sq, &mut |_| {});
        let mut fired = [false; SIGNALS.len()];
        black_box(d.rules(&n, &toks, &sq, &mut fired));
    });
    per_text("encoded", &texts, &mut |t| {
        let mut b = DECODE_BUDGET;
        encoded::for_each_decoded(t, &mut b, |x| {
            black_box(x);
        })
    });
    per_text("quoted", &texts, &mut |t| {
        black_box(without_quoted_overrides(t));
    });
    per_text("offtopic", &texts, &mut |t| {
        black_box(d.offtopic.detect(t));
    });
    per_text("suffix+shape", &texts, &mut |t| {
        black_box(adversarial_suffix(t));
        black_box(code_block(t));
        black_box(dialogue_and_burst(t));
        black_box(code_insertion(t));
    });
    per_text("analyze", &texts, &mut |t| {
        black_box(d.analyze(t, &mut |_| {}));
    });
    per_text("detect", &texts, &mut |t| {
        black_box(d.detect(t));
    });
    let reruns = texts
        .iter()
        .filter(|t| without_quoted_overrides(t).is_some())
        .count();
    println!(
        "{} texts, {reruns} with a quoted override phrase",
        texts.len()
    );
}
