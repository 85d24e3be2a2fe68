//! `Router`: the compiled router. Python's `routecore.Router` subclasses it to add the async
//! provider layer; routing itself stays a direct native call.

use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use rayon::prelude::*;

use super::convert::{collect, Collected, Options};
use super::decision::{PyDecision, RELEASED, SETTLED};
use super::errors::{guard, to_py};
use crate::config::{self, Format};
use crate::error::Error;
use crate::features::COLUMNS;
use crate::health::{ErrorKind, Outcome};
use crate::router::Router;

/// `ttft_view`'s answer: (expected_ms, p95_ms, samples, fleet_p95_ms).
type TtftView = (Option<f64>, Option<f64>, u32, Option<f64>);

#[pyclass(module = "routecore._core", name = "Router", subclass, frozen)]
pub struct PyRouter {
    pub(crate) inner: Arc<Router>,
}

fn core_err(py: Python<'_>, e: Error) -> PyErr {
    to_py(py, e)
}

macro_rules! options {
    ($tenant:ident, $user_tier:ident, $model:ident, $tools:ident, $response_format:ident, $max_tokens:ident,
     $min_tier:ident, $max_tier:ident, $deadline_ms:ident, $max_cost_usd:ident) => {
        Options {
            tenant: $tenant,
            user_tier: $user_tier,
            model: $model,
            tools: $tools,
            response_format: $response_format,
            max_tokens: $max_tokens,
            min_tier: $min_tier,
            max_tier: $max_tier,
            deadline_ms: $deadline_ms,
            max_cost_usd: $max_cost_usd,
        }
    };
}

impl PyRouter {
    fn collect_batch<'py>(
        batch: &Bound<'py, PyAny>,
        opts: &Options<'py>,
    ) -> Result<Vec<Collected<'py>>, Error> {
        let list = batch
            .cast::<PyList>()
            .map_err(|_| Error::invalid("batch", "expected a list of requests"))?;
        list.iter()
            .enumerate()
            .map(|(i, m)| {
                collect(&m, opts).map_err(|e| match e {
                    Error::InvalidRequest { path, message } => Error::InvalidRequest {
                        path: format!("batch[{i}].{path}"),
                        message,
                    },
                    e => e,
                })
            })
            .collect()
    }
}

#[pymethods]
impl PyRouter {
    /// Compile a router from config text (`format` "toml" or "json"); `None` uses the embedded default.
    /// `base_dir` is where relative paths in the config (`routing.capability_model`) resolve.
    #[new]
    #[pyo3(signature = (source=None, format="toml", *, base_dir=None))]
    fn new(
        py: Python<'_>,
        source: Option<&str>,
        format: &str,
        base_dir: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let fmt = match format {
            "toml" => Format::Toml,
            "json" => Format::Json,
            other => {
                return Err(core_err(
                    py,
                    Error::invalid(
                        "format",
                        format!("unknown config format {other:?}; expected toml or json"),
                    ),
                ))
            }
        };
        let text = source.unwrap_or(config::DEFAULT_TOML);
        let router = py
            .detach(|| {
                guard(|| match &base_dir {
                    Some(d) => Router::from_config_in(text, fmt, d),
                    None => Router::from_config(text, fmt),
                })
            })
            .map_err(|e| core_err(py, e))?;
        Ok(PyRouter {
            inner: Arc::new(router),
        })
    }

    /// Decide tier and model for one request (synchronous, microseconds).
    #[pyo3(signature = (messages, *, tenant=None, user_tier=None, model=None, metadata=None, tools=None,
                        response_format=None, max_tokens=None, min_tier=None, max_tier=None,
                        deadline_ms=None, max_cost_usd=None))]
    #[allow(clippy::too_many_arguments)]
    fn route<'py>(
        &self,
        py: Python<'py>,
        messages: &Bound<'py, PyAny>,
        tenant: Option<Bound<'py, PyString>>,
        user_tier: Option<Bound<'py, PyString>>,
        model: Option<Bound<'py, PyString>>,
        metadata: Option<Py<PyAny>>,
        tools: Option<Bound<'py, PyAny>>,
        response_format: Option<Bound<'py, PyAny>>,
        max_tokens: Option<u32>,
        min_tier: Option<u8>,
        max_tier: Option<u8>,
        deadline_ms: Option<f64>,
        max_cost_usd: Option<f64>,
    ) -> PyResult<PyDecision> {
        let opts = options!(
            tenant,
            user_tier,
            model,
            tools,
            response_format,
            max_tokens,
            min_tier,
            max_tier,
            deadline_ms,
            max_cost_usd
        );
        let r = &self.inner;
        let d = guard(|| {
            let c = collect(messages, &opts)?;
            let req = c.request(&opts)?;
            r.route(&req)
        })
        .map_err(|e| core_err(py, e))?;
        Ok(PyDecision::new(
            d,
            r.policy().clone(),
            metadata.filter(|m| !m.is_none(py)),
        ))
    }

    /// Route many requests at once, in parallel on every core with the GIL released.
    /// Keyword arguments apply to every request. Raises on the first invalid request.
    #[pyo3(signature = (batch, *, tenant=None, user_tier=None, model=None, metadata=None, tools=None,
                        response_format=None, max_tokens=None, min_tier=None, max_tier=None,
                        deadline_ms=None, max_cost_usd=None))]
    #[allow(clippy::too_many_arguments)]
    fn route_batch<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        tenant: Option<Bound<'py, PyString>>,
        user_tier: Option<Bound<'py, PyString>>,
        model: Option<Bound<'py, PyString>>,
        metadata: Option<Py<PyAny>>,
        tools: Option<Bound<'py, PyAny>>,
        response_format: Option<Bound<'py, PyAny>>,
        max_tokens: Option<u32>,
        min_tier: Option<u8>,
        max_tier: Option<u8>,
        deadline_ms: Option<f64>,
        max_cost_usd: Option<f64>,
    ) -> PyResult<Vec<PyDecision>> {
        let opts = options!(
            tenant,
            user_tier,
            model,
            tools,
            response_format,
            max_tokens,
            min_tier,
            max_tier,
            deadline_ms,
            max_cost_usd
        );
        let collected = Self::collect_batch(batch, &opts).map_err(|e| core_err(py, e))?;
        let reqs = collected
            .iter()
            .map(|c| c.request(&opts))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| core_err(py, e))?;
        let r = &self.inner;
        let results = py
            .detach(|| guard(|| Ok(reqs.par_iter().map(|q| r.route(q)).collect::<Vec<_>>())))
            .map_err(|e| core_err(py, e))?;
        let meta = metadata.filter(|m| !m.is_none(py));
        let mut out = Vec::with_capacity(results.len());
        for (i, res) in results.into_iter().enumerate() {
            match res {
                Ok(d) => out.push(PyDecision::new(
                    d,
                    r.policy().clone(),
                    meta.as_ref().map(|m| m.clone_ref(py)),
                )),
                Err(e) => {
                    // Give back what the admitted ones reserved: the batch fails as a whole.
                    for d in &out {
                        r.release(&d.inner);
                    }
                    let e = match e {
                        Error::InvalidRequest { path, message } => Error::InvalidRequest {
                            path: format!("batch[{i}].{path}"),
                            message,
                        },
                        e => e,
                    };
                    return Err(core_err(py, e));
                }
            }
        }
        Ok(out)
    }

    /// Feature matrix as raw float32 bytes plus (rows, cols); `Router.features` wraps it in numpy.
    #[pyo3(signature = (batch, *, tools=None, response_format=None, max_tokens=None))]
    fn _features_raw<'py>(
        &self,
        py: Python<'py>,
        batch: &Bound<'py, PyAny>,
        tools: Option<Bound<'py, PyAny>>,
        response_format: Option<Bound<'py, PyAny>>,
        max_tokens: Option<u32>,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let opts = Options {
            tools,
            response_format,
            max_tokens,
            ..Default::default()
        };
        let collected = Self::collect_batch(batch, &opts).map_err(|e| core_err(py, e))?;
        let reqs = collected
            .iter()
            .map(|c| c.request(&opts))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| core_err(py, e))?;
        let r = &self.inner;
        let rows: Vec<[f32; COLUMNS.len()]> =
            py.detach(|| reqs.par_iter().map(|q| r.features(q).to_row()).collect());
        let mut bytes = Vec::with_capacity(rows.len() * COLUMNS.len() * 4);
        for row in &rows {
            for v in row {
                bytes.extend_from_slice(&v.to_ne_bytes());
            }
        }
        Ok((PyBytes::new(py, &bytes), rows.len(), COLUMNS.len()))
    }

    /// Settle a decision with real usage; returns the actual cost in USD. `model` names the
    /// model that actually served (a fallback), if not the decision's own.
    #[pyo3(signature = (decision, input_tokens, output_tokens, *, model=None))]
    fn reconcile(
        &self,
        py: Python<'_>,
        decision: &PyDecision,
        input_tokens: u32,
        output_tokens: u32,
        model: Option<&str>,
    ) -> PyResult<f64> {
        let r = &self.inner;
        if !Arc::ptr_eq(&decision.policy, r.policy()) {
            return Err(core_err(
                py,
                Error::invalid("decision", "was made by a different router"),
            ));
        }
        let served = match model {
            None => decision.inner.model,
            Some(m) => r.policy().model_id(m).ok_or_else(|| {
                core_err(
                    py,
                    Error::UnknownModel {
                        model: m.into(),
                        known: r.policy().model_names(),
                    },
                )
            })?,
        };
        if !decision.close(SETTLED) {
            return Err(core_err(
                py,
                Error::invalid("decision", format!("already {}", decision_state(decision))),
            ));
        }
        Ok(r.reconcile_model(&decision.inner, served, input_tokens, output_tokens))
    }

    /// Give back a decision's reservation (the call failed or was never made).
    fn release(&self, py: Python<'_>, decision: &PyDecision) -> PyResult<()> {
        if !Arc::ptr_eq(&decision.policy, self.inner.policy()) {
            return Err(core_err(
                py,
                Error::invalid("decision", "was made by a different router"),
            ));
        }
        if !decision.close(RELEASED) {
            return Err(core_err(
                py,
                Error::invalid("decision", format!("already {}", decision_state(decision))),
            ));
        }
        self.inner.release(&decision.inner);
        Ok(())
    }

    /// Credit user feedback to the decision's capability × tier × model (the bandit's reward).
    /// `quality` is in 0..1. Returns False for an unknown, old or already-rated request id.
    #[pyo3(signature = (request_id, quality, *, latency_ms=None))]
    fn _feedback(
        &self,
        py: Python<'_>,
        request_id: &str,
        quality: f64,
        latency_ms: Option<f64>,
    ) -> PyResult<bool> {
        let id = u64::from_str_radix(request_id, 16).map_err(|_| {
            core_err(
                py,
                Error::invalid(
                    "request_id",
                    format!("not a routecore request id: {request_id:?}"),
                ),
            )
        })?;
        if !(0.0..=1.0).contains(&quality) {
            return Err(core_err(
                py,
                Error::invalid("score", format!("must be within 0..1 (got {quality})")),
            ));
        }
        Ok(self.inner.feedback(id, quality, latency_ms))
    }

    /// The feedback bandit's learned state (JSON), to persist across restarts.
    fn bandit_state(&self) -> String {
        self.inner.bandit_state()
    }

    /// Restore state saved by `bandit_state`; returns how many arms were restored.
    fn load_bandit_state(&self, py: Python<'_>, state: &str) -> PyResult<usize> {
        self.inner
            .load_bandit_state(state)
            .map_err(|e| core_err(py, e))
    }

    /// Report one provider attempt (feeds TTFT statistics and the circuit breaker).
    #[pyo3(signature = (model, *, ok, ttft_ms=None, total_ms=None, error=None, deadline_missed=false))]
    #[allow(clippy::too_many_arguments)] // mirrors the Python keyword signature
    fn record_outcome(
        &self,
        py: Python<'_>,
        model: &str,
        ok: bool,
        ttft_ms: Option<f64>,
        total_ms: Option<f64>,
        error: Option<&str>,
        deadline_missed: bool,
    ) -> PyResult<()> {
        let error = match error {
            None => None,
            Some(e) => Some(ErrorKind::parse(e).ok_or_else(|| {
                core_err(py, Error::invalid("error", format!("unknown error kind {e:?}; expected timeout, connect, server, rate_limited, bad_response, auth, context_window, content_policy, client or cancelled")))
            })?),
        };
        let o = Outcome {
            ok,
            ttft_ms,
            total_ms,
            error,
            deadline_missed,
        };
        self.inner.record(model, &o).map_err(|e| core_err(py, e))
    }

    /// Circuit-breaker admission for one attempt on `model` (half-open lets one probe through).
    fn allow(&self, py: Python<'_>, model: &str) -> PyResult<bool> {
        self.inner.allow(model).map_err(|e| core_err(py, e))
    }

    /// Health of one model: breaker state, own TTFT EWMA and p95, error rate; with shared
    /// state also the fleet's merged view (`fleet_*`, 0 without one) and `expected_ttft_ms`.
    fn health<'py>(&self, py: Python<'py>, model: &str) -> PyResult<Bound<'py, PyDict>> {
        let h = self.inner.health(model).map_err(|e| core_err(py, e))?;
        let d = PyDict::new(py);
        d.set_item(intern!(py, "state"), h.state.as_str())?;
        d.set_item(intern!(py, "ttft_ewma_ms"), h.ttft_ewma_ms)?;
        d.set_item(intern!(py, "ttft_p95_ms"), h.ttft_p95_ms)?;
        d.set_item(intern!(py, "ttft_samples"), h.ttft_samples)?;
        d.set_item(intern!(py, "error_rate"), h.error_rate)?;
        d.set_item(intern!(py, "requests_in_window"), h.requests_in_window)?;
        d.set_item(intern!(py, "consecutive_failures"), h.consecutive_failures)?;
        d.set_item(intern!(py, "latency_misses"), h.latency_misses)?;
        d.set_item(intern!(py, "opened_total"), h.opened_total)?;
        // The other replicas' merged view (zeros without shared state) and the blend that
        // selection and deadline admission use.
        let f = h.fleet.unwrap_or_default();
        d.set_item(intern!(py, "expected_ttft_ms"), h.expected_ttft_ms)?;
        d.set_item(intern!(py, "fleet_ttft_ms"), f.ttft_ms)?;
        d.set_item(intern!(py, "fleet_ttft_p95_ms"), f.ttft_p95_ms)?;
        d.set_item(intern!(py, "fleet_error_rate"), f.error_rate)?;
        d.set_item(intern!(py, "fleet_n"), f.n)?;
        Ok(d)
    }

    /// The TTFT figures the attempt loop reads on every attempt (deadline admission, hedge
    /// delay): `(expected_ms, p95_ms, samples, fleet_p95_ms)`. `expected_ms` is the blend
    /// with the other replicas' view when there is one, else the own EWMA (None before the
    /// first sample); `fleet_p95_ms` is None without a fleet view. `health()` answers the
    /// same from a 15-key dict, whose building was 1.7 % of a proxied request's instructions.
    fn ttft_view(&self, py: Python<'_>, model: &str) -> PyResult<TtftView> {
        let h = self.inner.health(model).map_err(|e| core_err(py, e))?;
        let fleet = h.fleet.filter(|f| f.n > 0);
        let expected = match fleet {
            Some(_) => Some(h.expected_ttft_ms),
            None => h.ttft_ewma_ms,
        };
        Ok((
            expected,
            h.ttft_p95_ms,
            h.ttft_samples,
            fleet.and_then(|f| f.ttft_p95_ms),
        ))
    }

    /// Remaining budget of a tenant (requests, tokens, usd); None before its first request.
    fn budget_levels<'py>(
        &self,
        py: Python<'py>,
        tenant: &str,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(lv) = self.inner.budget_levels(tenant) else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        for (k, v) in ["requests", "tokens", "usd"].iter().zip(lv) {
            d.set_item(*k, if v.is_finite() { Some(v) } else { None })?;
        }
        Ok(Some(d))
    }

    /// Number of tenants with budget state.
    #[getter]
    fn tenants_tracked(&self) -> usize {
        self.inner.tenants_tracked()
    }

    /// Name of the capability model in use.
    #[getter]
    fn classifier(&self) -> String {
        self.inner.classifier_name().to_string()
    }

    /// Model names, in config order.
    #[getter]
    fn models(&self) -> Vec<String> {
        self.inner.policy().model_names()
    }

    /// The input-guard policy in force for `tenant` at `tier` (global ← tier ← tenant), as
    /// plain data: `{"injection": {action, mode, min_verdict}, "pii": {action, mode, types},
    /// "escalate_model"}`.
    #[pyo3(signature = (tenant=None, tier=0))]
    fn guard_policy<'py>(
        &self,
        py: Python<'py>,
        tenant: Option<&str>,
        tier: u8,
    ) -> PyResult<Bound<'py, PyDict>> {
        let p = self.inner.policy();
        let g = p.guards.effective(tenant, tier.min(p.max_tier()));
        super::policy::guard_dict(py, p, &g)
    }

    /// The compiled `[verification]` policy as plain data (per-tier thresholds, rollback targets).
    fn verification_policy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        super::policy::verification_dict(py, self.inner.policy())
    }

    /// The validated config with defaults filled in, as JSON text.
    fn _config_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.inner.policy().normalized)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }
}

fn decision_state(d: &PyDecision) -> &'static str {
    if d.state.load(std::sync::atomic::Ordering::Acquire) == SETTLED {
        "reconciled"
    } else {
        "released"
    }
}
