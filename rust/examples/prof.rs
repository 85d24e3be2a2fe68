use routecore::*;
use std::time::Instant;
fn main() {
    let base = "Please review the following paragraph and tell me whether the argument holds up, and why. ";
    let text: String = base.repeat(800)[..65536].to_string();
    let t1k = &text[..1000];
    for (name, t) in [("1k", t1k), ("64k", &text[..])] {
        let n = if t.len() > 2000 { 2000 } else { 100000 };
        let s = Instant::now();
        for _ in 0..n {
            std::hint::black_box(text_stats::TextStats::of(std::hint::black_box(t)));
        }
        println!("{name} stats {:?}", s.elapsed() / n);
        let req = Request::from_text(t);
        let s = Instant::now();
        for _ in 0..n {
            std::hint::black_box(features::extract(std::hint::black_box(&req)));
        }
        println!("{name} features {:?}", s.elapsed() / n);
        let f = features::extract(&req);
        let c = classify::KeywordClassifier::new();
        use classify::CapabilityModel;
        let s = Instant::now();
        for _ in 0..n {
            std::hint::black_box(c.classify(&req, &f));
        }
        println!("{name} classify {:?}", s.elapsed() / n);
        let r = Router::new(
            config::load(
                &config::DEFAULT_TOML.replace("[tenants.default]", "[tenants.x]"),
                config::Format::Toml,
            )
            .unwrap(),
        );
        let s = Instant::now();
        for _ in 0..n {
            std::hint::black_box(r.route(&req).unwrap());
        }
        println!("{name} route {:?}", s.elapsed() / n);
    }
}
