//! Unit tests of the health tracker.

use super::*;

fn fail(kind: ErrorKind) -> Outcome {
    Outcome {
        ok: false,
        ttft_ms: None,
        total_ms: None,
        error: Some(kind),
        deadline_missed: false,
    }
}
fn ok(ttft: f64) -> Outcome {
    Outcome {
        ok: true,
        ttft_ms: Some(ttft),
        total_ms: Some(ttft * 2.0),
        error: None,
        deadline_missed: false,
    }
}

#[test]
fn opens_after_consecutive_failures_then_half_opens_and_closes() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    for i in 0..cfg.breaker_consecutive_failures {
        assert!(!h.view(i).blocked);
        h.record(&fail(ErrorKind::Server), 500.0, i, &cfg);
    }
    assert!(h.view(10).blocked);
    assert!(!h.allow(10, &cfg));
    let later = 10 + cfg.breaker_open_ms as u32;
    assert!(!h.view(later).blocked);
    assert!(h.allow(later, &cfg), "one probe");
    assert!(!h.allow(later + 1, &cfg), "only one probe at a time");
    h.record(&ok(80.0), 500.0, later + 2, &cfg);
    assert_eq!(h.snapshot().state, BreakerState::Closed);
    assert!(h.allow(later + 3, &cfg));
}

#[test]
fn failed_probe_reopens() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    for i in 0..5 {
        h.record(&fail(ErrorKind::Timeout), 500.0, i, &cfg);
    }
    let t = 5 + cfg.breaker_open_ms as u32;
    assert!(h.allow(t, &cfg));
    h.record(&fail(ErrorKind::Connect), 500.0, t, &cfg);
    assert!(h.view(t + 1).blocked);
    assert_eq!(h.snapshot().opened_total, 2);
}

#[test]
fn request_faults_do_not_count() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    for i in 0..20 {
        h.record(&fail(ErrorKind::ContextWindow), 500.0, i, &cfg);
    }
    assert_eq!(h.snapshot().state, BreakerState::Closed);
}

#[test]
fn error_rate_trips_without_consecutive_run() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    for i in 0..20u32 {
        let o = if i % 2 == 0 {
            fail(ErrorKind::Server)
        } else {
            ok(50.0)
        };
        h.record(&o, 500.0, i, &cfg);
    }
    assert_eq!(h.snapshot().state, BreakerState::Open);
}

#[test]
fn repeated_latency_misses_move_traffic_away() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    for i in 0..3 {
        h.record(&ok(900.0), 250.0, i * 1000, &cfg);
    }
    assert_eq!(h.snapshot().state, BreakerState::Open);
}

#[test]
fn force_open_blocks_until_then_probes() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(100.0);
    h.force_open(1000, &cfg);
    assert!(h.view(10).blocked);
    assert!(!h.allow(10, &cfg));
    assert_eq!(h.snapshot().opened_total, 0, "not re-announced");
    h.force_open(500, &cfg);
    assert_eq!(h.snapshot().open_until_ms, 1000, "never shortened");
    assert!(!h.view(1000).blocked);
    assert!(
        h.allow(1000, &cfg),
        "half-open probe after the forced window"
    );
    h.record(&ok(50.0), 500.0, 1001, &cfg);
    assert_eq!(h.snapshot().state, BreakerState::Closed);
}

#[test]
fn fleet_prior_sets_ttft_and_demotes_without_local_samples() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(300.0);
    let slow = Fleet {
        ttft_ms: Some(2000.0),
        ttft_p95_ms: Some(2500.0),
        error_rate: 0.0,
        n: 40,
    };
    h.ingest_fleet(slow, &cfg);
    assert_eq!(
        h.view(0).ttft_ms,
        2000.0,
        "no own samples: the fleet's TTFT"
    );
    assert!(!h.view(0).degraded);
    assert_eq!(h.snapshot().ttft_ewma_ms, None, "own statistics stay own");
    // Own fresh samples blend in by count: 10 own at 100 ms vs 40 fleet at 2000 ms.
    for i in 0..10 {
        h.record(&ok(100.0), 5000.0, i, &cfg);
    }
    let want = (10.0 * 100.0 + 40.0 * 2000.0) / 50.0;
    assert!(
        (h.view(10).ttft_ms as f64 - want).abs() < 1.0,
        "{:?}",
        h.view(10)
    );
    assert_eq!(h.snapshot().expected_ttft_ms as f32, h.view(10).ttft_ms);
    // An erring fleet demotes; clearing the prior restores the own view.
    h.ingest_fleet(
        Fleet {
            error_rate: 0.6,
            ..slow
        },
        &cfg,
    );
    assert!(h.view(10).degraded);
    assert_eq!(
        h.snapshot().state,
        BreakerState::Closed,
        "a prior never trips"
    );
    h.ingest_fleet(Fleet::default(), &cfg);
    assert!(!h.view(10).degraded);
    assert!(h.view(10).ttft_ms < 150.0);
    assert_eq!(h.snapshot().fleet, None);
}

#[test]
fn ttft_statistics() {
    let cfg = RawResilience::default();
    let h = ModelHealth::new(300.0);
    assert_eq!(h.view(0).ttft_ms, 300.0, "configured until observed");
    for i in 0..100 {
        h.record(
            &ok(if i % 20 == 0 { 400.0 } else { 100.0 }),
            1000.0,
            i,
            &cfg,
        );
    }
    let s = h.snapshot();
    assert!(s.ttft_p95_ms.unwrap() >= 100.0);
    assert!(h.view(100).ttft_ms < 300.0);
}
