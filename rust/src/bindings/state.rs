//! Shared-state hooks for `routecore.state` (the Redis backend's background thread): lease
//! refills and returns, the budget mode, and health sync. Private (`_state_*`) functions taking
//! the router; the Python package is their only caller.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::errors::to_py;
use super::router::PyRouter;
use crate::budget::Mode;
use crate::error::Error;
use crate::health::Fleet;
use crate::lease::{Grant, LeaseFetch, LeaseParams, LeaseRequest, LeaseTable, Limits};
use crate::router::Router;

type F3 = [f64; 3];

/// The synchronous lease path: a Python callable
/// `fetch(tenant, capacity, window_ms, want, need) -> (granted, wait_ms) | None`.
struct PyFetch(Py<PyAny>);

impl LeaseFetch for PyFetch {
    fn fetch(&self, tenant: &str, req: &LeaseRequest) -> Option<Grant> {
        Python::attach(|py| {
            let args = (
                tenant,
                req.limits.capacity,
                req.limits.window_ms,
                req.want,
                req.need,
            );
            // The callable handles its own errors; anything escaping counts as unreachable.
            let r = self.0.call1(py, args).ok()?;
            let (granted, wait_ms): (F3, F3) = r.extract(py).ok()?;
            Some(Grant { granted, wait_ms })
        })
    }
}

/// Attach (or with `fetch=None` detach) the shared store: failure policy, lease sizing and
/// the synchronous fetch callables (tenant budgets; deployments' quotas, keyed by model).
#[pyfunction]
#[pyo3(signature = (router, fetch, *, fail_open, fallback_scale, lease_fraction, low_water=0.5, quota_fetch=None))]
fn _state_attach(
    router: &PyRouter,
    fetch: Option<Py<PyAny>>,
    fail_open: bool,
    fallback_scale: f64,
    lease_fraction: f64,
    low_water: f64,
    quota_fetch: Option<Py<PyAny>>,
) {
    let b = router.inner.budgets();
    b.set_failure_policy(fail_open, fallback_scale);
    let params = LeaseParams {
        chunk: lease_fraction,
        low_water,
    };
    for (t, f) in [(&b.leases, fetch), (&b.quota_leases, quota_fetch)] {
        t.set_params(params);
        t.set_fetch(f.map(|f| Arc::new(PyFetch(f)) as Arc<dyn LeaseFetch>));
    }
}

/// The tenants' lease table, or with `quota` the deployments' one.
fn table(r: &Router, quota: bool) -> &LeaseTable {
    let b = r.budgets();
    if quota {
        &b.quota_leases
    } else {
        &b.leases
    }
}

/// Set where reservations come from: "local", "leased", "fallback" or "closed".
#[pyfunction]
fn _state_set_mode(py: Python<'_>, router: &PyRouter, mode: &str) -> PyResult<()> {
    let m = Mode::parse(mode).ok_or_else(|| {
        to_py(
            py,
            Error::invalid(
                "mode",
                format!("unknown mode {mode:?}; expected local, leased, fallback or closed"),
            ),
        )
    })?;
    router.inner.budgets().set_mode(m);
    Ok(())
}

#[pyfunction]
fn _state_mode(router: &PyRouter) -> &'static str {
    router.inner.budgets().mode().as_str()
}

type LeaseRow = (String, F3, F3, F3, F3);

/// Tenants (`quota`: models) below their low-water mark: (name, capacity, window_ms, want, give).
#[pyfunction]
#[pyo3(signature = (router, quota=false))]
fn _lease_wants(py: Python<'_>, router: &PyRouter, quota: bool) -> Vec<LeaseRow> {
    let t = table(&router.inner, quota);
    py.detach(|| rows(t.take_wants()))
}

/// Allowance to give back: idle names' (dropped), surplus of busy ones; `all` at shutdown.
#[pyfunction]
#[pyo3(signature = (router, idle_ms, all=false, quota=false))]
fn _lease_returns(
    py: Python<'_>,
    router: &PyRouter,
    idle_ms: u32,
    all: bool,
    quota: bool,
) -> Vec<LeaseRow> {
    let r = &router.inner;
    let now = r.now_ms();
    py.detach(|| rows(table(r, quota).take_returns(now, idle_ms, all)))
}

fn rows(v: Vec<(compact_str::CompactString, LeaseRequest)>) -> Vec<LeaseRow> {
    v.into_iter()
        .map(|(t, q)| {
            (
                t.to_string(),
                q.limits.capacity,
                q.limits.window_ms,
                q.want,
                q.give,
            )
        })
        .collect()
}

/// Install a grant from the store (`need` as asked; limits granted nothing go dry for `wait_ms`).
#[pyfunction]
#[pyo3(signature = (router, tenant, capacity, window_ms, need, granted, wait_ms, quota=false))]
#[allow(clippy::too_many_arguments)] // one flat call per grant, from the background thread
fn _lease_install(
    router: &PyRouter,
    tenant: &str,
    capacity: F3,
    window_ms: F3,
    need: F3,
    granted: F3,
    wait_ms: F3,
    quota: bool,
) {
    let r = &router.inner;
    let req = LeaseRequest {
        limits: Limits {
            capacity,
            window_ms,
        },
        need,
        ..Default::default()
    };
    table(r, quota).install(tenant, &req, &Grant { granted, wait_ms }, r.now_ms());
}

/// Put back allowance that could not be handed to the store (`give` from `_lease_returns`).
#[pyfunction]
#[pyo3(signature = (router, tenant, capacity, window_ms, give, quota=false))]
fn _lease_restore(
    router: &PyRouter,
    tenant: &str,
    capacity: F3,
    window_ms: F3,
    give: F3,
    quota: bool,
) {
    let r = &router.inner;
    let limits = Limits {
        capacity,
        window_ms,
    };
    let deltas = give.map(|g| -g);
    table(r, quota).adjust(tenant, limits, deltas, r.now_ms());
}

/// Counters of the lease path (synchronous fetches, unreachable store, local refusals) and
/// the current mode.
#[pyfunction]
fn _state_counters<'py>(py: Python<'py>, router: &PyRouter) -> PyResult<Bound<'py, PyDict>> {
    use std::sync::atomic::Ordering::Relaxed;
    let b = router.inner.budgets();
    let c = &b.leases.counters;
    let d = PyDict::new(py);
    d.set_item("mode", b.mode().as_str())?;
    d.set_item("sync_fetches", c.sync_fetches.load(Relaxed))?;
    d.set_item("unreachable", c.unreachable.load(Relaxed))?;
    d.set_item("refused_locally", c.refused_locally.load(Relaxed))?;
    d.set_item("leased_tenants", b.leases.tenants())?;
    let q = &b.quota_leases.counters;
    d.set_item("quota_sync_fetches", q.sync_fetches.load(Relaxed))?;
    d.set_item("quota_refused_locally", q.refused_locally.load(Relaxed))?;
    d.set_item("leased_models", b.quota_leases.tenants())?;
    Ok(d)
}

type HealthRow = (
    String,
    &'static str,
    u32,
    u32,
    Option<f64>,
    Option<f64>,
    f64,
    u32,
);

/// Every model's breaker and own statistics for publishing: (model, state, open_remaining_ms,
/// opened_total, ttft_ewma_ms, ttft_p95_ms, error_rate, requests_in_window). Own samples
/// only: the fleet prior is never re-published (it would echo between replicas).
#[pyfunction]
fn _health_sync(py: Python<'_>, router: &PyRouter) -> PyResult<Vec<HealthRow>> {
    let r = &router.inner;
    let now = r.now_ms();
    let mut out = Vec::new();
    for name in r.policy().model_names() {
        let h = r.health(&name).map_err(|e| to_py(py, e))?;
        out.push((
            name,
            h.state.as_str(),
            h.open_until_ms.saturating_sub(now),
            h.opened_total,
            h.ttft_ewma_ms,
            h.ttft_p95_ms,
            h.error_rate,
            h.requests_in_window,
        ));
    }
    Ok(out)
}

/// Open `model`'s breaker for `for_ms` (another replica saw it fail).
#[pyfunction]
fn _force_open(py: Python<'_>, router: &PyRouter, model: &str, for_ms: u32) -> PyResult<()> {
    router
        .inner
        .force_open(model, for_ms)
        .map_err(|e| to_py(py, e))
}

/// Replace `model`'s fleet prior with the other replicas' merged view (`n = 0` clears it).
#[pyfunction]
#[pyo3(signature = (router, model, ttft_ms, ttft_p95_ms, error_rate, n))]
fn _health_ingest(
    py: Python<'_>,
    router: &PyRouter,
    model: &str,
    ttft_ms: Option<f64>,
    ttft_p95_ms: Option<f64>,
    error_rate: f64,
    n: u32,
) -> PyResult<()> {
    let f = Fleet {
        ttft_ms,
        ttft_p95_ms,
        error_rate,
        n,
    };
    router
        .inner
        .ingest_fleet(model, f)
        .map_err(|e| to_py(py, e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_health_ingest, m)?)?;
    m.add_function(wrap_pyfunction!(_state_attach, m)?)?;
    m.add_function(wrap_pyfunction!(_state_set_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_state_mode, m)?)?;
    m.add_function(wrap_pyfunction!(_state_counters, m)?)?;
    m.add_function(wrap_pyfunction!(_lease_wants, m)?)?;
    m.add_function(wrap_pyfunction!(_lease_returns, m)?)?;
    m.add_function(wrap_pyfunction!(_lease_install, m)?)?;
    m.add_function(wrap_pyfunction!(_lease_restore, m)?)?;
    m.add_function(wrap_pyfunction!(_health_sync, m)?)?;
    m.add_function(wrap_pyfunction!(_force_open, m)?)?;
    Ok(())
}
