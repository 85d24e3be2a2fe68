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
        // Ids are already well mixed (splitmix64), so their low bits index directly.
        &self.slots[(id as usize) & (SLOTS - 1)]
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

#[cfg(test)]
mod tests {
    use super::*;

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
        r.put(7, s);
        r.put(7 + SLOTS as u64, s);
        assert_eq!(r.get(7), None);
    }
}
