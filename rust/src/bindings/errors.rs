//! The one place where core errors become Python exceptions (classes in `routecore.errors`).

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::Error;

pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    match build(py, &e) {
        Ok(err) => err,
        // routecore.errors could not be imported: still raise something readable.
        Err(_) => PyRuntimeError::new_err(e.to_string()),
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let module = py.import("routecore.errors")?;
    let kw = PyDict::new(py);
    let class = match e {
        Error::Config(issues) => {
            let list: Vec<(String, String)> = issues
                .iter()
                .map(|i| (i.path.clone(), i.message.clone()))
                .collect();
            kw.set_item("errors", list)?;
            "ConfigError"
        }
        Error::InvalidRequest { path, .. } => {
            kw.set_item("path", path)?;
            "InvalidRequestError"
        }
        Error::TooLarge { size, limit } => {
            kw.set_item("size", size)?;
            kw.set_item("limit", limit)?;
            "RequestTooLargeError"
        }
        Error::UnknownModel { model, .. } => {
            kw.set_item("model", model)?;
            "UnknownModelError"
        }
        Error::ModelNotAllowed { model, tenant } => {
            kw.set_item("model", model)?;
            kw.set_item("tenant", tenant)?;
            "ModelNotAllowedError"
        }
        Error::BudgetExceeded {
            tenant,
            limit,
            limit_value,
            window_s,
            retry_after_s,
        } => {
            kw.set_item("tenant", tenant)?;
            kw.set_item("limit", limit.as_str())?;
            kw.set_item("limit_value", limit_value)?;
            kw.set_item("window_s", window_s)?;
            kw.set_item("retry_after_s", retry_after_s)?;
            "BudgetExceeded"
        }
        Error::NoModelAvailable { .. } => "NoModelAvailableError",
        Error::StateUnavailable { .. } => "StateUnavailableError",
        Error::Internal(_) => "InternalError",
    };
    let exc = module.getattr(class)?.call((e.to_string(),), Some(&kw))?;
    Ok(PyErr::from_value(exc))
}

/// Run core code, turning a panic into `InternalError` instead of aborting the host process.
pub fn guard<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            Err(Error::Internal(msg))
        }
    }
}
