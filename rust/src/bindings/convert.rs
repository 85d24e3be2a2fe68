//! Python → core request, in two steps: `collect` walks the Python objects (holding a strong
//! reference to every string, so the text stays alive even when the GIL is released for a
//! batch), then `Collected::request` borrows `&str`s from them without copying.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::error::Error;
use crate::request::{Message, Request, ResponseFormat, Role};

/// Keyword arguments shared by `route`, `route_batch` and `features`.
#[derive(Default)]
pub struct Options<'py> {
    pub tenant: Option<Bound<'py, PyString>>,
    pub user_tier: Option<Bound<'py, PyString>>,
    pub model: Option<Bound<'py, PyString>>,
    pub tools: Option<Bound<'py, PyAny>>,
    pub response_format: Option<Bound<'py, PyAny>>,
    pub max_tokens: Option<u32>,
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
    pub deadline_ms: Option<f64>,
    pub max_cost_usd: Option<f64>,
}

enum Text<'py> {
    Str(Bound<'py, PyString>),
    Bytes(Bound<'py, PyBytes>),
}

struct Shape {
    role: Role,
    parts: std::ops::Range<usize>,
    media: u32,
    tool_calls: u32,
}

pub struct Collected<'py> {
    texts: Vec<(Text<'py>, usize, usize)>, // (text, message index, part index or usize::MAX)
    shapes: Vec<Shape>,
    tools: u32,
    tool_chars: u32,
    response_format: ResponseFormat,
}

fn bad(path: String, msg: impl Into<String>) -> Error {
    Error::InvalidRequest {
        path,
        message: msg.into(),
    }
}

const MAX_DEPTH: usize = 32;

pub fn collect<'py>(
    messages: &Bound<'py, PyAny>,
    opts: &Options<'py>,
) -> Result<Collected<'py>, Error> {
    let mut c = Collected {
        texts: Vec::new(),
        shapes: Vec::new(),
        tools: 0,
        tool_chars: 0,
        response_format: ResponseFormat::Unspecified,
    };
    if let Ok(s) = messages.cast::<PyString>() {
        c.texts.push((Text::Str(s.clone()), 0, usize::MAX));
        c.shapes.push(Shape {
            role: Role::User,
            parts: 0..1,
            media: 0,
            tool_calls: 0,
        });
    } else if let Ok(list) = messages.cast::<PyList>() {
        c.shapes.reserve(list.len());
        for (i, item) in list.iter().enumerate() {
            collect_message(&mut c, &item, i)?;
        }
    } else if let Ok(tuple) = messages.cast::<PyTuple>() {
        for (i, item) in tuple.iter().enumerate() {
            collect_message(&mut c, &item, i)?;
        }
    } else {
        return Err(bad(
            "messages".into(),
            format!(
                "expected a string or a list of message dicts, got {}",
                type_name(messages)
            ),
        ));
    }
    if let Some(tools) = &opts.tools {
        if !tools.is_none() {
            let list = tools
                .cast::<PyList>()
                .map_err(|_| bad("tools".into(), "expected a list of tool definitions"))?;
            c.tools = list.len() as u32;
            let mut chars = 0u64;
            for (i, t) in list.iter().enumerate() {
                count_chars(&t, &format!("tools[{i}]"), 0, &mut chars)?;
            }
            c.tool_chars = chars.min(u32::MAX as u64) as u32;
        }
    }
    if let Some(rf) = &opts.response_format {
        c.response_format = response_format(rf)?;
    }
    Ok(c)
}

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn collect_message<'py>(
    c: &mut Collected<'py>,
    item: &Bound<'py, PyAny>,
    i: usize,
) -> Result<(), Error> {
    let d = item.cast::<PyDict>().map_err(|_| {
        bad(
            format!("messages[{i}]"),
            format!(
                "expected a dict with \"role\" and \"content\", got {}",
                type_name(item)
            ),
        )
    })?;
    let role_obj = get(d, intern!(d.py(), "role"))
        .ok_or_else(|| bad(format!("messages[{i}].role"), "missing"))?;
    let role_s = role_obj
        .cast::<PyString>()
        .map_err(|_| bad(format!("messages[{i}].role"), "must be a string"))?;
    let role_str = role_s
        .to_str()
        .map_err(|_| bad(format!("messages[{i}].role"), "is not valid Unicode"))?;
    let role = Role::parse(role_str).ok_or_else(|| {
        bad(
            format!("messages[{i}].role"),
            format!(
                "unknown role {role_str:?}; expected system, developer, user, assistant or tool"
            ),
        )
    })?;
    let start = c.texts.len();
    let mut media = 0u32;
    match get(d, intern!(d.py(), "content")) {
        None => {}
        Some(content) if content.is_none() && (role == Role::User || role == Role::System) => {
            return Err(bad(
                format!("messages[{i}].content"),
                "must not be null for user and system messages",
            ));
        }
        Some(content) if content.is_none() => {}
        Some(content) => {
            if let Ok(s) = content.cast::<PyString>() {
                c.texts.push((Text::Str(s.clone()), i, usize::MAX));
            } else if let Ok(b) = content.cast::<PyBytes>() {
                c.texts.push((Text::Bytes(b.clone()), i, usize::MAX));
            } else if let Ok(parts) = content.cast::<PyList>() {
                for (j, part) in parts.iter().enumerate() {
                    collect_part(c, &part, i, j, &mut media)?;
                }
            } else {
                return Err(bad(
                    format!("messages[{i}].content"),
                    format!(
                        "expected a string or a list of content parts, got {}",
                        type_name(&content)
                    ),
                ));
            }
        }
    }
    let tool_calls = match get(d, intern!(d.py(), "tool_calls")) {
        Some(tc) if !tc.is_none() => tc
            .cast::<PyList>()
            .map_err(|_| bad(format!("messages[{i}].tool_calls"), "expected a list"))?
            .len() as u32,
        _ => 0,
    };
    c.shapes.push(Shape {
        role,
        parts: start..c.texts.len(),
        media,
        tool_calls,
    });
    Ok(())
}

fn collect_part<'py>(
    c: &mut Collected<'py>,
    part: &Bound<'py, PyAny>,
    i: usize,
    j: usize,
    media: &mut u32,
) -> Result<(), Error> {
    if let Ok(s) = part.cast::<PyString>() {
        c.texts.push((Text::Str(s.clone()), i, j));
        return Ok(());
    }
    let path = format!("messages[{i}].content[{j}]");
    let d = part.cast::<PyDict>().map_err(|_| {
        bad(
            path.clone(),
            format!("expected a content part dict, got {}", type_name(part)),
        )
    })?;
    let kind =
        get(d, intern!(d.py(), "type")).ok_or_else(|| bad(format!("{path}.type"), "missing"))?;
    let kind = kind
        .cast::<PyString>()
        .map_err(|_| bad(format!("{path}.type"), "must be a string"))?
        .to_str()
        .unwrap_or("");
    if kind == "text" || kind == "input_text" {
        let t = get(d, intern!(d.py(), "text"))
            .ok_or_else(|| bad(format!("{path}.text"), "missing"))?;
        let s = t.cast::<PyString>().map_err(|_| {
            bad(
                format!("{path}.text"),
                format!("must be a string, got {}", type_name(&t)),
            )
        })?;
        c.texts.push((Text::Str(s.clone()), i, j));
    } else {
        // image_url, input_audio, file, …: tokens without text.
        *media += 1;
    }
    Ok(())
}

/// `d[key]`, with `key` interned by the caller (`intern!`): a fresh key string would be hashed
/// on every lookup, a measurable share of a short prompt's route.
fn get<'py>(d: &Bound<'py, PyDict>, key: &Bound<'py, PyString>) -> Option<Bound<'py, PyAny>> {
    d.get_item(key).ok().flatten()
}

fn count_chars(o: &Bound<'_, PyAny>, path: &str, depth: usize, acc: &mut u64) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(bad(
            path.to_string(),
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    if let Ok(s) = o.cast::<PyString>() {
        *acc += s.to_str().map(|s| s.len() as u64).unwrap_or(0);
    } else if let Ok(d) = o.cast::<PyDict>() {
        for (k, v) in d.iter() {
            if let Ok(ks) = k.cast::<PyString>() {
                *acc += ks.to_str().map(|s| s.len() as u64 + 3).unwrap_or(0);
            }
            count_chars(&v, path, depth + 1, acc)?;
        }
    } else if let Ok(l) = o.cast::<PyList>() {
        for v in l.iter() {
            count_chars(&v, path, depth + 1, acc)?;
        }
    } else {
        *acc += 4; // numbers, booleans, null
    }
    Ok(())
}

fn response_format(rf: &Bound<'_, PyAny>) -> Result<ResponseFormat, Error> {
    if rf.is_none() {
        return Ok(ResponseFormat::Unspecified);
    }
    let kind = if let Ok(d) = rf.cast::<PyDict>() {
        get(d, intern!(d.py(), "type"))
            .ok_or_else(|| bad("response_format.type".into(), "missing"))?
    } else {
        rf.clone()
    };
    let s = kind.cast::<PyString>().map_err(|_| {
        bad(
            "response_format".into(),
            "expected {\"type\": ...} or a string",
        )
    })?;
    let s = s.to_str().unwrap_or("");
    ResponseFormat::parse(s).ok_or_else(|| {
        bad(
            "response_format.type".into(),
            format!("unknown type {s:?}; expected text, json_object or json_schema"),
        )
    })
}

fn opt_str<'a>(s: &'a Option<Bound<'_, PyString>>, path: &str) -> Result<Option<&'a str>, Error> {
    match s {
        None => Ok(None),
        Some(s) => s
            .to_str()
            .map(Some)
            .map_err(|_| bad(path.to_string(), "is not valid Unicode")),
    }
}

impl<'py> Collected<'py> {
    /// Borrow the collected texts into a core request.
    pub fn request<'a>(&'a self, opts: &'a Options<'py>) -> Result<Request<'a>, Error> {
        let mut strs: Vec<&'a str> = Vec::with_capacity(self.texts.len());
        for (t, i, j) in &self.texts {
            let path = || {
                if *j == usize::MAX {
                    format!("messages[{i}].content")
                } else {
                    format!("messages[{i}].content[{j}]")
                }
            };
            strs.push(match t {
                Text::Str(s) => s
                    .to_str()
                    .map_err(|_| bad(path(), "contains a lone surrogate (not valid Unicode)"))?,
                Text::Bytes(b) => std::str::from_utf8(b.as_bytes())
                    .map_err(|e| bad(path(), format!("bytes are not valid UTF-8 ({e})")))?,
            });
        }
        let messages = self
            .shapes
            .iter()
            .map(|s| Message {
                role: Some(s.role),
                parts: strs[s.parts.clone()].to_vec(),
                media_parts: s.media,
                tool_calls: s.tool_calls,
            })
            .collect();
        Ok(Request {
            messages,
            tools: self.tools,
            tool_schema_chars: self.tool_chars,
            response_format: self.response_format,
            max_tokens: opts.max_tokens,
            tenant: opt_str(&opts.tenant, "tenant")?,
            user_tier: opt_str(&opts.user_tier, "user_tier")?,
            model: opt_str(&opts.model, "model")?,
            min_tier: opts.min_tier,
            max_tier: opts.max_tier,
            deadline_ms: opts.deadline_ms,
            max_cost_usd: opts.max_cost_usd,
        })
    }
}
