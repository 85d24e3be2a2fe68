//! Semantic validation and compilation of a parsed config. Collects every issue rather than
//! stopping at the first, so `routecore config check` can list them all. One file per part of
//! the config: `models` (models and tiers), `rules` (capabilities, scoring, tenants, user
//! tiers), `runtime` (routing, resilience, state, bandit) and `guards` (guards, verification).

use std::collections::HashMap;

mod guards;
mod models;
mod rules;
mod runtime;

use super::raw::RawConfig;
use crate::error::{ConfigIssue, Error, Result};
use crate::policy::*;

struct Issues(Vec<ConfigIssue>);

impl Issues {
    fn add(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.0.push(ConfigIssue {
            path: path.into(),
            message: msg.into(),
        });
    }
    fn non_negative(&mut self, path: impl Into<String>, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            self.add(path, format!("must be a finite number >= 0 (got {v})"));
        }
    }
    fn positive(&mut self, path: impl Into<String>, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            self.add(path, format!("must be a finite number > 0 (got {v})"));
        }
    }
    fn unit(&mut self, path: impl Into<String>, v: f64) {
        if !(0.0..=1.0).contains(&v) {
            self.add(path, format!("must be between 0 and 1 (got {v})"));
        }
    }
    /// An optional tier index must name an existing tier.
    fn tier(&mut self, path: impl Into<String>, t: Option<u8>, max_tier: u8) {
        if let Some(t) = t.filter(|&t| t > max_tier) {
            self.add(
                path,
                format!("tier {t} does not exist (tiers go from 0 to {max_tier})"),
            );
        }
    }
}

/// Model names as written anywhere in the config, resolved to ids; an unknown name is an issue.
struct ModelNames<'a>(&'a HashMap<String, ModelId>);

impl ModelNames<'_> {
    fn model(&self, is: &mut Issues, path: String, name: &str) -> Option<ModelId> {
        let id = self.0.get(name).copied();
        if id.is_none() {
            is.add(
                path,
                format!("unknown model {name:?} (not defined under [models])"),
            );
        }
        id
    }

    /// A list of model names (`path[j]` for each), the unknown ones left out.
    fn all(&self, is: &mut Issues, path: &str, names: &[String]) -> Vec<ModelId> {
        names
            .iter()
            .enumerate()
            .filter_map(|(j, m)| self.model(is, format!("{path}[{j}]"), m))
            .collect()
    }
}

pub fn compile(raw: RawConfig, unknown: Vec<ConfigIssue>) -> Result<Policy> {
    let mut is = Issues(unknown);
    let mut raw = raw;
    if raw.version != 1 {
        is.add(
            "version",
            format!(
                "unsupported config version {} (this routecore reads version 1)",
                raw.version
            ),
        );
    }
    let (mut models, model_index) = models::compile_models(&mut is, &mut raw.models);
    let names = ModelNames(&model_index);
    let tiers = models::compile_tiers(&mut is, &mut raw.tiers, &mut models, &names);
    let n_tiers = raw.tiers.len();
    let max_tier = n_tiers.saturating_sub(1) as u8;
    let capabilities = rules::capabilities(&mut is, &raw.capabilities, max_tier, &names);
    let scoring = rules::scoring(&mut is, &raw.scoring, n_tiers);
    let (tenants, default_tenant) = rules::tenants(&mut is, &raw.tenants, max_tier, &names);
    let user_tiers = rules::user_tiers(&mut is, &raw.user_tiers, max_tier);
    let routing = runtime::routing(&mut is, &raw.routing);
    runtime::check_resilience(&mut is, &raw.resilience, &names);
    runtime::check_state(&mut is, &raw.state);
    let guards = guards::compile_guards(&mut is, &raw, &names);
    let verification = guards::compile_verification(&mut is, &raw.verification, &raw, &names);
    runtime::check_bandit(&mut is, &raw.bandit);

    if !is.0.is_empty() {
        return Err(Error::Config(is.0));
    }
    Ok(Policy {
        models,
        model_index,
        tiers,
        capabilities,
        scoring,
        tenants,
        default_tenant,
        user_tiers,
        routing,
        resilience: raw.resilience.clone(),
        guards,
        verification,
        normalized: raw,
    })
}
