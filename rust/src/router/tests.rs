use super::*;
use crate::capability::Capability;
use crate::config::DEFAULT_TOML;
use crate::error::BudgetLimit;
use crate::health::ErrorKind;
use crate::request::{Message, Role};

fn router() -> Router {
    Router::from_config(DEFAULT_TOML, Format::Toml).unwrap()
}

fn name(r: &Router, id: ModelId) -> &str {
    &r.policy().model(id).name
}

#[test]
fn chitchat_goes_to_t0_and_code_higher() {
    let r = router();
    let d = r
        .route(&Request::from_text("hey, how are you doing today?"))
        .unwrap();
    assert_eq!(d.capability, Capability::Chitchat);
    assert_eq!(d.tier, 0);
    let d = r
        .route(&Request::from_text(
            "Write a Python function that merges two sorted lists in O(n)",
        ))
        .unwrap();
    assert_eq!(d.capability, Capability::Code);
    assert!(d.tier >= 1);
    assert!(!d.fallbacks.contains(&d.model));
}

#[test]
fn fallbacks_are_ordered_unique_and_bounded() {
    let r = router();
    let d = r
        .route(&Request::from_text(
            "Explain the causes of the French revolution",
        ))
        .unwrap();
    let mut seen = d.fallbacks.clone();
    seen.push(d.model);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), d.fallbacks.len() + 1);
    assert!(d.fallbacks.len() <= r.policy().routing.max_fallbacks);
}

#[test]
fn pinned_model_and_tier_alias() {
    let r = router();
    let mut req = Request::from_text("hi");
    req.model = Some("claude-opus-4");
    let d = r.route(&req).unwrap();
    assert_eq!(name(&r, d.model), "claude-opus-4");
    req.model = Some("routecore/t2");
    let d = r.route(&req).unwrap();
    assert_eq!(d.tier, 2);
    req.model = Some("gpt-99");
    assert!(matches!(r.route(&req), Err(Error::UnknownModel { .. })));
}

#[test]
fn long_prompt_never_exceeds_a_window() {
    let r = router();
    let text = "lorem ipsum dolor sit amet ".repeat(30_000); // ~150k tokens
    let d = r.route(&Request::from_text(&text)).unwrap();
    for m in std::iter::once(d.model).chain(d.fallbacks.iter().copied()) {
        assert!(
            r.policy().model(m).context_window >= d.input_tokens,
            "{}",
            name(&r, m)
        );
    }
    assert!(d
        .reasons
        .iter()
        .any(|x| matches!(x, Reason::SkippedContext { .. })));
}

#[test]
fn impossible_prompt_is_a_clear_error() {
    let r = router();
    let text = "word ".repeat(1_500_000);
    match r.route(&Request::from_text(&text)) {
        Err(Error::NoModelAvailable { message }) => {
            assert!(message.contains("largest context window"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn request_bounds_and_user_tiers() {
    let r = router();
    let mut req = Request::from_text("hello there");
    req.min_tier = Some(2);
    assert!(r.route(&req).unwrap().tier >= 2);
    req.min_tier = None;
    req.user_tier = Some("premium");
    assert!(r.route(&req).unwrap().tier >= 1);
    req.user_tier = Some("platinum");
    assert!(matches!(r.route(&req), Err(Error::InvalidRequest { .. })));
    let mut req = Request::from_text("hi");
    req.min_tier = Some(3);
    req.max_tier = Some(1);
    assert!(matches!(r.route(&req), Err(Error::InvalidRequest { .. })));
}

#[test]
fn deadline_skips_slow_models() {
    let r = router();
    let mut req = Request::from_text("Solve this logic puzzle step by step: who owns the zebra?");
    req.deadline_ms = Some(300.0);
    let d = r.route(&req).unwrap();
    for m in std::iter::once(d.model).chain(d.fallbacks.iter().copied()) {
        assert!(r.policy().model(m).ttft_ms <= 300.0, "{}", name(&r, m));
    }
}

#[test]
fn cost_cap_filters() {
    let r = router();
    let text = "Summarize: the meeting covered budgets. ".repeat(200);
    let mut req = Request::from_text(&text);
    req.max_cost_usd = Some(0.0005);
    let d = r.route(&req).unwrap();
    assert!(d.estimated_cost_usd <= 0.0005);
}

#[test]
fn budget_refuses_with_typed_error_and_refills_after_release() {
    let toml = DEFAULT_TOML.replace("requests_per_min = 600", "requests_per_min = 2");
    let r = Router::from_config(&toml, Format::Toml).unwrap();
    let mut req = Request::from_text("hi");
    req.tenant = Some("acme");
    let d1 = r.route_at(&req, 0).unwrap();
    r.route_at(&req, 0).unwrap();
    match r.route_at(&req, 0) {
        Err(Error::BudgetExceeded {
            limit: BudgetLimit::RequestsPerMin,
            tenant,
            ..
        }) => assert_eq!(tenant, "acme"),
        other => panic!("{other:?}"),
    }
    r.release(&d1);
    r.route_at(&req, 0).unwrap();
    // Another tenant is unaffected.
    req.tenant = Some("globex");
    r.route_at(&req, 0).unwrap();
}

#[test]
fn open_breaker_moves_primary_and_recovers() {
    let r = router();
    let req = Request::from_text("hey there");
    let first = r.route(&req).unwrap().model;
    let fail = Outcome {
        ok: false,
        ttft_ms: None,
        total_ms: None,
        error: Some(ErrorKind::Server),
        deadline_missed: false,
    };
    for _ in 0..5 {
        r.record(name(&r, first), &fail).unwrap();
    }
    let d = r.route(&req).unwrap();
    assert_ne!(d.model, first);
    assert!(!d.fallbacks.contains(&first));
    assert!(d
        .reasons
        .iter()
        .any(|x| matches!(x, Reason::SkippedBreaker { .. })));
}

#[test]
fn every_breaker_open_forces_a_probe() {
    let r = router();
    let fail = Outcome {
        ok: false,
        ttft_ms: None,
        total_ms: None,
        error: Some(ErrorKind::Connect),
        deadline_missed: false,
    };
    for m in r.policy().model_names() {
        for _ in 0..5 {
            r.record(&m, &fail).unwrap();
        }
    }
    let d = r.route(&Request::from_text("hi")).unwrap();
    assert!(d
        .reasons
        .iter()
        .any(|x| matches!(x, Reason::ForcedProbe { .. })));
}

#[test]
fn tenant_allowed_models_and_tier_caps() {
    let toml = format!("{DEFAULT_TOML}\n[tenants.small]\nmax_tier = 1\nallowed_models = [\"gpt-4o-mini\", \"llama-3.1-8b-instant\"]\n");
    let r = Router::from_config(&toml, Format::Toml).unwrap();
    let mut req = Request::from_text(
        "Prove that there are infinitely many primes, step by step, with a rigorous argument.",
    );
    req.tenant = Some("small");
    let d = r.route(&req).unwrap();
    assert!(d.tier <= 1);
    for m in std::iter::once(d.model).chain(d.fallbacks.iter().copied()) {
        assert!(["gpt-4o-mini", "llama-3.1-8b-instant"].contains(&name(&r, m)));
    }
    req.model = Some("claude-opus-4");
    assert!(matches!(r.route(&req), Err(Error::ModelNotAllowed { .. })));
    req.model = Some("routecore/t3");
    assert!(matches!(r.route(&req), Err(Error::ModelNotAllowed { .. })));
}

#[test]
fn bad_requests() {
    let r = router();
    assert!(matches!(
        r.route(&Request::default()),
        Err(Error::InvalidRequest { .. })
    ));
    let mut req = Request::from_text("x");
    req.max_tokens = Some(0);
    assert!(matches!(r.route(&req), Err(Error::InvalidRequest { .. })));
    let mut req = Request::from_text("x");
    req.deadline_ms = Some(f64::NAN);
    assert!(matches!(r.route(&req), Err(Error::InvalidRequest { .. })));
    let small = DEFAULT_TOML.replace(
        "default_output_tokens = 300",
        "default_output_tokens = 300\nmax_input_bytes = 10",
    );
    let r = Router::from_config(&small, Format::Toml).unwrap();
    assert!(matches!(
        r.route(&Request::from_text("more than ten bytes")),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn request_ids_are_unique_and_reasons_render() {
    let r = router();
    let req = Request {
        messages: vec![
            Message::new(Role::System, "be brief"),
            Message::user("what's the capital of peru?"),
        ],
        ..Default::default()
    };
    let a = r.route(&req).unwrap();
    let b = r.route(&req).unwrap();
    assert_ne!(a.request_id, b.request_id);
    let text = a.reasons_text(r.policy());
    assert!(text[0].starts_with("capability "), "{text:?}");
    assert!(text.iter().any(|t| t.contains("complexity")));
}

#[test]
fn reconcile_charges_actual_usage() {
    let toml = DEFAULT_TOML.replace("tokens_per_min = 400000", "tokens_per_min = 10000");
    let r = Router::from_config(&toml, Format::Toml).unwrap();
    let mut req = Request::from_text("hi");
    req.tenant = Some("t");
    let d = r.route(&req).unwrap();
    let before = r.budget_levels("t").unwrap()[1];
    let cost = r.reconcile(&d, 1000, 2000);
    let after = r.budget_levels("t").unwrap()[1];
    assert!(cost >= 0.0);
    let expected_delta = 3000.0 - d.reservation.tokens;
    assert!(
        (before - after - expected_delta).abs() < 5.0,
        "{before} {after} {expected_delta}"
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,300}",
            "[a-z ]{0,200}",
            "(```[a-z]*\n)?([a-zA-Z0-9 =(){};:.,?!\n\t-]{0,80}\n){0,12}(```)?",
            "[\u{4e00}-\u{9fff}\u{3040}-\u{30ff}\u{ac00}-\u{d7af}\u{0900}-\u{097f} ]{0,100}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any text, any role mix, any bounds: a decision that respects its invariants, or a
        /// typed error; never a panic.
        #[test]
        fn route_invariants(texts in proptest::collection::vec(any_text(), 1..5), roles in proptest::collection::vec(0u8..4, 1..5),
                            min_tier in proptest::option::of(0u8..5), max_tier in proptest::option::of(0u8..5),
                            max_tokens in proptest::option::of(1u32..200_000), deadline in proptest::option::of(1.0f64..2000.0),
                            tools in 0u32..5) {
            let r = router();
            let msgs: Vec<Message> = texts.iter().zip(roles.iter().cycle()).map(|(t, k)| {
                let role = [Role::User, Role::System, Role::Assistant, Role::Tool][*k as usize];
                Message::new(role, t)
            }).collect();
            let req = Request { messages: msgs, min_tier, max_tier, max_tokens, deadline_ms: deadline, tools, ..Default::default() };
            match r.route(&req) {
                Ok(d) => {
                    let p = r.policy();
                    prop_assert!(d.tier <= p.max_tier());
                    if let Some(lo) = min_tier { prop_assert!(d.tier >= lo); }
                    if let Some(hi) = max_tier { prop_assert!(d.tier <= hi); }
                    let mut all = d.fallbacks.clone();
                    all.push(d.model);
                    let n = all.len();
                    all.sort_unstable();
                    all.dedup();
                    prop_assert_eq!(all.len(), n, "duplicate models");
                    for m in all {
                        prop_assert!(p.model(m).context_window >= d.input_tokens);
                    }
                    prop_assert!((0.0..=100.0).contains(&d.complexity));
                    prop_assert!(d.estimated_cost_usd >= 0.0);
                    let s: f32 = d.capability_scores.iter().sum();
                    prop_assert!((s - 1.0).abs() < 1e-3);
                }
                Err(Error::InvalidRequest { .. }) | Err(Error::NoModelAvailable { .. }) | Err(Error::BudgetExceeded { .. }) => {}
                Err(e) => prop_assert!(false, "unexpected error {e:?}"),
            }
        }

        /// The per-character pass counts code points exactly, whatever the script.
        #[test]
        fn text_stats_count_chars(t in ".{0,400}") {
            let s = crate::text_stats::TextStats::of(&t);
            prop_assert_eq!(s.chars as usize, t.chars().count());
        }

        /// More text never means fewer estimated tokens.
        #[test]
        fn token_estimate_monotone_in_appending(a in ".{0,200}", b in ".{0,200}") {
            let joined = format!("{a}\n{b}");
            prop_assert!(crate::tokens::estimate_text(&joined) + 1 >= crate::tokens::estimate_text(&a));
        }
    }
}

/// A simulated environment: with the bandit on, feedback shifts the primary within a tier to
/// the model users rate best, while the others keep their floor share.
#[test]
fn bandit_learns_from_feedback() {
    let toml = format!("{DEFAULT_TOML}\n[bandit]\nenabled = true\nmin_share = 0.05\ndecay = 1.0\ncost_weight = 0.0\nlatency_weight = 0.0\n")
        .replace("[tenants.default]", "[tenants.unused]");
    let r = Router::from_config(&toml, Format::Toml).unwrap();
    let mut req = Request::from_text("hello there, how are you today?");
    req.min_tier = Some(1);
    req.max_tier = Some(1);
    let good = r.policy().model_id("claude-3-5-haiku").unwrap();
    let mut late_good = 0;
    for i in 0..2000 {
        let d = r.route(&req).unwrap();
        let quality = if d.model == good { 0.95 } else { 0.3 };
        assert!(r.feedback(d.request_id, quality, Some(200.0)));
        assert!(
            !r.feedback(d.request_id, quality, None),
            "feedback counts once"
        );
        if i >= 1000 && d.model == good {
            late_good += 1;
        }
    }
    assert!(late_good > 750, "best model share {late_good}/1000");
    // Sampling keeps exploring (the floor share), so judge a batch rather than one draw; the
    // tier's static primary is gpt-4o-mini, so choosing haiku is the bandit's doing.
    let picks: Vec<_> = (0..20).map(|_| r.route(&req).unwrap()).collect();
    let chosen: Vec<_> = picks.iter().filter(|d| d.model == good).collect();
    assert!(chosen.len() >= 12, "best model in {}/20", chosen.len());
    let text = chosen[0].reasons_text(r.policy()).join("; ");
    assert!(text.contains("bandit"), "{text}");
    assert_eq!(chosen[0].capability, Capability::Chitchat, "{text}");
    // State round-trips through JSON into a fresh router.
    let saved = r.bandit_state();
    let fresh = Router::from_config(&toml, Format::Toml).unwrap();
    assert!(fresh.load_bandit_state(&saved).unwrap() >= 1);
    assert_eq!(
        fresh
            .bandit_arm(Capability::Chitchat, 1, "claude-3-5-haiku")
            .unwrap(),
        r.bandit_arm(Capability::Chitchat, 1, "claude-3-5-haiku")
            .unwrap()
    );
    assert!(fresh.load_bandit_state("nope").is_err());
}

#[test]
fn bandit_shadow_mode_learns_but_does_not_act() {
    let toml = format!("{DEFAULT_TOML}\n[bandit]\nenabled = true\nshadow = true\n");
    let r = Router::from_config(&toml, Format::Toml).unwrap();
    let baseline = router().route(&Request::from_text("hey")).unwrap().model;
    for _ in 0..50 {
        let d = r.route(&Request::from_text("hey")).unwrap();
        assert_eq!(d.model, baseline);
        r.feedback(d.request_id, 0.0, None);
    }
    let d = r.route(&Request::from_text("hey")).unwrap();
    assert!(d
        .reasons
        .iter()
        .any(|x| matches!(x, Reason::BanditShadow { .. })));
}
