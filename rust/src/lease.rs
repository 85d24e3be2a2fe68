//! Leased budgets: the replica's local share of tenant buckets that live in a shared store
//! (Redis, see `python/routecore/state/`). The global bucket with its refill lives in the store;
//! each replica holds, per tenant and limit, an *allowance* it was granted and spends locally,
//! so `route()` takes a lock and subtracts, as in the in-process store.
//!
//! Capacity is conserved: a unit is either in the global bucket, in some replica's allowance, or
//! spent. Reservations, settle overruns (allowance may go negative: a debt) and refunds all
//! move the local allowance; the background thread returns idle or surplus allowance (or the
//! debt) to the store. Leasing therefore never admits more than the global bucket would have
//! (see `python/routecore/state/KEYS.md` for the stated bound).
//!
//! The thread polls `take_wants` (tenants whose allowance fell below the low-water mark) and
//! installs grants; a tenant this replica has never seen (or whose allowance cannot cover a
//! request) takes one synchronous `LeaseFetch::fetch`. A limit the store reports exhausted is
//! refused locally until its refill time, without asking again.
//!
//! Deployments' provider quotas use the same table type keyed by model name (`quota.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use compact_str::CompactString;
use parking_lot::{Mutex, RwLock};

use crate::error::{BudgetLimit, Error};

const SHARDS: usize = 64;
const KINDS: [BudgetLimit; 3] = [
    BudgetLimit::RequestsPerMin,
    BudgetLimit::TokensPerMin,
    BudgetLimit::UsdPerWindow,
];

/// One tenant's limits as the store needs them: capacity (0 = unlimited) and window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub capacity: [f64; 3],
    pub window_ms: [f64; 3],
}

impl Limits {
    fn limited(&self, i: usize) -> bool {
        self.capacity[i] > 0.0
    }
}

/// One round trip to the store for one tenant: give back `give` (negative: a debt to charge),
/// then grant up to `want` per limit, but only where at least `need` is available.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LeaseRequest {
    pub limits: Limits,
    pub want: [f64; 3],
    pub need: [f64; 3],
    pub give: [f64; 3],
}

/// The store's answer: what it granted, and for limits it could not serve (granted 0 with
/// `need > 0`), milliseconds until `need` will have refilled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Grant {
    pub granted: [f64; 3],
    pub wait_ms: [f64; 3],
}

/// The synchronous path to the store (the bindings wrap a Python callable). `None` means the
/// store is unreachable right now.
pub trait LeaseFetch: Send + Sync {
    fn fetch(&self, tenant: &str, req: &LeaseRequest) -> Option<Grant>;
}

/// Sizing of leases, as fractions of each limit's capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseParams {
    /// A lease tops the allowance up to this share of capacity (plus what the request needs).
    pub chunk: f64,
    /// Below `low_water × chunk` the tenant is queued for an asynchronous refill.
    pub low_water: f64,
}

impl Default for LeaseParams {
    fn default() -> Self {
        LeaseParams {
            chunk: 0.05,
            low_water: 0.5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    allow: [f64; 3],
    limits: Limits,
    /// Local ms before which the store said the limit has nothing for us.
    dry_until: [u32; 3],
    last_ms: u32,
    queued: bool,
}

impl Entry {
    fn new(limits: Limits, now_ms: u32) -> Self {
        Entry {
            allow: [0.0; 3],
            limits,
            dry_until: [0; 3],
            last_ms: now_ms,
            queued: false,
        }
    }

    fn wants(&self, p: &LeaseParams, extra: [f64; 3]) -> [f64; 3] {
        std::array::from_fn(|i| {
            if self.limits.limited(i) {
                (self.limits.capacity[i] * p.chunk + extra[i] - self.allow[i]).max(0.0)
            } else {
                0.0
            }
        })
    }
}

/// What a leased reservation attempt came to.
#[derive(Debug)]
pub enum Take {
    Admitted,
    Refused(Error),
    /// The store could not be asked; the caller applies the configured failure mode.
    Unreachable,
}

#[derive(Debug, Default)]
pub struct LeaseCounters {
    pub sync_fetches: AtomicU64,
    pub unreachable: AtomicU64,
    pub refused_locally: AtomicU64,
}

type Shard = Mutex<HashMap<CompactString, Entry, ahash::RandomState>>;

pub struct LeaseTable {
    shards: Vec<Shard>,
    hasher: ahash::RandomState,
    wants: Mutex<Vec<CompactString>>,
    fetch: RwLock<Option<Arc<dyn LeaseFetch>>>,
    params: RwLock<LeaseParams>,
    pub counters: LeaseCounters,
}

impl Default for LeaseTable {
    fn default() -> Self {
        Self::new()
    }
}

impl LeaseTable {
    pub fn new() -> Self {
        LeaseTable {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(ahash::RandomState::new())))
                .collect(),
            hasher: ahash::RandomState::new(),
            wants: Mutex::new(Vec::new()),
            fetch: RwLock::new(None),
            params: RwLock::new(LeaseParams::default()),
            counters: LeaseCounters::default(),
        }
    }

    pub fn set_fetch(&self, f: Option<Arc<dyn LeaseFetch>>) {
        *self.fetch.write() = f;
    }

    pub fn set_params(&self, p: LeaseParams) {
        *self.params.write() = p;
    }

    fn shard(&self, tenant: &str) -> &Shard {
        &self.shards[(self.hasher.hash_one(tenant) as usize) % SHARDS]
    }

    /// Take `amounts` (requests, tokens, usd) from the local allowance, fetching synchronously
    /// once when it cannot cover them.
    pub fn reserve(&self, tenant: &str, limits: Limits, amounts: [f64; 3], now_ms: u32) -> Take {
        let p = *self.params.read();
        for attempt in 0..2 {
            let req = {
                let mut map = self.shard(tenant).lock();
                let e = match map.get_mut(tenant) {
                    Some(e) => e,
                    None => map
                        .entry(CompactString::from(tenant))
                        .or_insert(Entry::new(limits, now_ms)),
                };
                e.limits = limits;
                e.last_ms = now_ms;
                let short = (0..3).find(|&i| limits.limited(i) && e.allow[i] < amounts[i]);
                let Some(i) = short else {
                    for (a, x) in e.allow.iter_mut().zip(amounts) {
                        *a -= x;
                    }
                    let low = (0..3).any(|i| {
                        limits.limited(i) && e.allow[i] < limits.capacity[i] * p.chunk * p.low_water
                    });
                    if low && !e.queued {
                        e.queued = true;
                        self.wants.lock().push(CompactString::from(tenant));
                    }
                    return Take::Admitted;
                };
                if attempt == 1 || now_ms < e.dry_until[i] || amounts[i] > limits.capacity[i] {
                    self.counters
                        .refused_locally
                        .fetch_add(1, Ordering::Relaxed);
                    let wait_ms = if amounts[i] > limits.capacity[i] {
                        limits.window_ms[i]
                    } else {
                        e.dry_until[i].saturating_sub(now_ms).max(1) as f64
                    };
                    return Take::Refused(exceeded(tenant, &limits, i, wait_ms));
                }
                LeaseRequest {
                    limits,
                    want: e.wants(&p, amounts),
                    need: std::array::from_fn(|i| {
                        if limits.limited(i) {
                            (amounts[i] - e.allow[i]).max(0.0)
                        } else {
                            0.0
                        }
                    }),
                    give: [0.0; 3],
                }
            };
            // Outside the shard lock: the store may take a while (bounded by its timeout).
            let Some(f) = self.fetch.read().clone() else {
                return Take::Unreachable;
            };
            self.counters.sync_fetches.fetch_add(1, Ordering::Relaxed);
            match f.fetch(tenant, &req) {
                Some(g) => self.install(tenant, &req, &g, now_ms),
                None => {
                    self.counters.unreachable.fetch_add(1, Ordering::Relaxed);
                    return Take::Unreachable;
                }
            }
        }
        unreachable!("the second attempt always returns")
    }

    /// Add a grant to the allowance; limits the store could not serve go dry until refilled.
    pub fn install(&self, tenant: &str, req: &LeaseRequest, g: &Grant, now_ms: u32) {
        let mut map = self.shard(tenant).lock();
        let e = map
            .entry(CompactString::from(tenant))
            .or_insert(Entry::new(req.limits, now_ms));
        for i in 0..3 {
            let got = if g.granted[i].is_finite() {
                g.granted[i].max(0.0)
            } else {
                0.0
            };
            e.allow[i] += got;
            if got <= 0.0 && req.need[i] > 0.0 {
                let w = g.wait_ms[i].clamp(1.0, u32::MAX as f64) as u32;
                e.dry_until[i] = now_ms.saturating_add(w);
            } else if got > 0.0 {
                e.dry_until[i] = 0;
            }
        }
    }

    /// Settle or refund: positive deltas charge more (the allowance may go into debt),
    /// negative ones give back. A tenant no longer held keeps the delta in a fresh entry so
    /// that it still reaches the store.
    pub fn adjust(&self, tenant: &str, limits: Limits, deltas: [f64; 3], now_ms: u32) {
        let mut map = self.shard(tenant).lock();
        let e = map
            .entry(CompactString::from(tenant))
            .or_insert(Entry::new(limits, now_ms));
        for (a, d) in e.allow.iter_mut().zip(deltas) {
            *a -= d;
        }
    }

    /// Tenants queued for a refill, with what to ask for (the queue is emptied).
    pub fn take_wants(&self) -> Vec<(CompactString, LeaseRequest)> {
        let names = std::mem::take(&mut *self.wants.lock());
        let p = *self.params.read();
        let mut out = Vec::with_capacity(names.len());
        for t in names {
            let mut map = self.shard(&t).lock();
            let Some(e) = map.get_mut(t.as_str()) else {
                continue;
            };
            e.queued = false;
            let want = e.wants(&p, [0.0; 3]);
            if want.iter().any(|w| *w > 0.0) {
                let limits = e.limits;
                drop(map);
                out.push((
                    t,
                    LeaseRequest {
                        limits,
                        want,
                        need: [0.0; 3],
                        give: [0.0; 3],
                    },
                ));
            }
        }
        out
    }

    /// Allowance to hand back: everything held by tenants idle for `idle_ms` (their entries are
    /// dropped), and the surplus above two chunks of busy ones (refunds pile up there). With
    /// `all`, every entry is emptied (shutdown). Debts come back as negative gives.
    pub fn take_returns(
        &self,
        now_ms: u32,
        idle_ms: u32,
        all: bool,
    ) -> Vec<(CompactString, LeaseRequest)> {
        let p = *self.params.read();
        let mut out = Vec::new();
        for shard in &self.shards {
            let mut map = shard.lock();
            map.retain(|t, e| {
                let idle = all || now_ms.saturating_sub(e.last_ms) >= idle_ms;
                let give: [f64; 3] = std::array::from_fn(|i| {
                    if idle {
                        e.allow[i]
                    } else {
                        (e.allow[i] - 2.0 * e.limits.capacity[i] * p.chunk).max(0.0)
                    }
                });
                if give.iter().any(|g| *g != 0.0) {
                    for (a, g) in e.allow.iter_mut().zip(give) {
                        *a -= g;
                    }
                    out.push((
                        t.clone(),
                        LeaseRequest {
                            limits: e.limits,
                            want: [0.0; 3],
                            need: [0.0; 3],
                            give,
                        },
                    ));
                }
                !idle || e.queued
            });
        }
        out
    }

    /// Local allowance of a tenant (requests, tokens, usd).
    pub fn allowance(&self, tenant: &str) -> Option<[f64; 3]> {
        self.shard(tenant).lock().get(tenant).map(|e| e.allow)
    }

    pub fn tenants(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

fn exceeded(tenant: &str, l: &Limits, i: usize, wait_ms: f64) -> Error {
    Error::BudgetExceeded {
        tenant: tenant.to_string(),
        limit: KINDS[i],
        limit_value: l.capacity[i],
        window_s: l.window_ms[i] / 1000.0,
        retry_after_s: wait_ms / 1000.0,
    }
}

pub mod quota;

#[cfg(test)]
mod tests;
