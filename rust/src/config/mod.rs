//! Loading: text (TOML or JSON) → `RawConfig` → validated, compiled `Policy`.
//!
//! Every problem is reported with its key path: unknown keys (all of them, via `serde_ignored`),
//! the first type error (serde stops there), then every semantic error `compile` finds.

mod compile;
pub mod raw;
mod raw_guards;

use crate::error::{ConfigIssue, Error, Result};
use crate::policy::Policy;
use raw::RawConfig;

/// The embedded default: a voice-agent deployment, T0 triage (<50 ms) … T3 expert (≤1000 ms).
pub const DEFAULT_TOML: &str = include_str!("default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

pub fn load(text: &str, format: Format) -> Result<Policy> {
    let mut unknown: Vec<ConfigIssue> = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    let parsed: std::result::Result<RawConfig, String> = match format {
        Format::Toml => {
            let de = toml::Deserializer::new(text);
            let de = serde_path_to_error::Deserializer::new(de, &mut track);
            serde_ignored::deserialize(de, |p| unknown.push(unknown_key(&p.to_string())))
                .map_err(|e| e.message().trim().to_string())
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let de = serde_path_to_error::Deserializer::new(&mut de, &mut track);
            serde_ignored::deserialize(de, |p| unknown.push(unknown_key(&p.to_string())))
                .map_err(|e| e.to_string())
        }
    };
    match parsed {
        Err(msg) => {
            let path = track.path().to_string();
            let path = if path == "?" || path == "." {
                String::new()
            } else {
                path
            };
            unknown.push(ConfigIssue { path, message: msg });
            Err(Error::Config(unknown))
        }
        Ok(raw) => compile::compile(raw, unknown),
    }
}

fn unknown_key(path: &str) -> ConfigIssue {
    ConfigIssue {
        path: path.to_string(),
        message: "unknown key".into(),
    }
}

pub fn default_policy() -> Policy {
    load(DEFAULT_TOML, Format::Toml).expect("the embedded default config is valid")
}

#[cfg(test)]
mod tests;
