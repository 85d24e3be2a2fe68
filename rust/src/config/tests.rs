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
fn a_model_listed_twice_in_a_tier() {
    let t = DEFAULT_TOML.replace(
        "models = [\"qwen2.5-1.5b-local\", \"llama-3.1-8b-instant\"]",
        "models = [\"qwen2.5-1.5b-local\", \"llama-3.1-8b-instant\", \"qwen2.5-1.5b-local\"]",
    );
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].path, "tiers[0].models[2]");
    assert!(e[0].message.contains("second time"));
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

fn with_guards(extra: &str) -> String {
    format!("{DEFAULT_TOML}\n{extra}\n")
}

#[test]
fn guard_policy_resolves_global_tier_and_tenant() {
    let t = with_guards(
        "[guards.injection]\naction = \"block\"\n[guards.pii]\naction = \"redact\"\ntypes = { credit_card = \"block\" }\n\
         [tenants.acme.guards.injection]\naction = \"escalate\"\nmode = \"parallel\"\n",
    );
    let p = load(&t, Format::Toml).expect("valid");
    use crate::guard_policy::{Action, Mode};
    let g = p.guards.effective(Some("nobody"), 1);
    assert_eq!(g.injection_action, Action::Block);
    assert_eq!(g.pii_types[2], Action::Block); // CREDIT_CARD
    assert_eq!(g.pii_types[0], Action::Redact); // EMAIL
    let a = p.guards.effective(Some("acme"), 1);
    assert_eq!(a.injection_action, Action::Escalate);
    assert_eq!(a.injection_mode, Mode::Parallel);
    // Defaults: injection flagged, PII off, pre_call.
    let d = default_policy().guards.effective(None, 0);
    assert_eq!(d.injection_action, Action::Flag);
    assert_eq!(d.pii_action, Action::Off);
    assert_eq!(default_policy().verification.thresholds, vec![0.05; 4]);
}

#[test]
fn bad_guard_values_are_all_reported_with_paths() {
    let t = with_guards(
        "[guards.injection]\naction = \"nuke\"\nmode = \"later\"\n[guards.pii]\ntypes = { SHOE_SIZE = \"block\" }\n\
         [guards.toxicity]\naction = \"block\"\n[tenants.acme.guards.pii]\naction = \"bogus\"\n",
    );
    let e = errors(&t);
    let find = |p: &str| {
        e.iter()
            .find(|i| i.path == p)
            .unwrap_or_else(|| panic!("{p} in {e:?}"))
    };
    assert!(find("guards.injection.action")
        .message
        .contains("off, flag, redact, block, escalate"));
    assert!(find("guards.injection.mode")
        .message
        .contains("pre_call or parallel"));
    assert!(find("guards.pii.types.SHOE_SIZE")
        .message
        .contains("CREDIT_CARD"));
    assert!(find("guards.toxicity").message.contains("unknown detector"));
    assert!(find("tenants.acme.guards.pii.action")
        .message
        .contains("bogus"));
}

#[test]
fn redact_in_parallel_and_on_injection_are_refused() {
    let e = errors(&with_guards(
        "[guards.pii]\naction = \"redact\"\nmode = \"parallel\"\n[guards.injection]\naction = \"redact\"\n",
    ));
    let paths: Vec<&str> = e.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths.iter().filter(|p| **p == "guards.pii.mode").count(),
        1,
        "{e:?}"
    );
    assert!(paths.contains(&"guards.injection.action"), "{e:?}");
}

#[test]
fn verification_section_is_validated() {
    let e = errors(&with_guards(
        "[verification]\nchecks = [\"json\", \"vibes\"]\non_failure = \"pray\"\nrollback_threshold = 1.5\n\
         custom = [\"nocolon\"]\nrollback_to = { \"gpt-4o-mini\" = \"gpt-9\", \"T9\" = \"gpt-4o\" }\n",
    ));
    let paths: Vec<&str> = e.iter().map(|i| i.path.as_str()).collect();
    for p in [
        "verification.checks[1]",
        "verification.on_failure",
        "verification.rollback_threshold",
        "verification.custom[0]",
        "verification.rollback_to.gpt-4o-mini",
        "verification.rollback_to.T9",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    let ok = load(
        &with_guards("[verification]\nrollback_to = { \"gpt-4o-mini\" = \"gpt-4o\", \"T1-fast\" = \"claude-3-5-haiku\" }\ntier_thresholds = [0.2]\n"),
        Format::Toml,
    )
    .expect("valid");
    assert_eq!(ok.verification.thresholds, vec![0.2, 0.05, 0.05, 0.05]);
    assert_eq!(
        ok.verification.rollback_tier[1],
        ok.model_id("claude-3-5-haiku")
    );
}

#[test]
fn high_stakes_routes_need_a_known_name_and_a_destination() {
    let e = errors(&with_guards(
        "[verification]\nhigh_stakes = [\"math\", \"T9\"]\nhuman_escalation = \"not a target\"\n",
    ));
    let paths: Vec<&str> = e.iter().map(|i| i.path.as_str()).collect();
    assert!(paths.contains(&"verification.high_stakes[1]"), "{paths:?}");
    assert!(
        paths.contains(&"verification.human_escalation"),
        "{paths:?}"
    );
    let e = errors(&with_guards("[verification]\nhigh_stakes = [\"math\"]\n"));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].path, "verification.high_stakes");
    let ok = load(
        &with_guards(
            "[verification]\nhigh_stakes = [\"math\", \"T1-fast\"]\nhuman_escalation = \"https://oncall.example/hook\"\n",
        ),
        Format::Toml,
    )
    .expect("valid");
    assert_eq!(
        ok.verification.high_stakes_capabilities,
        vec![crate::Capability::Math]
    );
    assert_eq!(ok.verification.high_stakes_tiers, vec![1]);
    for good in ["pkg.mod:notify", "http://127.0.0.1:9/x"] {
        let t =
            format!("[verification]\nhigh_stakes = [\"code\"]\nhuman_escalation = \"{good}\"\n");
        assert!(load(&with_guards(&t), Format::Toml).is_ok(), "{good}");
    }
}
