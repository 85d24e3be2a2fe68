//! `Decision`: a core decision plus the policy that names its models. Attributes are built on
//! access, so routing does not pay for fields nobody reads.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::capability::Capability;
use crate::decision::Decision;
use crate::features::COLUMNS;
use crate::policy::Policy;

pub const OPEN: u8 = 0;
pub const SETTLED: u8 = 1;
pub const RELEASED: u8 = 2;

/// A routing decision. Read its attributes, or `to_dict()` for all of it as plain data.
#[pyclass(module = "routecore._core", name = "Decision", frozen)]
pub struct PyDecision {
    pub inner: Decision,
    pub policy: Arc<Policy>,
    pub metadata: Option<Py<PyAny>>,
    /// OPEN until reconciled or released (each may happen once).
    pub state: AtomicU8,
    /// Reasons added after routing by the async layer (guard flags, escalations, rollbacks):
    /// the decision is the one place a caller looks to learn why it was served as it was.
    pub notes: Mutex<Vec<String>>,
}

impl PyDecision {
    pub fn new(inner: Decision, policy: Arc<Policy>, metadata: Option<Py<PyAny>>) -> Self {
        PyDecision {
            inner,
            policy,
            metadata,
            state: AtomicU8::new(OPEN),
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Move from OPEN to `to`; false if already settled or released.
    pub fn close(&self, to: u8) -> bool {
        self.state
            .compare_exchange(OPEN, to, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    fn name(&self, id: u16) -> &str {
        &self.policy.model(id).name
    }
}

#[pymethods]
impl PyDecision {
    /// Unique id of this decision (hex), used for feedback and traces.
    #[getter]
    fn request_id(&self) -> String {
        format!("{:016x}", self.inner.request_id)
    }
    #[getter]
    fn tier(&self) -> u8 {
        self.inner.tier
    }
    #[getter]
    fn tier_name(&self) -> &str {
        &self.policy.tiers[self.inner.tier as usize].name
    }
    #[getter]
    fn model(&self) -> &str {
        self.name(self.inner.model)
    }
    #[getter]
    fn fallbacks(&self) -> Vec<&str> {
        self.inner.fallbacks.iter().map(|m| self.name(*m)).collect()
    }
    #[getter]
    fn capability(&self) -> &'static str {
        self.inner.capability.as_str()
    }
    #[getter]
    fn capability_confidence(&self) -> f32 {
        self.inner.capability_confidence
    }
    #[getter]
    fn complexity(&self) -> f32 {
        self.inner.complexity
    }
    #[getter]
    fn input_tokens(&self) -> u32 {
        self.inner.input_tokens
    }
    /// Output tokens reserved against the budget (`max_tokens`, else the capability's typical length).
    #[getter]
    fn output_tokens(&self) -> u32 {
        self.inner.output_tokens
    }
    #[getter]
    fn estimated_cost_usd(&self) -> f64 {
        self.inner.estimated_cost_usd
    }
    #[getter]
    fn tenant(&self) -> &str {
        &self.inner.tenant
    }
    /// "admitted" when a tenant budget was checked and reserved, "unlimited" when none applies.
    #[getter]
    fn budget(&self) -> &'static str {
        if self.inner.budgeted {
            "admitted"
        } else {
            "unlimited"
        }
    }
    #[getter]
    fn reasons(&self) -> Vec<String> {
        let mut r = self.inner.reasons_text(&self.policy);
        r.extend(self.notes.lock().map(|n| n.clone()).unwrap_or_default());
        r
    }
    /// Append a reason (used by routecore's guard and verification layer; never message text).
    fn _note(&self, reason: String) {
        if let Ok(mut n) = self.notes.lock() {
            n.push(reason);
        }
    }
    #[getter]
    fn metadata(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.metadata.as_ref().map(|m| m.clone_ref(py))
    }
    /// "open", "settled" (reconciled) or "released".
    #[getter]
    fn state(&self) -> &'static str {
        match self.state.load(Ordering::Acquire) {
            OPEN => "open",
            SETTLED => "settled",
            _ => "released",
        }
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let i = &self.inner;
        d.set_item("request_id", self.request_id())?;
        d.set_item("tier", i.tier)?;
        d.set_item("tier_name", self.tier_name())?;
        d.set_item("model", self.model())?;
        d.set_item("fallbacks", self.fallbacks())?;
        d.set_item("capability", self.capability())?;
        d.set_item("capability_confidence", i.capability_confidence)?;
        let scores = PyDict::new(py);
        for c in Capability::ALL {
            scores.set_item(c.as_str(), i.capability_scores[c.index()])?;
        }
        d.set_item("capability_scores", scores)?;
        d.set_item("complexity", i.complexity)?;
        let comp = PyDict::new(py);
        comp.set_item("token_count", i.components.token_count)?;
        comp.set_item("tool_usage", i.components.tool_usage)?;
        comp.set_item("user_tier", i.components.user_tier)?;
        comp.set_item("capability", i.components.capability)?;
        comp.set_item("structure", i.components.structure)?;
        comp.set_item("difficulty", i.components.difficulty)?;
        d.set_item("complexity_components", comp)?;
        d.set_item("input_tokens", i.input_tokens)?;
        d.set_item("output_tokens", i.output_tokens)?;
        d.set_item("estimated_cost_usd", i.estimated_cost_usd)?;
        d.set_item("tenant", self.tenant())?;
        d.set_item("budget", self.budget())?;
        d.set_item("reasons", self.reasons())?;
        let feats = PyDict::new(py);
        for (k, v) in COLUMNS.iter().zip(i.features.to_row()) {
            feats.set_item(*k, v)?;
        }
        feats.set_item(
            "script_name",
            i.features.script.map_or("unknown", |s| s.as_str()),
        )?;
        d.set_item("features", feats)?;
        d.set_item("metadata", self.metadata(py))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "Decision(model={:?}, tier={}, capability={:?}, complexity={:.1}, input_tokens={}, estimated_cost_usd={:.6})",
            self.model(),
            self.inner.tier,
            self.capability(),
            self.inner.complexity,
            self.inner.input_tokens,
            self.inner.estimated_cost_usd
        )
    }
}
