//! The compiled guard and verification policies as plain Python data, for the async layer
//! (`python/routecore/enforce/`), which applies them around the provider call.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::guard_policy::GuardSet;
use crate::guards::PiiKind;
use crate::policy::Policy;

pub fn guard_dict<'py>(py: Python<'py>, p: &Policy, g: &GuardSet) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let inj = PyDict::new(py);
    inj.set_item("action", g.injection_action.as_str())?;
    inj.set_item("mode", g.injection_mode.as_str())?;
    inj.set_item("min_verdict", g.injection_min_verdict)?;
    d.set_item("injection", inj)?;
    let pii = PyDict::new(py);
    pii.set_item("action", g.pii_action.as_str())?;
    pii.set_item("mode", g.pii_mode.as_str())?;
    let types = PyDict::new(py);
    for (k, a) in PiiKind::ALL.iter().zip(g.pii_types.iter()) {
        types.set_item(k.as_str(), a.as_str())?;
    }
    pii.set_item("types", types)?;
    d.set_item("pii", pii)?;
    d.set_item(
        "escalate_model",
        g.escalate_model.map(|m| p.model(m).name.clone()),
    )?;
    Ok(d)
}

pub fn verification_dict<'py>(py: Python<'py>, p: &Policy) -> PyResult<Bound<'py, PyDict>> {
    let v = &p.verification;
    let d = PyDict::new(py);
    d.set_item("checks", v.checks.clone())?;
    d.set_item("custom", v.custom.clone())?;
    d.set_item("on_failure", v.on_failure.as_str())?;
    d.set_item("thresholds", v.thresholds.clone())?;
    d.set_item("window_s", v.window_s)?;
    d.set_item("min_samples", v.min_samples)?;
    d.set_item("probe_every", v.probe_every)?;
    let by_model = PyDict::new(py);
    for (from, to) in &v.rollback_model {
        by_model.set_item(&p.model(*from).name, &p.model(*to).name)?;
    }
    d.set_item("rollback_model", by_model)?;
    let by_tier: Vec<Option<String>> = v
        .rollback_tier
        .iter()
        .map(|m| m.map(|m| p.model(m).name.clone()))
        .collect();
    d.set_item("rollback_tier", by_tier)?;
    let caps: Vec<&str> = v
        .high_stakes_capabilities
        .iter()
        .map(|c| c.as_str())
        .collect();
    d.set_item("high_stakes_capabilities", caps)?;
    d.set_item("high_stakes_tiers", v.high_stakes_tiers.clone())?;
    d.set_item("human_escalation", v.human_escalation.clone())?;
    Ok(d)
}
