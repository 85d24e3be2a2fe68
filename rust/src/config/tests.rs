use super::*;

fn errors(text: &str) -> Vec<ConfigIssue> {
    match load(text, Format::Toml) {
        Err(Error::Config(v)) => v,
        Ok(_) => panic!("expected errors"),
        Err(e) => panic!("{e:?}"),
    }
}

#[test]
fn default_is_valid() {
    let p = default_policy();
    assert_eq!(p.tiers.len(), 4);
    assert!(p.tiers[0].latency_budget_ms < 50.0 + 1e-9);
    assert_eq!(p.tiers[3].latency_budget_ms, 1000.0);
}

#[test]
fn unknown_keys_are_all_reported_with_paths() {
    let t = DEFAULT_TOML
        .replace("ttft_ms = 25", "ttft_ms = 25\nttft = 3")
        .replace("max_fallbacks = 3", "max_fallbacks = 3\nfoo = 1");
    let e = errors(&t);
    let paths: Vec<&str> = e.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths.contains(&"models.qwen2.5-1.5b-local.ttft"),
        "{paths:?}"
    );
    assert!(paths.contains(&"routing.foo"), "{paths:?}");
}

#[test]
fn dangling_model_reference() {
    let t = DEFAULT_TOML.replace(
        "models = [\"o4-mini\", \"claude-sonnet-4\"]",
        "models = [\"o4-mini\", \"gpt-7\"]",
    );
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].path, "capabilities.reasoning.models[1]");
    assert!(e[0].message.contains("gpt-7"));
}

#[test]
fn negative_budget_and_thresholds_out_of_order() {
    let t = DEFAULT_TOML
        .replace("usd_per_window = 50.0", "usd_per_window = -1.0")
        .replace("[12.0, 30.0, 55.0]", "[12.0, 60.0, 55.0]");
    let e = errors(&t);
    let paths: Vec<&str> = e.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths.contains(&"tenants.default.usd_per_window"),
        "{paths:?}"
    );
    assert!(paths.contains(&"scoring.thresholds[2]"), "{paths:?}");
}

#[test]
fn type_errors_name_the_key() {
    let t = DEFAULT_TOML.replace("context_window = 32768", "context_window = \"big\"");
    let e = errors(&t);
    assert!(
        e.iter()
            .any(|i| i.path == "models.qwen2.5-1.5b-local.context_window"),
        "{e:?}"
    );
}

#[test]
fn syntax_error_is_reported() {
    let e = errors("models = [");
    assert_eq!(e.len(), 1);
}

#[test]
fn json_works_too() {
    let j = r#"{"models": {"m": {"provider": "openai", "input_cost_per_1k": 0.1, "output_cost_per_1k": 0.2,
              "context_window": 1000, "ttft_ms": 100}},
              "tiers": [{"name": "only", "latency_budget_ms": 500, "success_target": 0.9, "models": ["m"]}],
              "scoring": {"thresholds": []}}"#;
    let p = load(j, Format::Json).unwrap();
    assert_eq!(p.tiers.len(), 1);
    assert_eq!(
        p.normalized.models["m"].api_base.as_deref(),
        Some("https://api.openai.com/v1")
    );
}

#[test]
fn tier_count_and_threshold_count_must_agree() {
    let j = r#"{"models": {"m": {"provider": "openai", "input_cost_per_1k": 0.1, "output_cost_per_1k": 0.2,
              "context_window": 1000, "ttft_ms": 100}},
              "tiers": [{"name": "only", "latency_budget_ms": 500, "success_target": 0.9, "models": ["m"]}]}"#;
    match load(j, Format::Json) {
        Err(Error::Config(v)) => assert_eq!(v[0].path, "scoring.thresholds"),
        other => panic!("{other:?}"),
    }
}
