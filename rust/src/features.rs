//! Request → feature vector. Every turn is counted; the last user turn (where the instruction
//! is) is also described on its own, because it decides what the request is for.

use memchr::{memchr_iter, memmem};

use crate::request::{Request, Role};
use crate::text_stats::{idx, Script, TextStats};
use crate::tokens;

/// Features of one request. `to_row` gives them in the order of `COLUMNS`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub input_tokens: u32,
    pub last_user_tokens: u32,
    pub last_user_chars: u32,
    pub turns: u32,
    pub user_turns: u32,
    pub assistant_turns: u32,
    pub system_tokens: u32,
    pub code_blocks: u32,
    pub code_lines: u32,
    pub inline_code: u32,
    pub math_symbols: u32,
    pub latex: u32,
    pub list_items: u32,
    pub table_rows: u32,
    pub json_braces: u32,
    pub questions: u32,
    pub urls: u32,
    pub tools: u32,
    pub tool_calls: u32,
    pub response_json: bool,
    pub max_tokens: u32,
    pub media_parts: u32,
    pub script: Option<Script>,
    pub non_ascii_share: f32,
    pub last_user_lines: u32,
    pub digit_groups: u32,
    /// Index of the last user message in `Request::messages`, if any.
    pub last_user: Option<usize>,
}

/// Column names of `Features::to_row` (the numpy matrix of `Router.features`).
pub const COLUMNS: [&str; 26] = [
    "input_tokens",
    "last_user_tokens",
    "last_user_chars",
    "turns",
    "user_turns",
    "assistant_turns",
    "system_tokens",
    "code_blocks",
    "code_lines",
    "inline_code",
    "math_symbols",
    "latex",
    "list_items",
    "table_rows",
    "json_braces",
    "questions",
    "urls",
    "tools",
    "tool_calls",
    "response_json",
    "max_tokens",
    "media_parts",
    "script",
    "non_ascii_share",
    "last_user_lines",
    "digit_groups",
];

impl Features {
    pub fn to_row(&self) -> [f32; COLUMNS.len()] {
        [
            self.input_tokens as f32,
            self.last_user_tokens as f32,
            self.last_user_chars as f32,
            self.turns as f32,
            self.user_turns as f32,
            self.assistant_turns as f32,
            self.system_tokens as f32,
            self.code_blocks as f32,
            self.code_lines as f32,
            self.inline_code as f32,
            self.math_symbols as f32,
            self.latex as f32,
            self.list_items as f32,
            self.table_rows as f32,
            self.json_braces as f32,
            self.questions as f32,
            self.urls as f32,
            self.tools as f32,
            self.tool_calls as f32,
            self.response_json as u8 as f32,
            self.max_tokens as f32,
            self.media_parts as f32,
            self.script.map_or(0.0, |s| s as u8 as f32),
            self.non_ascii_share,
            self.last_user_lines as f32,
            self.digit_groups as f32,
        ]
    }
}

/// Line-level structure of a text.
#[derive(Debug, Default, Clone, Copy)]
struct LineStats {
    lines: u32,
    code_blocks: u32,
    code_lines: u32,
    list_items: u32,
    table_rows: u32,
}

const CODE_STARTS: [&[u8]; 24] = [
    b"def ",
    b"class ",
    b"import ",
    b"from ",
    b"#include",
    b"function ",
    b"return ",
    b"public ",
    b"private ",
    b"const ",
    b"let ",
    b"var ",
    b"fn ",
    b"select ",
    b"SELECT ",
    b"for (",
    b"if (",
    b"while (",
    b"print(",
    b"console.",
    b"struct ",
    b"package ",
    b"#!/",
    b"<?php",
];

fn line_stats(text: &str) -> LineStats {
    let b = text.as_bytes();
    let mut s = LineStats::default();
    let mut in_fence = false;
    let mut start = 0usize;
    let mut handle = |line: &[u8], s: &mut LineStats| {
        s.lines += 1;
        let t = trim_start(line);
        if t.starts_with(b"```") || t.starts_with(b"~~~") {
            if !in_fence {
                s.code_blocks += 1;
            }
            in_fence = !in_fence;
            return;
        }
        if in_fence {
            s.code_lines += 1;
            return;
        }
        let t_end = trim_end(t);
        if t_end.is_empty() {
            return;
        }
        if is_list_item(t_end) {
            s.list_items += 1;
        } else if t_end[0] == b'|' && t_end.len() > 2 && t_end[1..].contains(&b'|') {
            s.table_rows += 1;
        } else if CODE_STARTS.iter().any(|p| t_end.starts_with(p))
            || matches!(t_end[t_end.len() - 1], b';' | b'{' | b'}')
            || (line.len() - t.len() >= 4 && t_end.iter().any(|c| matches!(c, b'(' | b'=' | b'[')))
        {
            s.code_lines += 1;
        }
    };
    for nl in memchr_iter(b'\n', b) {
        handle(&b[start..nl], &mut s);
        start = nl + 1;
    }
    if start < b.len() {
        handle(&b[start..], &mut s);
    }
    s
}

fn trim_start(l: &[u8]) -> &[u8] {
    let n = l.iter().take_while(|c| **c == b' ' || **c == b'\t').count();
    &l[n..]
}

fn trim_end(l: &[u8]) -> &[u8] {
    let n = l
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_whitespace())
        .count();
    &l[..l.len() - n]
}

fn is_list_item(t: &[u8]) -> bool {
    if t.len() >= 2 && matches!(t[0], b'-' | b'*' | b'+') && t[1] == b' ' {
        return true;
    }
    if t.starts_with("•".as_bytes()) {
        return true;
    }
    let digits = t.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0
        && digits <= 3
        && t.len() > digits + 1
        && matches!(t[digits], b'.' | b')')
        && t[digits + 1] == b' '
}

fn count_latex(text: &str) -> u32 {
    const CMDS: [&str; 8] = [
        "\\frac", "\\sum", "\\int", "\\sqrt", "\\cdot", "\\begin{", "\\alpha", "\\lim",
    ];
    if !text.contains('\\') {
        return 0;
    }
    CMDS.iter()
        .map(|c| memmem::find_iter(text.as_bytes(), c).count() as u32)
        .sum()
}

/// A searcher built once: `memmem::find_iter` would build one per call, which cost more than
/// the search on short prompts.
fn url_finder() -> &'static memmem::Finder<'static> {
    static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memmem::Finder::new(b"://"));
    &FINDER
}

/// Extract the features of a request. Linear in the total text length.
pub fn extract(req: &Request<'_>) -> Features {
    let mut f = Features {
        turns: req.messages.len() as u32,
        tools: req.tools,
        ..Default::default()
    };
    f.last_user = req
        .messages
        .iter()
        .rposition(|m| m.role == Some(Role::User));
    let mut total_tokens = 0.0f32;
    let mut total_chars = 0u32;
    let mut non_ascii = 0u32;
    let mut script_stats = TextStats::default();
    for (i, m) in req.messages.iter().enumerate() {
        let mut st = TextStats::default();
        for p in &m.parts {
            st.add(p);
        }
        let t = tokens::estimate(&st);
        total_tokens += t + tokens::PER_MESSAGE + m.media_parts as f32 * tokens::PER_MEDIA_PART;
        total_chars += st.chars;
        non_ascii += st.chars - count_ascii(&st);
        f.media_parts += m.media_parts;
        f.tool_calls += m.tool_calls;
        match m.role {
            Some(Role::User) => f.user_turns += 1,
            Some(Role::Assistant) => f.assistant_turns += 1,
            Some(Role::System) => f.system_tokens += t as u32,
            _ => {}
        }
        let is_last_user = f.last_user == Some(i);
        if is_last_user || m.role == Some(Role::User) {
            for p in &m.parts {
                let ls = line_stats(p);
                f.code_blocks += ls.code_blocks;
                f.code_lines += ls.code_lines;
                f.list_items += ls.list_items;
                f.table_rows += ls.table_rows;
                if is_last_user {
                    f.last_user_lines += ls.lines;
                    f.latex += count_latex(p);
                    f.urls += url_finder().find_iter(p.as_bytes()).count() as u32;
                }
            }
            if is_last_user {
                f.last_user_tokens = t.round() as u32;
                f.last_user_chars = st.chars;
                f.questions = st.qmarks;
                f.inline_code = st.backticks / 2;
                f.math_symbols = st.math_ops + st.dollars / 2;
                f.json_braces = st.braces;
                f.digit_groups = st.c[idx::DIGIT_GROUPS];
            }
        }
        if m.role != Some(Role::Assistant) {
            add_counts(&mut script_stats, &st);
        }
    }
    total_tokens +=
        req.tool_schema_chars as f32 * tokens::PER_TOOL_SCHEMA_CHAR + req.tools as f32 * 8.0;
    f.input_tokens = if total_chars == 0 && req.tools == 0 && f.media_parts == 0 {
        0
    } else {
        total_tokens.round() as u32 + 3
    };
    f.response_json = req.response_format.is_json();
    f.max_tokens = req.max_tokens.unwrap_or(0);
    f.non_ascii_share = if total_chars == 0 {
        0.0
    } else {
        non_ascii as f32 / total_chars as f32
    };
    let script = script_stats.script();
    f.script = if script == Script::Unknown {
        None
    } else {
        Some(script)
    };
    f
}

fn count_ascii(st: &TextStats) -> u32 {
    let non: u32 = (idx::LATIN_EXT..=idx::OTHER).map(|i| st.c[i]).sum();
    st.chars.saturating_sub(non)
}

fn add_counts(acc: &mut TextStats, st: &TextStats) {
    for (a, b) in acc.c.iter_mut().zip(st.c.iter()) {
        *a += b;
    }
    acc.devanagari += st.devanagari;
    acc.hebrew += st.hebrew;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Message;

    #[test]
    fn code_block_and_lines() {
        let text = "Fix this:\n```python\ndef f(x):\n    return x+1\n```\n";
        let f = extract(&Request::from_text(text));
        assert_eq!(f.code_blocks, 1);
        assert_eq!(f.code_lines, 2);
        assert_eq!(f.last_user_lines, 5);
    }

    #[test]
    fn lists_tables_questions() {
        let text = "Compare:\n- a\n- b\n1. one\n| x | y |\n|---|---|\nWhy? How?";
        let f = extract(&Request::from_text(text));
        assert_eq!(f.list_items, 3);
        assert_eq!(f.table_rows, 2);
        assert_eq!(f.questions, 2);
    }

    #[test]
    fn last_user_turn_is_described() {
        let req = Request {
            messages: vec![
                Message::new(Role::System, "You are helpful."),
                Message::user("first question?"),
                Message::new(Role::Assistant, "answer"),
                Message::user("thanks"),
            ],
            ..Default::default()
        };
        let f = extract(&req);
        assert_eq!(f.turns, 4);
        assert_eq!(f.user_turns, 2);
        assert_eq!(f.last_user, Some(3));
        assert_eq!(f.questions, 0);
        assert!(f.input_tokens > f.last_user_tokens);
    }

    #[test]
    fn latex_and_math() {
        let f = extract(&Request::from_text("Compute $\\frac{1}{2} + x^2 = 3$"));
        assert_eq!(f.latex, 1);
        assert!(f.math_symbols >= 3);
    }

    #[test]
    fn empty_request_has_zero_tokens() {
        let f = extract(&Request::default());
        assert_eq!(f.input_tokens, 0);
        assert_eq!(f.last_user, None);
    }
}
