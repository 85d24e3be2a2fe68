//! Per-deployment health: TTFT statistics, error rates and a circuit breaker.
//!
//! The async layer reports every attempt (`record`); selection reads a lock-free snapshot
//! (`view`) so `route()` never waits on a lock held by a reporting thread. Breakers open on
//! consecutive failures, on an error rate over a window, or on repeated latency-budget misses,
//! and half-open after `breaker_open_ms` to let exactly one probe through.
//!
//! With shared state, the other replicas' view of a deployment arrives as a `Fleet` prior
//! (`ingest_fleet`): their merged TTFT and error rate over their recent requests. It is kept
//! apart from this replica's own samples (which alone are published, so nothing echoes back)
//! and blended with them, weighted by recent request counts, into what selection reads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};

use parking_lot::Mutex;

use crate::config::raw::RawResilience;

/// Why an attempt failed. Only failures that say something about the deployment count
/// against its health; the request's own faults (too long, refused content) do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Timeout,
    Connect,
    Server,
    RateLimited,
    BadResponse,
    /// 401/403 from the provider: a misconfigured key or account, so it counts against the
    /// deployment (unlike a request the provider merely rejected).
    Auth,
    ContextWindow,
    ContentPolicy,
    Client,
    Cancelled,
}

impl ErrorKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "timeout" => ErrorKind::Timeout,
            "connect" => ErrorKind::Connect,
            "server" => ErrorKind::Server,
            "rate_limited" => ErrorKind::RateLimited,
            "bad_response" => ErrorKind::BadResponse,
            "auth" => ErrorKind::Auth,
            "context_window" => ErrorKind::ContextWindow,
            "content_policy" => ErrorKind::ContentPolicy,
            "client" => ErrorKind::Client,
            "cancelled" => ErrorKind::Cancelled,
            _ => return None,
        })
    }
    pub fn counts_against_deployment(self) -> bool {
        matches!(
            self,
            ErrorKind::Timeout
                | ErrorKind::Connect
                | ErrorKind::Server
                | ErrorKind::RateLimited
                | ErrorKind::BadResponse
                | ErrorKind::Auth
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub ttft_ms: Option<f64>,
    pub total_ms: Option<f64>,
    pub error: Option<ErrorKind>,
    pub deadline_missed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// What selection needs, read without locking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthView {
    /// Open and not yet due for a probe.
    pub blocked: bool,
    pub open_until_ms: u32,
    /// Half-open, or erring/slow enough to be demoted behind healthy peers.
    pub degraded: bool,
    /// Expected TTFT (observed EWMA once there are samples, else the configured value).
    pub ttft_ms: f32,
}

/// The other replicas' merged view of a deployment (`n`-weighted over fresh entries).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Fleet {
    pub ttft_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    pub error_rate: f64,
    /// Their requests in their breaker windows; 0 = no prior.
    pub n: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HealthSnapshot {
    pub state: BreakerState,
    pub ttft_ewma_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    /// TTFT samples behind the p95 (the last 64 at most).
    pub ttft_samples: u32,
    pub error_rate: f64,
    pub requests_in_window: u32,
    pub consecutive_failures: u32,
    pub latency_misses: u32,
    pub opened_total: u32,
    /// While open: when it half-opens (router clock, ms).
    pub open_until_ms: u32,
    /// The TTFT selection and deadline admission use: own samples blended with the fleet's.
    pub expected_ttft_ms: f64,
    /// The other replicas' view, when there is one.
    pub fleet: Option<Fleet>,
}

const TTFT_RING: usize = 64;

struct Inner {
    state: BreakerState,
    open_until_ms: u32,
    probe_started_ms: Option<u32>,
    consecutive_failures: u32,
    window: VecDeque<(u32, bool)>,
    misses: VecDeque<u32>,
    ttft_ewma: Option<f64>,
    ttft_ring: [f32; TTFT_RING],
    ttft_n: usize,
    opened_total: u32,
    fleet: Fleet,
}

pub struct ModelHealth {
    inner: Mutex<Inner>,
    configured_ttft: f32,
    // Snapshot for the hot path.
    snap_state: AtomicU8,
    snap_open_until: AtomicU32,
    snap_ttft_bits: AtomicU32,
    snap_degraded: AtomicU8,
}

impl ModelHealth {
    pub fn new(configured_ttft_ms: f64) -> Self {
        ModelHealth {
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                open_until_ms: 0,
                probe_started_ms: None,
                consecutive_failures: 0,
                window: VecDeque::new(),
                misses: VecDeque::new(),
                ttft_ewma: None,
                ttft_ring: [0.0; TTFT_RING],
                ttft_n: 0,
                opened_total: 0,
                fleet: Fleet::default(),
            }),
            configured_ttft: configured_ttft_ms as f32,
            snap_state: AtomicU8::new(0),
            snap_open_until: AtomicU32::new(0),
            snap_ttft_bits: AtomicU32::new((configured_ttft_ms as f32).to_bits()),
            snap_degraded: AtomicU8::new(0),
        }
    }

    pub fn view(&self, now_ms: u32) -> HealthView {
        let state = self.snap_state.load(Ordering::Relaxed);
        let until = self.snap_open_until.load(Ordering::Relaxed);
        let open = state == BreakerState::Open as u8;
        HealthView {
            blocked: open && now_ms < until,
            open_until_ms: until,
            degraded: state != BreakerState::Closed as u8
                || self.snap_degraded.load(Ordering::Relaxed) != 0,
            ttft_ms: f32::from_bits(self.snap_ttft_bits.load(Ordering::Relaxed)),
        }
    }

    /// Breaker admission for one attempt. In half-open state only one probe is in flight at a
    /// time (a probe that never reported back is forgotten after `open_ms`).
    pub fn allow(&self, now_ms: u32, cfg: &RawResilience) -> bool {
        let mut g = self.inner.lock();
        match g.state {
            BreakerState::Closed => true,
            BreakerState::Open if now_ms < g.open_until_ms => false,
            BreakerState::Open | BreakerState::HalfOpen => {
                let stale = g
                    .probe_started_ms
                    .is_none_or(|t| now_ms.saturating_sub(t) as f64 > cfg.breaker_open_ms);
                if g.state == BreakerState::Open || stale {
                    g.state = BreakerState::HalfOpen;
                    g.probe_started_ms = Some(now_ms);
                    self.publish(&g, cfg);
                    true
                } else {
                    false
                }
            }
        }
    }

    pub fn record(&self, o: &Outcome, budget_ms: f64, now_ms: u32, cfg: &RawResilience) {
        let mut g = self.inner.lock();
        if let Some(t) = o.ttft_ms.filter(|t| t.is_finite() && *t >= 0.0) {
            g.ttft_ewma = Some(match g.ttft_ewma {
                None => t,
                Some(e) => e + 0.2 * (t - e),
            });
            let i = g.ttft_n % TTFT_RING;
            g.ttft_ring[i] = t as f32;
            g.ttft_n += 1;
            if t > budget_ms {
                g.misses.push_back(now_ms);
            }
        }
        if o.deadline_missed {
            g.misses.push_back(now_ms);
        }
        let counted = o.ok || o.error.is_some_and(|e| e.counts_against_deployment());
        if counted {
            g.window.push_back((now_ms, o.ok));
        }
        let win_ms = (cfg.breaker_window_s * 1000.0) as u32;
        while g
            .window
            .front()
            .is_some_and(|(t, _)| now_ms.saturating_sub(*t) > win_ms)
            || g.window.len() > 4096
        {
            g.window.pop_front();
        }
        let miss_ms = (cfg.latency_miss_window_s * 1000.0) as u32;
        while g
            .misses
            .front()
            .is_some_and(|t| now_ms.saturating_sub(*t) > miss_ms)
            || g.misses.len() > 1024
        {
            g.misses.pop_front();
        }
        let (n, fails) = window_counts(&g.window);
        if o.ok {
            g.consecutive_failures = 0;
            if g.state == BreakerState::HalfOpen {
                // The probe came back healthy: close and start afresh.
                g.state = BreakerState::Closed;
                g.probe_started_ms = None;
                g.window.clear();
                g.misses.clear();
            }
        } else if counted {
            g.consecutive_failures += 1;
            let trip = g.state == BreakerState::HalfOpen
                || g.consecutive_failures >= cfg.breaker_consecutive_failures
                || (n >= cfg.breaker_min_requests
                    && fails as f64 >= cfg.breaker_error_rate * n as f64);
            if trip {
                open(&mut g, now_ms, cfg);
            }
        }
        if g.state == BreakerState::Closed && g.misses.len() as u32 >= cfg.latency_miss_limit.max(1)
        {
            open(&mut g, now_ms, cfg);
            g.misses.clear();
        }
        self.publish(&g, cfg);
    }

    fn publish(&self, g: &Inner, cfg: &RawResilience) {
        self.snap_state.store(g.state as u8, Ordering::Relaxed);
        self.snap_open_until
            .store(g.open_until_ms, Ordering::Relaxed);
        let ttft = self.expected_ttft(g) as f32;
        self.snap_ttft_bits.store(ttft.to_bits(), Ordering::Relaxed);
        let (own_n, own_fails) = window_counts(&g.window);
        // The fleet's failures count as if seen here: a deployment erring for the others is
        // demoted before this replica has paid for its own evidence.
        let f = &g.fleet;
        let n = own_n as f64 + f.n as f64;
        let fails = own_fails as f64 + f.error_rate.clamp(0.0, 1.0) * f.n as f64;
        let erring = n >= (cfg.breaker_min_requests / 2) as f64
            && n > 0.0
            && fails > 0.5 * cfg.breaker_error_rate * n;
        self.snap_degraded.store(erring as u8, Ordering::Relaxed);
    }

    /// Own EWMA (after 3 samples) else the configured TTFT; with a fleet prior, the fleet's
    /// TTFT blended with the own EWMA by recent request counts (own samples older than the
    /// breaker window weigh nothing next to a fresh fleet view).
    fn expected_ttft(&self, g: &Inner) -> f64 {
        let configured = self.configured_ttft as f64;
        let own = g.ttft_ewma.filter(|_| g.ttft_n >= 3);
        let Some(fleet) = g.fleet.ttft_ms.filter(|_| g.fleet.n > 0) else {
            return own.unwrap_or(configured);
        };
        let own_n = g.window.len() as f64;
        match own {
            Some(e) if own_n > 0.0 => {
                let fleet_n = g.fleet.n as f64;
                (own_n * e + fleet_n * fleet) / (own_n + fleet_n)
            }
            _ => fleet,
        }
    }

    /// Replace the fleet prior (`n = 0` clears it: no fresh peers, or the store is down).
    pub fn ingest_fleet(&self, f: Fleet, cfg: &RawResilience) {
        let mut g = self.inner.lock();
        let valid = |v: Option<f64>| v.filter(|x| x.is_finite() && *x >= 0.0);
        g.fleet = Fleet {
            ttft_ms: valid(f.ttft_ms),
            ttft_p95_ms: valid(f.ttft_p95_ms),
            error_rate: if f.error_rate.is_finite() {
                f.error_rate.clamp(0.0, 1.0)
            } else {
                0.0
            },
            n: f.n,
        };
        self.publish(&g, cfg);
    }

    pub fn snapshot(&self) -> HealthSnapshot {
        let g = self.inner.lock();
        let (n, fails) = window_counts(&g.window);
        let k = g.ttft_n.min(TTFT_RING);
        let p95 = (k > 0).then(|| {
            let mut v: Vec<f32> = g.ttft_ring[..k].to_vec();
            v.sort_by(|a, b| a.total_cmp(b));
            v[((k as f64 * 0.95).ceil() as usize).clamp(1, k) - 1] as f64
        });
        HealthSnapshot {
            state: g.state,
            ttft_ewma_ms: g.ttft_ewma,
            ttft_p95_ms: p95,
            ttft_samples: k as u32,
            error_rate: if n == 0 { 0.0 } else { fails as f64 / n as f64 },
            requests_in_window: n,
            consecutive_failures: g.consecutive_failures,
            latency_misses: g.misses.len() as u32,
            opened_total: g.opened_total,
            open_until_ms: g.open_until_ms,
            expected_ttft_ms: self.expected_ttft(&g),
            fleet: (g.fleet.n > 0).then_some(g.fleet),
        }
    }

    /// Open the breaker until `until_ms` because another replica saw the deployment fail
    /// (shared health). Extends an open breaker, never shortens it; not counted in
    /// `opened_total`, so a replica does not re-announce what it was told. After `until_ms`
    /// the usual half-open probe decides.
    pub fn force_open(&self, until_ms: u32, cfg: &RawResilience) {
        let mut g = self.inner.lock();
        if g.state == BreakerState::Open && g.open_until_ms >= until_ms {
            return;
        }
        g.state = BreakerState::Open;
        g.open_until_ms = until_ms;
        g.probe_started_ms = None;
        self.publish(&g, cfg);
    }
}

fn open(g: &mut Inner, now_ms: u32, cfg: &RawResilience) {
    g.state = BreakerState::Open;
    g.open_until_ms = now_ms.saturating_add(cfg.breaker_open_ms as u32);
    g.probe_started_ms = None;
    g.opened_total += 1;
}

fn window_counts(w: &VecDeque<(u32, bool)>) -> (u32, u32) {
    let fails = w.iter().filter(|(_, ok)| !ok).count() as u32;
    (w.len() as u32, fails)
}

#[cfg(test)]
mod tests;
