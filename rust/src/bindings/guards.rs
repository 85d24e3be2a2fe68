//! `scan` / `redact`: the input guards (rust/src/guards) for Python. The compiled guards are
//! an immutable, lazily built singleton: building the automata once per process is the point.

use std::sync::OnceLock;

use pyo3::prelude::*;
use pyo3::types::PyString;

use super::convert::{collect, Options};
use super::errors::{guard, to_py};
use crate::guards::{Guards, ScanResult};
use crate::request::Role;

fn guards() -> &'static Guards {
    static G: OnceLock<Guards> = OnceLock::new();
    G.get_or_init(Guards::new)
}

/// One PII span: `text[start:end]` (Python string indices) of `type`; for message input,
/// `message` and `part` locate the text it was found in.
#[pyclass(module = "routecore._core", name = "PiiSpan", frozen, get_all)]
pub struct PyPiiSpan {
    start: usize,
    end: usize,
    #[pyo3(name = "type")]
    kind: &'static str,
    message: Option<usize>,
    part: Option<usize>,
}

#[pymethods]
impl PyPiiSpan {
    fn __repr__(&self) -> String {
        format!(
            "PiiSpan(type={:?}, start={}, end={}, message={:?})",
            self.kind, self.start, self.end, self.message
        )
    }
}

/// The injection verdict: `score` 0..1 (the highest over the scanned texts), `verdict`
/// ("benign", "suspicious" or "injection") and the `signals` that fired.
#[pyclass(module = "routecore._core", name = "Injection", frozen, get_all)]
pub struct PyInjection {
    score: f32,
    verdict: &'static str,
    signals: Vec<&'static str>,
}

#[pymethods]
impl PyInjection {
    fn __repr__(&self) -> String {
        format!(
            "Injection(verdict={:?}, score={:.2}, signals={:?})",
            self.verdict, self.score, self.signals
        )
    }
}

/// Result of `scan`: the injection verdict and the PII spans.
#[pyclass(module = "routecore._core", name = "ScanResult", frozen, get_all)]
pub struct PyScanResult {
    injection: Py<PyInjection>,
    pii: Vec<Py<PyPiiSpan>>,
}

#[pymethods]
impl PyScanResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "ScanResult(injection={}, pii={})",
            self.injection.borrow(py).__repr__(),
            self.pii.len()
        )
    }
}

struct Found {
    result: ScanResult,
    message: Option<usize>,
    part: Option<usize>,
}

/// Scan a text, or the messages of a chat request (system turns are trusted and skipped for
/// injection, but still scanned for PII).
#[pyfunction]
pub fn scan(py: Python<'_>, text_or_messages: &Bound<'_, PyAny>) -> PyResult<PyScanResult> {
    let g = guards();
    let found: Vec<Found> = if let Ok(s) = text_or_messages.cast::<PyString>() {
        let text = s.to_str()?;
        let result = py.detach(|| g.scan(text));
        vec![Found {
            result,
            message: None,
            part: None,
        }]
    } else {
        let opts = Options::default();
        let scanned = guard(|| {
            let c = collect(text_or_messages, &opts)?;
            let req = c.request(&opts)?;
            let mut out = Vec::new();
            for (i, m) in req.messages.iter().enumerate() {
                for (j, p) in m.parts.iter().enumerate() {
                    let mut result = g.scan(p);
                    if m.role == Some(Role::System) {
                        result.injection = g.injection("");
                    }
                    out.push(Found {
                        result,
                        message: Some(i),
                        part: Some(j),
                    });
                }
            }
            Ok(out)
        });
        scanned.map_err(|e| to_py(py, e))?
    };
    let mut best: Option<&Found> = None;
    for f in &found {
        if best.is_none_or(|b| f.result.injection.score > b.result.injection.score) {
            best = Some(f);
        }
    }
    let mut signals: Vec<&'static str> = Vec::new();
    for f in &found {
        for s in &f.result.injection.signals {
            if !signals.contains(s) {
                signals.push(s);
            }
        }
    }
    let mut pii = Vec::new();
    for f in &found {
        for s in &f.result.pii {
            let span = PyPiiSpan {
                start: s.start,
                end: s.end,
                kind: s.kind.as_str(),
                message: f.message,
                part: f.part,
            };
            pii.push(Py::new(py, span)?);
        }
    }
    let injection = PyInjection {
        score: best.map_or(0.0, |b| b.result.injection.score),
        verdict: best.map_or("benign", |b| b.result.injection.verdict.as_str()),
        signals,
    };
    Ok(PyScanResult {
        injection: Py::new(py, injection)?,
        pii,
    })
}

/// The text with every PII span replaced by its type in brackets (`[EMAIL]`, `[CREDIT_CARD]`…).
#[pyfunction]
pub fn redact(py: Python<'_>, text: &str) -> String {
    py.detach(|| guards().redact(text))
}

/// The injection model's hashed features for a text (training only: keeps the training
/// script on the exact Rust featuriser).
#[pyfunction]
pub fn _guard_features(text: &str) -> Vec<u32> {
    guards().injection_features(text)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_guard_features, m)?)?;
    m.add_class::<PyScanResult>()?;
    m.add_class::<PyInjection>()?;
    m.add_class::<PyPiiSpan>()?;
    m.add_function(wrap_pyfunction!(scan, m)?)?;
    m.add_function(wrap_pyfunction!(redact, m)?)?;
    Ok(())
}
