//! The one error type of the core. The bindings map each variant to one documented Python
//! exception (see `python/routecore/errors.py`); nothing else in the crate invents errors.

use std::fmt;

/// One problem found in a configuration, located by its key path (`tiers[2].models[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Which budget refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BudgetLimit {
    RequestsPerMin,
    TokensPerMin,
    UsdPerWindow,
}

impl BudgetLimit {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetLimit::RequestsPerMin => "requests_per_min",
            BudgetLimit::TokensPerMin => "tokens_per_min",
            BudgetLimit::UsdPerWindow => "usd_per_window",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The configuration is invalid; every issue found is listed.
    Config(Vec<ConfigIssue>),
    /// The request itself is malformed (`path` locates the offending field).
    InvalidRequest { path: String, message: String },
    /// The request's text exceeds `routing.max_input_bytes`.
    TooLarge { size: u64, limit: u64 },
    /// A pinned model, tier alias or user tier that the config does not know.
    UnknownModel { model: String, known: Vec<String> },
    /// The tenant may not use the model it pinned.
    ModelNotAllowed { model: String, tenant: String },
    /// A tenant budget refused the request.
    BudgetExceeded {
        tenant: String,
        limit: BudgetLimit,
        /// The configured limit for that window.
        limit_value: f64,
        window_s: f64,
        /// Seconds until enough has refilled for this request.
        retry_after_s: f64,
    },
    /// Every candidate was filtered out (context window, cost cap, deadline, model quotas).
    NoModelAvailable { message: String },
    /// The shared state store (`[state]`, e.g. Redis) is unreachable and `mode = "fail_closed"`:
    /// budgets cannot be enforced across replicas, so budgeted requests are refused.
    StateUnavailable { message: String },
    /// A bug: a panic caught at the boundary, or an invariant that failed.
    Internal(String),
}

impl Error {
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(issues) => {
                write!(f, "invalid config ({} error{})", issues.len(), if issues.len() == 1 { "" } else { "s" })?;
                for i in issues {
                    write!(f, "\n  - {i}")?;
                }
                Ok(())
            }
            Error::InvalidRequest { path, message } if path.is_empty() => write!(f, "{message}"),
            Error::InvalidRequest { path, message } => write!(f, "{path}: {message}"),
            Error::TooLarge { size, limit } => write!(
                f,
                "request text is {size} bytes, over the {limit}-byte limit (routing.max_input_bytes); shorten it or raise the limit"
            ),
            Error::UnknownModel { model, known } => {
                write!(f, "unknown model {model:?}; use \"auto\", a tier alias (routecore/t0..routecore/t3) or one of: {}", known.join(", "))
            }
            Error::ModelNotAllowed { model, tenant } => {
                write!(f, "tenant {tenant:?} is not allowed to use model {model:?}")
            }
            Error::BudgetExceeded { tenant, limit, limit_value, window_s, retry_after_s } => write!(
                f,
                "budget exceeded for tenant {tenant:?}: {} limit {limit_value} per {window_s}s; retry after {retry_after_s:.2}s",
                limit.as_str()
            ),
            Error::NoModelAvailable { message } => write!(f, "no model available: {message}"),
            Error::StateUnavailable { message } => write!(f, "shared state unavailable: {message}"),
            Error::Internal(m) => write!(f, "internal error in routecore (please report): {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
