//! Per-deployment provider quotas (requests/min, tokens/min), shared by every tenant.
//!
//! In-process (`Mode::Local`) each router keeps its own two buckets. With a shared store
//! (`Mode::Leased`) the global buckets live in the store under the model's name (`rc:q:{model}`)
//! and the router spends allowances leased from them, exactly like tenant budgets: the same
//! `LeaseTable`, Lua script and ledger, in a table of its own (`BudgetStore::quota_leases`).
//!
//! Unlike a tenant budget, an exhausted quota never refuses the request: selection skips to the
//! next candidate. For the same reason an unreachable store never refuses either, whatever
//! `state.mode` says: the router falls back to its own buckets at limit × `fallback_scale`
//! (1 / expected replicas). A provider quota protects the provider; refusing all traffic would
//! be the worse failure, and the fallback chain already handles the provider's 429s.

use parking_lot::Mutex;

use crate::budget::{Bucket, BudgetStore, Mode};
use crate::lease::{Limits, Take};

const WINDOW_MS: f64 = 60_000.0;

/// What a quota take held, so reconcile and release move the same place (kept in the
/// decision's `Reservation`; the model is the decision's primary).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QuotaHold {
    /// Something was taken (false for pinned models and unlimited deployments).
    pub taken: bool,
    /// From a leased allowance (settles there, whatever the mode is by then).
    pub leased: bool,
    pub tokens: f64,
}

/// One deployment's quota: its limits and this process's own buckets.
#[derive(Debug)]
pub struct ModelQuota {
    rpm: Option<f64>,
    tpm: Option<f64>,
    b: Mutex<[Bucket; 2]>,
}

impl ModelQuota {
    pub fn new(rpm: Option<f64>, tpm: Option<f64>) -> Self {
        ModelQuota {
            rpm,
            tpm,
            b: Mutex::new([
                Bucket::full(rpm.unwrap_or(0.0), 0),
                Bucket::full(tpm.unwrap_or(0.0), 0),
            ]),
        }
    }

    pub fn is_limited(&self) -> bool {
        self.rpm.is_some() || self.tpm.is_some()
    }

    /// The limits in the shared store's shape (capacity 0 = unlimited; no USD limit).
    pub fn lease_limits(&self) -> Limits {
        Limits {
            capacity: [self.rpm.unwrap_or(0.0), self.tpm.unwrap_or(0.0), 0.0],
            window_ms: [WINDOW_MS; 3],
        }
    }

    fn caps(&self, scale: f64) -> [Option<f64>; 2] {
        [self.rpm.map(|c| c * scale), self.tpm.map(|c| c * scale)]
    }

    /// Take one request and `tokens` from the own buckets (limits × `scale`) if both fit.
    pub fn try_take_scaled(&self, tokens: f64, now_ms: u32, scale: f64) -> bool {
        let caps = self.caps(scale);
        let amounts = [1.0, tokens];
        let mut b = self.b.lock();
        for i in 0..2 {
            if let Some(c) = caps[i] {
                b[i].refill(c, WINDOW_MS, now_ms);
                if b[i].wait_ms(amounts[i], c, WINDOW_MS) > 0.0 {
                    return false;
                }
            }
        }
        for i in 0..2 {
            if let Some(c) = caps[i] {
                b[i].adjust(amounts[i], c);
            }
        }
        true
    }

    /// Take one request and `tokens` at the full limits (in-process use and tests).
    pub fn try_take(&self, tokens: f64, now_ms: u32) -> bool {
        !self.is_limited() || self.try_take_scaled(tokens, now_ms, 1.0)
    }

    /// Move the own buckets by `deltas` (requests, tokens; negative gives back).
    fn adjust_local(&self, deltas: [f64; 2], scale: f64) {
        let caps = self.caps(scale);
        let mut b = self.b.lock();
        for i in 0..2 {
            if let Some(c) = caps[i] {
                b[i].adjust(deltas[i], c);
            }
        }
    }

    /// Undo a `try_take` whose request was refused elsewhere (tenant budget).
    pub fn give_back(&self, tokens: f64) {
        self.adjust_local([-1.0, -tokens], 1.0);
    }
}

impl BudgetStore {
    /// Take one request and `tokens` of deployment `name`'s quota wherever the mode says;
    /// `None` when it is exhausted (selection then tries the next candidate).
    pub fn take_model(
        &self,
        q: &ModelQuota,
        name: &str,
        tokens: f64,
        now_ms: u32,
    ) -> Option<QuotaHold> {
        if !q.is_limited() {
            return Some(QuotaHold::default());
        }
        let scale = match self.mode() {
            Mode::Local => 1.0,
            Mode::Leased => {
                match self
                    .quota_leases
                    .reserve(name, q.lease_limits(), [1.0, tokens, 0.0], now_ms)
                {
                    Take::Admitted => {
                        return Some(QuotaHold {
                            taken: true,
                            leased: true,
                            tokens,
                        })
                    }
                    Take::Refused(_) => return None,
                    Take::Unreachable => self.fallback_scale(),
                }
            }
            Mode::Fallback | Mode::Closed => self.fallback_scale(),
        };
        q.try_take_scaled(tokens, now_ms, scale)
            .then_some(QuotaHold {
                taken: true,
                leased: false,
                tokens,
            })
    }

    /// Settle a hold with the tokens actually used (`None`: leave the estimate charged, e.g.
    /// a fallback served the request) or, with `refund`, give it back entirely.
    pub fn settle_model(
        &self,
        q: &ModelQuota,
        name: &str,
        h: QuotaHold,
        actual_tokens: Option<f64>,
        refund: bool,
    ) {
        if !h.taken {
            return;
        }
        let deltas = if refund {
            [-1.0, -h.tokens]
        } else {
            match actual_tokens {
                Some(t) => [0.0, t - h.tokens],
                None => return,
            }
        };
        if h.leased {
            // Reaches the store with the next return flush, even if it is down right now.
            self.quota_leases
                .adjust(name, q.lease_limits(), [deltas[0], deltas[1], 0.0], 0);
        } else {
            let scale = match self.mode() {
                Mode::Local => 1.0,
                _ => self.fallback_scale(),
            };
            q.adjust_local(deltas, scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lease::{Grant, LeaseFetch, LeaseRequest};
    use std::sync::Arc;

    #[test]
    fn local_quota_takes_refills_and_gives_back() {
        let q = ModelQuota::new(Some(2.0), None);
        assert!(q.try_take(10.0, 0));
        assert!(q.try_take(10.0, 0));
        assert!(!q.try_take(10.0, 0));
        assert!(
            q.try_take(10.0, 30_000),
            "half a minute refills one request"
        );
        q.give_back(10.0);
        assert!(q.try_take(10.0, 30_000));
    }

    /// A store that grants everything asked for, up to a fixed total, and counts calls.
    struct Fixed(Mutex<f64>);
    impl LeaseFetch for Fixed {
        fn fetch(&self, _name: &str, req: &LeaseRequest) -> Option<Grant> {
            let mut left = self.0.lock();
            let g = req.want[0].min(*left);
            *left -= g;
            Some(Grant {
                granted: [g, req.want[1], 0.0],
                wait_ms: [if g > 0.0 { 0.0 } else { 1000.0 }, 0.0, 0.0],
            })
        }
    }

    #[test]
    fn leased_quota_skips_when_the_store_is_dry_and_falls_back_when_unreachable() {
        let s = BudgetStore::new();
        let q = ModelQuota::new(Some(100.0), Some(1e6));
        s.quota_leases
            .set_fetch(Some(Arc::new(Fixed(Mutex::new(7.0)))));
        s.set_mode(Mode::Leased);
        let took = (0..20)
            .filter(|_| s.take_model(&q, "m", 10.0, 0).is_some())
            .count();
        assert_eq!(took, 7, "exactly what the store granted");
        // Settling moves the allowance; a refund makes room for one more request.
        let h = s.take_model(&q, "other", 10.0, 0);
        assert!(h.is_none(), "the store is dry for every name here");
        s.settle_model(
            &q,
            "m",
            QuotaHold {
                taken: true,
                leased: true,
                tokens: 10.0,
            },
            None,
            true,
        );
        assert!(s.take_model(&q, "m", 10.0, 0).is_some());
        // Unreachable store: own buckets at limit × scale (here 1/4 of 100 = 25).
        s.quota_leases.set_fetch(None);
        s.set_failure_policy(false, 0.25);
        let local = (0..100)
            .filter(|_| s.take_model(&q, "m2", 10.0, 0).is_some_and(|h| !h.leased))
            .count();
        assert_eq!(local, 25, "fail_closed does not refuse model traffic");
    }
}
