//! Unit tests of the token buckets.

use super::*;
use proptest::prelude::*;

fn spec(rpm: f64, tpm: f64, usd: f64) -> TenantSpec {
    TenantSpec {
        requests_per_min: Some(rpm),
        tokens_per_min: Some(tpm),
        usd_per_window: Some(usd),
        usd_window_s: 3600.0,
        ..Default::default()
    }
}

#[test]
fn refuses_when_requests_run_out_and_refills() {
    let s = BudgetStore::new();
    let sp = spec(2.0, 1e9, 1e9);
    s.reserve("t", &sp, 1.0, 0.0, 0).unwrap();
    s.reserve("t", &sp, 1.0, 0.0, 0).unwrap();
    let err = s.reserve("t", &sp, 1.0, 0.0, 0).unwrap_err();
    match err {
        Error::BudgetExceeded {
            limit,
            retry_after_s,
            window_s,
            ..
        } => {
            assert_eq!(limit, BudgetLimit::RequestsPerMin);
            assert_eq!(window_s, 60.0);
            assert!((retry_after_s - 30.0).abs() < 1e-6, "{retry_after_s}");
        }
        e => panic!("{e:?}"),
    }
    // Half a minute later one request has refilled.
    s.reserve("t", &sp, 1.0, 0.0, 30_000).unwrap();
}

#[test]
fn refusal_takes_nothing() {
    let s = BudgetStore::new();
    let sp = spec(10.0, 100.0, 1e9);
    s.reserve("t", &sp, 80.0, 0.0, 0).unwrap();
    assert!(s.reserve("t", &sp, 30.0, 0.0, 0).is_err());
    let lv = s.levels("t", &sp, 0).unwrap();
    assert_eq!(lv[0], 9.0);
    assert_eq!(lv[1], 20.0);
}

#[test]
fn settle_and_refund_adjust_levels() {
    let s = BudgetStore::new();
    let sp = spec(10.0, 1000.0, 1.0);
    let r = s.reserve("t", &sp, 100.0, 0.1, 0).unwrap();
    s.settle("t", &sp, r, 150.0, 0.05);
    let lv = s.levels("t", &sp, 0).unwrap();
    assert_eq!(lv[1], 850.0);
    assert!((lv[2] - 0.95).abs() < 1e-9);
    let r2 = s.reserve("t", &sp, 100.0, 0.1, 0).unwrap();
    s.refund("t", &sp, r2);
    let lv = s.levels("t", &sp, 0).unwrap();
    assert_eq!(lv[0], 9.0);
    assert_eq!(lv[1], 850.0);
}

#[test]
fn oversized_request_is_refused_with_full_window() {
    let s = BudgetStore::new();
    let sp = spec(10.0, 100.0, 1e9);
    match s.reserve("t", &sp, 1000.0, 0.0, 0).unwrap_err() {
        Error::BudgetExceeded {
            retry_after_s,
            limit,
            ..
        } => {
            assert_eq!(limit, BudgetLimit::TokensPerMin);
            assert_eq!(retry_after_s, 60.0);
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn tenants_are_isolated() {
    let s = BudgetStore::new();
    let sp = spec(1.0, 1e9, 1e9);
    s.reserve("a", &sp, 1.0, 0.0, 0).unwrap();
    assert!(s.reserve("a", &sp, 1.0, 0.0, 0).is_err());
    s.reserve("b", &sp, 1.0, 0.0, 0).unwrap();
    assert_eq!(s.tenants(), 2);
}

proptest! {
    /// Whatever the sequence, admitted requests never exceed capacity + refill.
    #[test]
    fn never_admits_more_than_capacity_plus_refill(steps in proptest::collection::vec((0u32..2000, 1u32..50), 1..200)) {
        let s = BudgetStore::new();
        let sp = spec(1e9, 500.0, 1e9);
        let mut now = 0u32;
        let mut taken = 0.0;
        for (dt, amt) in steps {
            now += dt;
            if s.reserve("t", &sp, amt as f64, 0.0, now).is_ok() {
                taken += amt as f64;
            }
        }
        let bound = 500.0 + now as f64 * 500.0 / 60_000.0;
        prop_assert!(taken <= bound + 1e-6, "taken {} > bound {}", taken, bound);
    }
}
