//! The core's view of one chat request: borrowed text slices, so the bindings can hand over
//! Python strings without copying them.

/// Chat roles of the OpenAI format (`developer` is the newer name for `system`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            "system" | "developer" => Role::System,
            "tool" | "function" => Role::Tool,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Message<'a> {
    pub role: Option<Role>,
    /// Text parts in order (a plain string content is one part).
    pub parts: Vec<&'a str>,
    /// Non-text parts (images, audio, files): they cost tokens but carry no text.
    pub media_parts: u32,
    /// Tool calls made by an assistant turn.
    pub tool_calls: u32,
}

impl<'a> Message<'a> {
    pub fn user(text: &'a str) -> Self {
        Message {
            role: Some(Role::User),
            parts: vec![text],
            ..Default::default()
        }
    }
    pub fn new(role: Role, text: &'a str) -> Self {
        Message {
            role: Some(role),
            parts: vec![text],
            ..Default::default()
        }
    }
    pub fn byte_len(&self) -> usize {
        self.parts.iter().map(|p| p.len()).sum()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    #[default]
    Unspecified,
    Text,
    JsonObject,
    JsonSchema,
}

impl ResponseFormat {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "text" => ResponseFormat::Text,
            "json_object" => ResponseFormat::JsonObject,
            "json_schema" => ResponseFormat::JsonSchema,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseFormat::Unspecified => "unspecified",
            ResponseFormat::Text => "text",
            ResponseFormat::JsonObject => "json_object",
            ResponseFormat::JsonSchema => "json_schema",
        }
    }
    pub fn is_json(self) -> bool {
        matches!(
            self,
            ResponseFormat::JsonObject | ResponseFormat::JsonSchema
        )
    }
}

/// Everything `route()` looks at.
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    pub messages: Vec<Message<'a>>,
    /// Number of tool definitions offered, and the characters of their schemas (they are prompt tokens).
    pub tools: u32,
    pub tool_schema_chars: u32,
    pub response_format: ResponseFormat,
    pub max_tokens: Option<u32>,
    pub tenant: Option<&'a str>,
    pub user_tier: Option<&'a str>,
    /// `None`/"auto": the router decides; "routecore/tN": fixed tier; otherwise a pinned model.
    pub model: Option<&'a str>,
    pub min_tier: Option<u8>,
    pub max_tier: Option<u8>,
    /// Remaining time for the whole turn; models whose expected first token does not fit are skipped.
    pub deadline_ms: Option<f64>,
    /// Upper bound on the estimated cost of this call.
    pub max_cost_usd: Option<f64>,
}

impl<'a> Request<'a> {
    pub fn from_text(text: &'a str) -> Self {
        Request {
            messages: vec![Message::user(text)],
            ..Default::default()
        }
    }
}
