//! Token-bucket budgets per tenant (requests/min, tokens/min, USD per window) and per model
//! (provider quotas). O(1) per check: one hash lookup in one of 64 shards, three buckets.
//!
//! Reserve at decision time with the estimate; `settle` with the real usage afterwards, or
//! `refund` when the call failed. Tenants the config does not name get their own buckets from
//! the `default` template, created on first use (so a million tenants cost ~100 bytes each).
//!
//! With a shared state store (`[state] backend = "redis"`) the store switches to `Leased`:
//! reservations draw on allowances leased from the global buckets (`lease.rs`). When the store
//! is unreachable it runs either `Fallback` (these local buckets at limit ÷ expected replicas)
//! or `Closed` (budgeted requests refused with `StateUnavailable`), as configured.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use compact_str::CompactString;
use parking_lot::Mutex;

use crate::error::{BudgetLimit, Error, Result};
pub use crate::lease::quota::{ModelQuota, QuotaHold};
use crate::lease::{LeaseTable, Limits, Take};
use crate::policy::TenantSpec;

const SHARDS: usize = 64;

/// A bucket of `capacity` that refills continuously over `window_ms`. Timestamps are u32
/// milliseconds since the router started (49 days; see `Clock`), keeping the bucket 16 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    level: f64,
    stamp_ms: u32,
}

impl Bucket {
    pub(crate) fn full(capacity: f64, now_ms: u32) -> Self {
        Bucket {
            level: capacity,
            stamp_ms: now_ms,
        }
    }

    pub(crate) fn refill(&mut self, capacity: f64, window_ms: f64, now_ms: u32) {
        let dt = now_ms.saturating_sub(self.stamp_ms) as f64;
        self.level = (self.level + dt * capacity / window_ms).min(capacity);
        self.stamp_ms = self.stamp_ms.max(now_ms);
    }

    /// Milliseconds until `amount` is available (0 if it is now).
    pub(crate) fn wait_ms(&self, amount: f64, capacity: f64, window_ms: f64) -> f64 {
        if amount <= self.level {
            0.0
        } else if amount > capacity {
            window_ms // can never fit; a full window is the honest answer
        } else {
            (amount - self.level) * window_ms / capacity
        }
    }

    pub(crate) fn adjust(&mut self, delta: f64, capacity: f64) {
        // Debt from under-estimates may go down to minus one capacity, never unbounded.
        self.level = (self.level - delta).clamp(-capacity, capacity);
    }
}

/// The three buckets of one tenant in 24 bytes (a million tenants fit in ~100 MB): requests
/// and tokens need no more than f32, money keeps f64 so tiny per-call costs add up exactly,
/// and all three refill from one timestamp.
#[derive(Debug, Clone, Copy)]
struct TenantBuckets {
    requests: f32,
    tokens: f32,
    usd: f64,
    stamp_ms: u32,
}

impl TenantBuckets {
    fn full(lims: &[Option<Limit>; 3], now_ms: u32) -> Self {
        let cap = |i: usize| lims[i].as_ref().map_or(0.0, |l| l.capacity);
        TenantBuckets {
            requests: cap(0) as f32,
            tokens: cap(1) as f32,
            usd: cap(2),
            stamp_ms: now_ms,
        }
    }

    fn get(&self, i: usize) -> Bucket {
        let level = match i {
            0 => self.requests as f64,
            1 => self.tokens as f64,
            _ => self.usd,
        };
        Bucket {
            level,
            stamp_ms: self.stamp_ms,
        }
    }

    fn set(&mut self, i: usize, b: Bucket) {
        match i {
            0 => self.requests = b.level as f32,
            1 => self.tokens = b.level as f32,
            _ => self.usd = b.level,
        }
    }

    /// Bring every limited bucket up to `now_ms`.
    fn refill(&mut self, lims: &[Option<Limit>; 3], now_ms: u32) {
        for (i, l) in lims.iter().enumerate() {
            if let Some(l) = l {
                let mut b = self.get(i);
                b.refill(l.capacity, l.window_ms, now_ms);
                self.set(i, b);
            }
        }
        self.stamp_ms = self.stamp_ms.max(now_ms);
    }

    fn adjust(&mut self, lims: &[Option<Limit>; 3], deltas: [f64; 3]) {
        for (i, l) in lims.iter().enumerate() {
            if let Some(l) = l {
                let mut b = self.get(i);
                b.adjust(deltas[i], l.capacity);
                self.set(i, b);
            }
        }
    }
}

/// What a reservation took, so it can be settled or refunded exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reservation {
    pub tokens: f64,
    pub usd: f64,
    /// Taken from a leased allowance (settles there, whatever the mode is by then).
    pub leased: bool,
    /// The primary deployment's provider quota held for this request.
    pub quota: QuotaHold,
}

struct Limit {
    kind: BudgetLimit,
    capacity: f64,
    window_ms: f64,
}

fn limits(spec: &TenantSpec) -> [Option<Limit>; 3] {
    scaled_limits(spec, 1.0)
}

fn scaled_limits(spec: &TenantSpec, scale: f64) -> [Option<Limit>; 3] {
    [
        spec.requests_per_min.map(|c| Limit {
            kind: BudgetLimit::RequestsPerMin,
            capacity: c * scale,
            window_ms: 60_000.0,
        }),
        spec.tokens_per_min.map(|c| Limit {
            kind: BudgetLimit::TokensPerMin,
            capacity: c * scale,
            window_ms: 60_000.0,
        }),
        spec.usd_per_window.map(|c| Limit {
            kind: BudgetLimit::UsdPerWindow,
            capacity: c * scale,
            window_ms: spec.usd_window_s * 1000.0,
        }),
    ]
}

/// The tenant's limits in the shape the shared store takes (capacity 0 = unlimited).
pub fn lease_limits(spec: &TenantSpec) -> Limits {
    let l = limits(spec);
    Limits {
        capacity: std::array::from_fn(|i| l[i].as_ref().map_or(0.0, |l| l.capacity)),
        window_ms: std::array::from_fn(|i| l[i].as_ref().map_or(60_000.0, |l| l.window_ms)),
    }
}

/// Where reservations are taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// This process's own buckets (no shared store).
    Local = 0,
    /// Allowances leased from the shared store.
    Leased = 1,
    /// Store unreachable, `fail_open`: own buckets at limit × `fallback_scale`.
    Fallback = 2,
    /// Store unreachable, `fail_closed`: budgeted requests are refused.
    Closed = 3,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "local" => Mode::Local,
            "leased" => Mode::Leased,
            "fallback" => Mode::Fallback,
            "closed" => Mode::Closed,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Leased => "leased",
            Mode::Fallback => "fallback",
            Mode::Closed => "closed",
        }
    }
}

type Shard = Mutex<HashMap<CompactString, TenantBuckets, ahash::RandomState>>;

pub struct BudgetStore {
    shards: Vec<Shard>,
    hasher: ahash::RandomState,
    pub leases: LeaseTable,
    /// Allowances of deployments' provider quotas (`lease/quota.rs`), keyed by model name.
    pub quota_leases: LeaseTable,
    mode: AtomicU8,
    /// On an unreachable store mid-request: fall back to local buckets (else refuse).
    fail_open: AtomicBool,
    fallback_scale: AtomicU64,
}

impl Default for BudgetStore {
    fn default() -> Self {
        Self::new()
    }
}

impl BudgetStore {
    pub fn new() -> Self {
        BudgetStore {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(ahash::RandomState::new())))
                .collect(),
            hasher: ahash::RandomState::new(),
            leases: LeaseTable::new(),
            quota_leases: LeaseTable::new(),
            mode: AtomicU8::new(Mode::Local as u8),
            fail_open: AtomicBool::new(true),
            fallback_scale: AtomicU64::new(1.0f64.to_bits()),
        }
    }

    pub fn mode(&self) -> Mode {
        match self.mode.load(Ordering::Relaxed) {
            1 => Mode::Leased,
            2 => Mode::Fallback,
            3 => Mode::Closed,
            _ => Mode::Local,
        }
    }

    pub fn set_mode(&self, m: Mode) {
        self.mode.store(m as u8, Ordering::Relaxed);
    }

    /// How an unreachable store is handled: `fail_open` with local limits × `scale`
    /// (1 / expected replicas), or refusal.
    pub fn set_failure_policy(&self, fail_open: bool, scale: f64) {
        self.fail_open.store(fail_open, Ordering::Relaxed);
        self.fallback_scale
            .store(scale.clamp(1e-9, 1.0).to_bits(), Ordering::Relaxed);
    }

    pub(crate) fn fallback_scale(&self) -> f64 {
        f64::from_bits(self.fallback_scale.load(Ordering::Relaxed))
    }

    /// Take one request, `tokens` and `usd`, wherever the mode says.
    pub fn reserve(
        &self,
        tenant: &str,
        spec: &TenantSpec,
        tokens: f64,
        usd: f64,
        now_ms: u32,
    ) -> Result<Reservation> {
        if !spec.has_budget() {
            return Ok(Reservation::default());
        }
        let mut mode = self.mode();
        if mode == Mode::Leased {
            match self
                .leases
                .reserve(tenant, lease_limits(spec), [1.0, tokens, usd], now_ms)
            {
                Take::Admitted => {
                    return Ok(Reservation {
                        tokens,
                        usd,
                        leased: true,
                        ..Default::default()
                    })
                }
                Take::Refused(e) => return Err(e),
                Take::Unreachable if self.fail_open.load(Ordering::Relaxed) => {
                    mode = Mode::Fallback
                }
                Take::Unreachable => mode = Mode::Closed,
            }
        }
        match mode {
            Mode::Closed => Err(Error::StateUnavailable {
                message: format!(
                    "budgets of tenant {tenant:?} are shared across replicas and the state store is unreachable (state.mode = \"fail_closed\")"
                ),
            }),
            Mode::Fallback => self.reserve_local(tenant, spec, tokens, usd, now_ms, self.fallback_scale()),
            _ => self.reserve_local(tenant, spec, tokens, usd, now_ms, 1.0),
        }
    }

    fn shard(&self, tenant: &str) -> &Shard {
        &self.shards[(self.hasher.hash_one(tenant) as usize) % SHARDS]
    }

    /// Take one request, `tokens` and `usd` from the tenant's own buckets, all or nothing.
    fn reserve_local(
        &self,
        tenant: &str,
        spec: &TenantSpec,
        tokens: f64,
        usd: f64,
        now_ms: u32,
        scale: f64,
    ) -> Result<Reservation> {
        let lims = scaled_limits(spec, scale);
        let amounts = [1.0, tokens, usd];
        let mut map = self.shard(tenant).lock();
        let entry = match map.get_mut(tenant) {
            Some(e) => e,
            None => map
                .entry(CompactString::from(tenant))
                .or_insert(TenantBuckets::full(&lims, now_ms)),
        };
        entry.refill(&lims, now_ms);
        for (i, l) in lims.iter().enumerate() {
            if let Some(l) = l {
                let wait = entry.get(i).wait_ms(amounts[i], l.capacity, l.window_ms);
                if wait > 0.0 {
                    return Err(Error::BudgetExceeded {
                        tenant: tenant.to_string(),
                        limit: l.kind,
                        limit_value: l.capacity,
                        window_s: l.window_ms / 1000.0,
                        retry_after_s: wait / 1000.0,
                    });
                }
            }
        }
        entry.adjust(&lims, amounts);
        Ok(Reservation {
            tokens,
            usd,
            leased: false,
            ..Default::default()
        })
    }

    /// Replace a reservation by the actual usage (positive delta charges more, negative refunds).
    pub fn settle(
        &self,
        tenant: &str,
        spec: &TenantSpec,
        r: Reservation,
        actual_tokens: f64,
        actual_usd: f64,
    ) {
        self.apply(
            tenant,
            spec,
            r.leased,
            [0.0, actual_tokens - r.tokens, actual_usd - r.usd],
        );
    }

    /// Give a reservation back (the request never reached a provider, or every attempt failed).
    pub fn refund(&self, tenant: &str, spec: &TenantSpec, r: Reservation) {
        self.apply(tenant, spec, r.leased, [-1.0, -r.tokens, -r.usd]);
    }

    fn apply(&self, tenant: &str, spec: &TenantSpec, leased: bool, deltas: [f64; 3]) {
        if !spec.has_budget() {
            return;
        }
        if leased {
            // The ledger must see it even if the store is down now: it is flushed later.
            let now = 0; // only stamps a fresh entry; the next reserve restamps it
            self.leases.adjust(tenant, lease_limits(spec), deltas, now);
            return;
        }
        let lims = scaled_limits(
            spec,
            if self.mode() == Mode::Fallback {
                self.fallback_scale()
            } else {
                1.0
            },
        );
        let mut map = self.shard(tenant).lock();
        if let Some(entry) = map.get_mut(tenant) {
            entry.adjust(&lims, deltas);
        }
    }

    /// Current levels (requests, tokens, usd) after refill, for tests and `/metrics`.
    pub fn levels(&self, tenant: &str, spec: &TenantSpec, now_ms: u32) -> Option<[f64; 3]> {
        if self.mode() == Mode::Leased {
            let lims = limits(spec);
            return self.leases.allowance(tenant).map(|a| {
                std::array::from_fn(|i| {
                    if lims[i].is_some() {
                        a[i]
                    } else {
                        f64::INFINITY
                    }
                })
            });
        }
        let lims = limits(spec);
        let mut map = self.shard(tenant).lock();
        let e = map.get_mut(tenant)?;
        e.refill(&lims, now_ms);
        let mut out = [f64::INFINITY; 3];
        for (i, l) in lims.iter().enumerate() {
            if l.is_some() {
                out[i] = e.get(i).level;
            }
        }
        Some(out)
    }

    pub fn tenants(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum::<usize>() + self.leases.tenants()
    }
}

#[cfg(test)]
mod tests;
