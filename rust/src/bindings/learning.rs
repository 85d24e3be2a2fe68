//! Training support: the learned models' feature vectors, computed by the very code the router
//! runs (`classify::hashing`), so Python training and Rust inference cannot drift.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use rayon::prelude::*;

use super::convert::{collect, Options};
use super::errors::{guard, to_py};
use crate::classify::hashing;
use crate::error::Error;
use crate::features;

/// Hashed feature vectors of a batch of requests (each a string or OpenAI-format messages), as
/// CSR bytes: `(indptr u64[n+1], indices u32[nnz], values f32[nnz])`, native endian. Indices
/// below `2**16` are hashed buckets, the next 24 dense structural features.
#[pyfunction]
pub fn _hashed_features<'py>(
    py: Python<'py>,
    batch: &Bound<'py, PyAny>,
) -> PyResult<(
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
)> {
    let opts = Options::default();
    let list = batch
        .cast::<PyList>()
        .map_err(|_| to_py(py, Error::invalid("batch", "expected a list of requests")))?;
    let collected = list
        .iter()
        .map(|m| collect(&m, &opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| to_py(py, e))?;
    let reqs = collected
        .iter()
        .map(|c| c.request(&opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| to_py(py, e))?;
    let rows = py
        .detach(|| {
            guard(|| {
                Ok(reqs
                    .par_iter()
                    .map(|r| hashing::sparse(r, &features::extract(r)))
                    .collect::<Vec<_>>())
            })
        })
        .map_err(|e| to_py(py, e))?;
    let nnz: usize = rows.iter().map(|r| r.len()).sum();
    let mut indptr = Vec::with_capacity((rows.len() + 1) * 8);
    let mut indices = Vec::with_capacity(nnz * 4);
    let mut values = Vec::with_capacity(nnz * 4);
    let mut at = 0u64;
    indptr.extend_from_slice(&at.to_ne_bytes());
    for r in &rows {
        for (i, v) in r {
            indices.extend_from_slice(&i.to_ne_bytes());
            values.extend_from_slice(&v.to_ne_bytes());
        }
        at += r.len() as u64;
        indptr.extend_from_slice(&at.to_ne_bytes());
    }
    Ok((
        PyBytes::new(py, &indptr),
        PyBytes::new(py, &indices),
        PyBytes::new(py, &values),
    ))
}
