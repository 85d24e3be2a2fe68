//! The last decisions, by request id, so feedback that arrives later (`router.feedback`) can be
//! credited to the capability × tier × model that served. A direct-mapped table: O(1), fixed
//! memory, and old entries are simply overwritten — feedback days late has nothing to teach.

use parking_lot::Mutex;

use crate::capability::Capability;
use crate::policy::ModelId;

const SLOTS: usize = 1 << 16;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    pub capability: Capability,
    pub tier: u8,
    pub model: ModelId,
    pub cost_usd: f64,
}

pub struct Recent {
    slots: Vec<Mutex<Option<(u64, Served)>>>,
}

impl Default for Recent {
    fn default() -> Self {
        Self::new()
    }
}

impl Recent {
    pub fn new() -> Self {
        Recent {
            slots: (0..SLOTS).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn slot(&self, id: u64) -> &Mutex<Option<(u64, Served)>> {
        // Index by the sequence number behind the id, not the id's own (random) bits:
        // consecutive requests then write neighbouring slots, which stay in cache, where a
        // random slot of this 2.6 MB table was a cache miss on every route.
        &self.slots[(unmix(id) as usize) & (SLOTS - 1)]
    }

    pub fn put(&self, id: u64, s: Served) {
        *self.slot(id).lock() = Some((id, s));
    }

    /// Update the served model and its actual cost (a fallback may have answered).
    pub fn settle(&self, id: u64, model: ModelId, cost_usd: f64) {
        if let Some((k, s)) = self.slot(id).lock().as_mut() {
            if *k == id {
                s.model = model;
                s.cost_usd = cost_usd;
            }
        }
    }

    pub fn get(&self, id: u64) -> Option<Served> {
        self.slot(id)
            .lock()
            .filter(|(k, _)| *k == id)
            .map(|(_, s)| s)
    }

    /// Remove and return: each request's feedback counts once.
    pub fn take(&self, id: u64) -> Option<Served> {
        let mut g = self.slot(id).lock();
        match *g {
            Some((k, s)) if k == id => {
                *g = None;
                Some(s)
            }
            _ => None,
        }
    }
}

/// A request id from a sequence number: splitmix64, a bijection, so ids are unique and look
/// random while `unmix` recovers the sequence.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(M1);
    z = (z ^ (z >> 27)).wrapping_mul(M2);
    z ^ (z >> 31)
}

/// The sequence number of an id (`unmix(mix(x)) == x`).
pub fn unmix(mut z: u64) -> u64 {
    z ^= (z >> 31) ^ (z >> 62);
    z = z.wrapping_mul(M2_INV);
    z ^= (z >> 27) ^ (z >> 54);
    z = z.wrapping_mul(M1_INV);
    z ^= (z >> 30) ^ (z >> 60);
    z.wrapping_sub(GOLDEN)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const M1: u64 = 0xBF58_476D_1CE4_E5B9;
const M2: u64 = 0x94D0_49BB_1331_11EB;
// Evaluated at compile time: `unmix` runs on every route.
const M1_INV: u64 = inverse(M1);
const M2_INV: u64 = inverse(M2);

/// The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration doubles the
/// correct low bits each step: 3 → 6 → … → 96 ≥ 64).
const fn inverse(a: u64) -> u64 {
    let mut x = a;
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        i += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmix_inverts_mix() {
        for x in [0u64, 1, 2, 41, u64::MAX, 0xDEAD_BEEF_1234_5678] {
            assert_eq!(unmix(mix(x)), x);
        }
        assert_eq!(M1_INV.wrapping_mul(M1), 1);
        assert_eq!(M2_INV.wrapping_mul(M2), 1);
    }

    #[test]
    fn put_get_take_and_overwrite() {
        let r = Recent::new();
        let s = Served {
            capability: Capability::Code,
            tier: 2,
            model: 3,
            cost_usd: 0.01,
        };
        r.put(42, s);
        assert_eq!(r.get(42), Some(s));
        assert_eq!(r.get(43), None);
        r.settle(42, 5, 0.02);
        assert_eq!(r.get(42).unwrap().model, 5);
        assert_eq!(r.take(42).unwrap().cost_usd, 0.02);
        assert_eq!(r.take(42), None, "feedback counts once");
        // A colliding id evicts the older entry rather than being misattributed.
        let (a, b) = (mix(7), mix(7 + SLOTS as u64));
        r.put(a, s);
        r.put(b, s);
        assert_eq!(r.get(a), None);
        assert_eq!(r.get(b), Some(s));
    }
}
