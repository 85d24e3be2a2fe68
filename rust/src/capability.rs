//! The ten capabilities a request can need.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    Chitchat = 0,
    Factual = 1,
    Extraction = 2,
    Summarization = 3,
    Classification = 4,
    Creative = 5,
    Reasoning = 6,
    Math = 7,
    Code = 8,
    Translation = 9,
}

impl Capability {
    pub const ALL: [Capability; 10] = [
        Capability::Chitchat,
        Capability::Factual,
        Capability::Extraction,
        Capability::Summarization,
        Capability::Classification,
        Capability::Creative,
        Capability::Reasoning,
        Capability::Math,
        Capability::Code,
        Capability::Translation,
    ];
    pub const COUNT: usize = 10;

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Chitchat => "chitchat",
            Capability::Factual => "factual",
            Capability::Extraction => "extraction",
            Capability::Summarization => "summarization",
            Capability::Classification => "classification",
            Capability::Creative => "creative",
            Capability::Reasoning => "reasoning",
            Capability::Math => "math",
            Capability::Code => "code",
            Capability::Translation => "translation",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}
