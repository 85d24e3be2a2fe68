//! Where `route()` spends its time, stage by stage (`cargo run --release --example prof`;
//! `--profile profiling` under `perf record` for a call graph).
use routecore::*;
use std::time::{Duration, Instant};

fn time<T>(n: u32, mut f: impl FnMut() -> T) -> Duration {
    let s = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    s.elapsed() / n
}

fn main() {
    let base = "Please review the following paragraph and tell me whether the argument holds up, and why. ";
    let text: String = base.repeat(800)[..65536].to_string();
    // PROF_TEXT=file: profile that text as the "1k" case (e.g. a realistic prompt, whose
    // varied words touch more of the weight table than the repeated sentence does).
    let custom = std::env::var("PROF_TEXT")
        .ok()
        .map(|p| std::fs::read_to_string(p).expect("PROF_TEXT file"));
    let t1k = custom.as_deref().unwrap_or(&text[..1000]);
    let only = std::env::args().nth(1);
    // PROF_CONFIG=file: route with that TOML config instead of the embedded default (e.g. the
    // 100-model config of `bench_route.py`, to see what the model count costs).
    let custom_config = std::env::var("PROF_CONFIG")
        .ok()
        .map(|p| std::fs::read_to_string(p).expect("PROF_CONFIG file"));
    let toml = custom_config
        .as_deref()
        .unwrap_or(config::DEFAULT_TOML)
        .replace("[tenants.default]", "[tenants.x]");
    let keywords = Router::new(config::load(&toml, config::Format::Toml).unwrap());
    let learned = Router::new(
        config::load(
            &toml.replace("[routing]", "[routing]\nclassifier = \"learned\""),
            config::Format::Toml,
        )
        .unwrap(),
    );
    for (name, t) in [("1k", t1k), ("64k", &text[..])] {
        let n = if t.len() > 2000 { 2000 } else { 200000 };
        let req = Request::from_text(t);
        if let Some(o) = &only {
            // One stage, 100k times per unit of the second argument, on 1k only: for
            // `perf record`, or `perf stat -e instructions` differences (load-independent).
            if name != "1k" {
                continue;
            }
            let reps: u32 = std::env::args().nth(2).map_or(10, |s| s.parse().unwrap()) * 100_000;
            let f = features::extract(&req);
            let c = classify::KeywordClassifier::new();
            let d = difficulty::DifficultyModel::embedded().unwrap();
            let l = classify::LearnedClassifier::embedded().unwrap();
            use classify::CapabilityModel;
            let el = match o.as_str() {
                "stats" => time(reps, || text_stats::TextStats::of(t)),
                "features" => time(reps, || features::extract(&req)),
                "keywords" => time(reps, || c.classify(&req, &f)),
                "difficulty" => time(reps, || d.score(&req, &f)),
                "learned" => time(reps, || l.classify(&req, &f)),
                "route_learned" => time(reps, || learned.route(&req).unwrap()),
                _ => time(reps, || keywords.route(&req).unwrap()),
            };
            println!("{name} {o} {el:?}");
            continue;
        }
        println!(
            "{name} stats {:?}",
            time(n, || text_stats::TextStats::of(t))
        );
        println!("{name} features {:?}", time(n, || features::extract(&req)));
        let f = features::extract(&req);
        let c = classify::KeywordClassifier::new();
        use classify::CapabilityModel;
        println!("{name} keywords {:?}", time(n, || c.classify(&req, &f)));
        let d = difficulty::DifficultyModel::embedded().unwrap();
        println!("{name} difficulty {:?}", time(n, || d.score(&req, &f)));
        let l = classify::LearnedClassifier::embedded().unwrap();
        println!("{name} learned {:?}", time(n, || l.classify(&req, &f)));
        println!(
            "{name} route(keywords) {:?}",
            time(n, || keywords.route(&req).unwrap())
        );
        println!(
            "{name} route(learned) {:?}",
            time(n, || learned.route(&req).unwrap())
        );
    }
}
