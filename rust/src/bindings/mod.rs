//! The Python module `routecore._core`: thin wrappers over the core, nothing else.

mod convert;
mod decision;
mod errors;
mod guards;
mod learning;
mod policy;
mod router;
mod state;

use pyo3::prelude::*;

use crate::config;
use crate::features::COLUMNS;

/// Estimated `o200k_base` token count of a text.
#[pyfunction]
fn estimate_tokens(text: &str) -> u32 {
    crate::tokens::estimate_text(text)
}

/// The raw counters behind `estimate_tokens` (for re-fitting its coefficients).
#[pyfunction]
fn _text_counters(text: &str) -> Vec<u32> {
    crate::text_stats::TextStats::of(text).c.to_vec()
}

/// The embedded default configuration (TOML), to copy and edit.
#[pyfunction]
fn default_config_toml() -> &'static str {
    config::DEFAULT_TOML
}

/// Validate config text; returns a list of (key path, message), empty when valid.
#[pyfunction]
#[pyo3(signature = (text, format="toml"))]
fn check_config(text: &str, format: &str) -> PyResult<Vec<(String, String)>> {
    let fmt = match format {
        "json" => config::Format::Json,
        _ => config::Format::Toml,
    };
    match errors::guard(|| config::load(text, fmt)) {
        Ok(_) => Ok(Vec::new()),
        Err(crate::Error::Config(issues)) => {
            Ok(issues.into_iter().map(|i| (i.path, i.message)).collect())
        }
        Err(e) => Ok(vec![(String::new(), e.to_string())]),
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<router::PyRouter>()?;
    m.add_class::<decision::PyDecision>()?;
    guards::register(m)?;
    state::register(m)?;
    m.add_function(wrap_pyfunction!(estimate_tokens, m)?)?;
    m.add_function(wrap_pyfunction!(default_config_toml, m)?)?;
    m.add_function(wrap_pyfunction!(check_config, m)?)?;
    m.add_function(wrap_pyfunction!(_text_counters, m)?)?;
    m.add_function(wrap_pyfunction!(learning::_hashed_features, m)?)?;
    m.add("FEATURE_COLUMNS", COLUMNS.to_vec())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
