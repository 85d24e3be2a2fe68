//! Lease accounting against a simulated store that follows the Redis script
//! (`python/routecore/state/scripts.py`): refill, give back (clamped to ±capacity), grant.

use super::*;
use proptest::prelude::*;

/// One global bucket per limit, with the ledger counters the Redis hash keeps.
#[derive(Debug, Default)]
struct Global {
    level: [f64; 3],
    stamp: [f64; 3],
    started: bool,
    granted: [f64; 3],
    returned: [f64; 3],
}

struct Sim {
    g: Mutex<Global>,
    now: Mutex<u32>,
    down: std::sync::atomic::AtomicBool,
}

impl Sim {
    fn new() -> Arc<Self> {
        Arc::new(Sim {
            g: Mutex::new(Global::default()),
            now: Mutex::new(0),
            down: Default::default(),
        })
    }

    fn call(&self, req: &LeaseRequest) -> Grant {
        let now = *self.now.lock() as f64;
        let mut g = self.g.lock();
        let l = &req.limits;
        if !g.started {
            g.started = true;
            g.level = l.capacity;
            g.stamp = [now; 3];
        }
        let mut out = Grant::default();
        for i in 0..3 {
            let c = l.capacity[i];
            if c <= 0.0 {
                continue;
            }
            let rate = c / l.window_ms[i];
            g.level[i] = (g.level[i] + (now - g.stamp[i]).max(0.0) * rate).min(c);
            g.stamp[i] = now;
            g.level[i] = (g.level[i] + req.give[i]).clamp(-c, c);
            g.returned[i] += req.give[i];
            if g.level[i] >= req.need[i] && g.level[i] > 0.0 {
                let x = req.want[i].min(g.level[i]);
                g.level[i] -= x;
                g.granted[i] += x;
                out.granted[i] = x;
            } else {
                out.wait_ms[i] = (req.need[i] - g.level[i]) / rate;
            }
        }
        out
    }
}

struct SimFetch(Arc<Sim>);

impl LeaseFetch for SimFetch {
    fn fetch(&self, _tenant: &str, req: &LeaseRequest) -> Option<Grant> {
        if self.0.down.load(Ordering::Relaxed) {
            return None;
        }
        Some(self.0.call(req))
    }
}

fn limits(rpm: f64, tpm: f64) -> Limits {
    Limits {
        capacity: [rpm, tpm, 0.0],
        window_ms: [60_000.0; 3],
    }
}

fn replica(sim: &Arc<Sim>) -> LeaseTable {
    let t = LeaseTable::new();
    t.set_fetch(Some(Arc::new(SimFetch(sim.clone()))));
    t
}

/// Background work of one replica: refills and returns, as the Python thread does them.
fn background(t: &LeaseTable, sim: &Sim, now: u32, idle_ms: u32, all: bool) {
    for (name, req) in t.take_wants() {
        let g = sim.call(&req);
        t.install(&name, &req, &g, now);
    }
    for (_, req) in t.take_returns(now, idle_ms, all) {
        sim.call(&req);
    }
}

#[test]
fn cold_tenant_fetches_once_then_stays_local() {
    let sim = Sim::new();
    let t = replica(&sim);
    let l = limits(1000.0, 1e6);
    assert!(matches!(
        t.reserve("a", l, [1.0, 100.0, 0.0], 0),
        Take::Admitted
    ));
    assert_eq!(t.counters.sync_fetches.load(Ordering::Relaxed), 1);
    // A chunk is 5% of capacity: 50 requests, the first of which is spent.
    for _ in 0..20 {
        assert!(matches!(
            t.reserve("a", l, [1.0, 100.0, 0.0], 0),
            Take::Admitted
        ));
    }
    assert_eq!(t.counters.sync_fetches.load(Ordering::Relaxed), 1);
    assert_eq!(t.allowance("a").unwrap()[0], 50.0 + 1.0 - 21.0);
}

#[test]
fn low_water_queues_an_async_refill() {
    let sim = Sim::new();
    let t = replica(&sim);
    let l = limits(100.0, 1e9);
    // chunk = 5 requests (+1 for the first request's need); low water 2.5.
    for _ in 0..4 {
        assert!(matches!(
            t.reserve("a", l, [1.0, 1.0, 0.0], 0),
            Take::Admitted
        ));
    }
    let wants = t.take_wants();
    assert_eq!(wants.len(), 1);
    assert_eq!(wants[0].1.want[0], 5.0 - 2.0);
    assert!(t.take_wants().is_empty(), "queued once");
}

#[test]
fn exhausted_store_refuses_locally_until_refill() {
    let sim = Sim::new();
    let t = replica(&sim);
    let l = limits(10.0, 1e9);
    let mut admitted = 0;
    for _ in 0..50 {
        if let Take::Admitted = t.reserve("a", l, [1.0, 1.0, 0.0], 0) {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 10);
    let fetches = t.counters.sync_fetches.load(Ordering::Relaxed);
    match t.reserve("a", l, [1.0, 1.0, 0.0], 1) {
        Take::Refused(Error::BudgetExceeded {
            retry_after_s,
            limit,
            ..
        }) => {
            assert_eq!(limit, BudgetLimit::RequestsPerMin);
            assert!(
                retry_after_s > 5.0 && retry_after_s <= 6.0,
                "{retry_after_s}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.counters.sync_fetches.load(Ordering::Relaxed),
        fetches,
        "no round trip while dry"
    );
    *sim.now.lock() = 6_001;
    assert!(matches!(
        t.reserve("a", l, [1.0, 1.0, 0.0], 6_001),
        Take::Admitted
    ));
}

#[test]
fn unreachable_store_is_reported() {
    let sim = Sim::new();
    let t = replica(&sim);
    sim.down.store(true, Ordering::Relaxed);
    assert!(matches!(
        t.reserve("a", limits(10.0, 10.0), [1.0, 1.0, 0.0], 0),
        Take::Unreachable
    ));
    let t2 = LeaseTable::new();
    assert!(matches!(
        t2.reserve("a", limits(10.0, 10.0), [1.0, 1.0, 0.0], 0),
        Take::Unreachable
    ));
}

#[test]
fn idle_tenants_give_everything_back_including_debt() {
    let sim = Sim::new();
    let t = replica(&sim);
    let l = limits(100.0, 1000.0);
    assert!(matches!(
        t.reserve("a", l, [1.0, 10.0, 0.0], 0),
        Take::Admitted
    ));
    t.adjust("a", l, [0.0, 200.0, 0.0], 0); // overran the estimate by 200 tokens
    let back = t.take_returns(10_000, 5_000, false);
    assert_eq!(back.len(), 1);
    assert!(back[0].1.give[1] < 0.0, "a debt: {:?}", back[0].1.give);
    assert_eq!(t.tenants(), 0);
}

proptest! {
    /// Several replicas share one global bucket. Whatever they do, (1) the fleet never admits
    /// more requests than one bucket would (capacity + refill; leasing adds nothing), and
    /// (2) the store's ledger (granted − returned) equals what was actually consumed, and
    /// (3) tokens consumed exceed capacity + refill by at most the estimates' overruns.
    #[test]
    fn fleet_never_overadmits_and_the_ledger_balances(
        ops in proptest::collection::vec((0usize..4, 0u8..6, 1u32..400, 0u32..300), 1..400)
    ) {
        let sim = Sim::new();
        let reps: Vec<LeaseTable> = (0..4).map(|_| replica(&sim)).collect();
        let l = limits(40.0, 4000.0);
        let mut now = 0u32;
        let mut inflight: Vec<(usize, f64)> = Vec::new();
        let mut net_requests = 0.0;
        let mut consumed_tokens = 0.0;
        let mut overruns = 0.0;
        for (r, op, amount, dt) in ops {
            now += dt;
            *sim.now.lock() = now;
            match op {
                0..=2 => {
                    if let Take::Admitted = reps[r].reserve("t", l, [1.0, amount as f64, 0.0], now) {
                        net_requests += 1.0;
                        inflight.push((r, amount as f64));
                    }
                }
                3 if !inflight.is_empty() => {
                    // settle with an actual usage that may overrun the estimate
                    let (rr, est) = inflight.remove(amount as usize % inflight.len());
                    let actual = (est * (0.5 + (dt % 100) as f64 / 100.0)).round();
                    reps[rr].adjust("t", l, [0.0, actual - est, 0.0], now);
                    consumed_tokens += actual;
                    overruns += (actual - est).max(0.0);
                }
                4 if !inflight.is_empty() => {
                    let (rr, est) = inflight.remove(amount as usize % inflight.len());
                    reps[rr].adjust("t", l, [-1.0, -est, 0.0], now);
                    net_requests -= 1.0;
                }
                _ => background(&reps[r], &sim, now, 2_000, false),
            }
            let bound = 40.0 + now as f64 * 40.0 / 60_000.0;
            prop_assert!(net_requests <= bound + 1e-9, "{} > {}", net_requests, bound);
        }
        for (rr, est) in inflight.drain(..) {
            reps[rr].adjust("t", l, [0.0, 0.0, 0.0], now);
            consumed_tokens += est;
        }
        for t in &reps {
            background(t, &sim, now, 0, true);
            prop_assert_eq!(t.tenants(), 0);
        }
        let g = sim.g.lock();
        prop_assert!((g.granted[0] - g.returned[0] - net_requests).abs() < 1e-6,
            "requests ledger {} - {} vs {}", g.granted[0], g.returned[0], net_requests);
        prop_assert!((g.granted[1] - g.returned[1] - consumed_tokens).abs() < 1e-6,
            "tokens ledger {} - {} vs {}", g.granted[1], g.returned[1], consumed_tokens);
        // Tokens may exceed the bucket only by the estimates' overruns (charged as debt).
        let tbound = 4000.0 + now as f64 * 4000.0 / 60_000.0 + overruns;
        prop_assert!(consumed_tokens <= tbound + 1e-6, "{} > {}", consumed_tokens, tbound);
    }
}

proptest! {
    /// Provider quotas through `BudgetStore` (`quota.rs`): replicas in leased mode take, settle
    /// and release holds on one deployment. The fleet never admits more requests than one
    /// bucket would, and the store's ledger equals what was consumed once every replica has
    /// handed its allowance back.
    #[test]
    fn model_quota_holds_never_overadmit_and_the_ledger_balances(
        ops in proptest::collection::vec((0usize..3, 0u8..6, 1u32..400, 0u32..300), 1..300)
    ) {
        use crate::budget::{BudgetStore, Mode, ModelQuota, QuotaHold};
        let sim = Sim::new();
        let reps: Vec<BudgetStore> = (0..3)
            .map(|_| {
                let b = BudgetStore::new();
                b.quota_leases.set_fetch(Some(Arc::new(SimFetch(sim.clone()))));
                b.set_mode(Mode::Leased);
                b
            })
            .collect();
        let q = ModelQuota::new(Some(40.0), Some(4000.0));
        let mut now = 0u32;
        let mut inflight: Vec<(usize, QuotaHold)> = Vec::new();
        let (mut net, mut tokens) = (0.0, 0.0);
        for (r, op, amount, dt) in ops {
            now += dt;
            *sim.now.lock() = now;
            match op {
                0..=2 => {
                    if let Some(h) = reps[r].take_model(&q, "m", amount as f64, now) {
                        prop_assert!(h.taken && h.leased);
                        net += 1.0;
                        inflight.push((r, h));
                    }
                }
                3 if !inflight.is_empty() => {
                    let (rr, h) = inflight.remove(amount as usize % inflight.len());
                    let actual = (h.tokens * (0.5 + (dt % 100) as f64 / 100.0)).round();
                    reps[rr].settle_model(&q, "m", h, Some(actual), false);
                    tokens += actual;
                }
                4 if !inflight.is_empty() => {
                    let (rr, h) = inflight.remove(amount as usize % inflight.len());
                    reps[rr].settle_model(&q, "m", h, None, true);
                    net -= 1.0;
                }
                _ => background(&reps[r].quota_leases, &sim, now, 2_000, false),
            }
            let bound = 40.0 + now as f64 * 40.0 / 60_000.0;
            prop_assert!(net <= bound + 1e-9, "{} > {}", net, bound);
        }
        // Holds still open keep their estimate (as when a fallback served the request).
        for (rr, h) in inflight.drain(..) {
            reps[rr].settle_model(&q, "m", h, None, false);
            tokens += h.tokens;
        }
        for b in &reps {
            background(&b.quota_leases, &sim, now, 0, true);
        }
        let g = sim.g.lock();
        prop_assert!((g.granted[0] - g.returned[0] - net).abs() < 1e-6);
        prop_assert!((g.granted[1] - g.returned[1] - tokens).abs() < 1e-6);
    }
}
