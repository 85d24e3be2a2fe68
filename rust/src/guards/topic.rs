//! `topic_question` (model input, not strong): a short question that *mentions* prompt
//! injection, jailbreaks, system prompts or language models, with no attack phrase in it.
//!
//! People ask what a jailbreak is, in every language ("¿Qué es un jailbreak?", "Что такое
//! промпт-инъекция?"). The n-gram model had learned those words from attacks, and
//! CyberSecEval's translated positives taught it that a question outside English is one:
//! such questions scored 0.8–0.95 out of fold. On the training split no injection is a
//! short question naming the topic without also firing an attack signal (45 hand-written
//! benign texts are; one jailbreak and one planted config note are, and both fire
//! other signals, which this signal then leaves off). With a signal of its own the model
//! can weigh mention apart from use.
//!
//! Cost: nothing for texts over `MAX_BYTES`; else a search for a question mark and, when
//! there is one, a search of the squashed text (letters and digits) for the topic nouns.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::memchr;

use super::normalize::fold;

/// Longer texts are documents or jailbreak set-ups, not a question about the topic.
const MAX_BYTES: usize = 500;

/// Topic nouns, folded and squashed at build time like the phrase tables. Each is long
/// enough not to occur across word boundaries once spaces are gone ("llm" would, in
/// "all my").
const TOPIC: &[&str] = &[
    "prompt injection",
    "prompt injections",
    "jailbreak",
    "system prompt",
    "language model",
    "injection de prompt",
    "injections de prompt",
    "prompt systeme",
    "modele de langage",
    "inyeccion de prompt",
    "prompt del sistema",
    "modelo de lenguaje",
    "injecao de prompt",
    // guards-lang12: the Portuguese word order and chatbots as the topic ("O que é um
    // prompt de sistema?", "ataques a chatbots"): hand-written look-alikes at 0.69-0.71.
    "prompt de sistema",
    "prompt do sistema",
    "chatbot",
    "चैटबॉट",
    "聊天机器人",
    "チャットボット",
    "챗봇",
    "чат-бот",
    "modelo de linguagem",
    "prompt di sistema",
    "modello linguistico",
    "prompt injektion",
    "sprachmodell",
    "промпт",
    "джейлбрейк",
    "языковая модель",
    "языковые модели",
    "языковой модели",
    "提示词注入",
    "越狱",
    "系统提示",
    "语言模型",
    "プロンプトインジェクション",
    "システムプロンプト",
    "脱獄",
    "言語モデル",
    "프롬프트",
    "탈옥",
    "언어 모델",
    "प्रॉम्प्ट",
    "حقن التعليمات",
    "حقن الأوامر",
    "كسر الحماية",
];

pub struct Topic {
    ac: Option<AhoCorasick>,
}

impl Default for Topic {
    fn default() -> Self {
        Self::new()
    }
}

impl Topic {
    pub fn new() -> Topic {
        let pats: Vec<String> = TOPIC.iter().map(|p| fold(p).1).collect();
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&pats)
            .ok();
        Topic { ac }
    }

    /// Whether `text` (raw) is a short question naming the topic; `squashed` is its folded
    /// letters and digits. The caller leaves it off when an attack signal fired.
    pub fn question(&self, text: &str, squashed: &[u8]) -> bool {
        if text.len() > MAX_BYTES {
            return false;
        }
        let asks = memchr(b'?', text.as_bytes()).is_some() || text.contains(['？', '؟']);
        asks && self.ac.as_ref().is_some_and(|ac| ac.is_match(squashed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(t: &str) -> bool {
        Topic::new().question(t, fold(t).1.as_bytes())
    }

    #[test]
    fn questions_about_the_topic() {
        for t in [
            "What is prompt injection and how do companies defend against it?",
            "¿Qué es un \"jailbreak\" de un modelo de lenguaje? Lo necesito para clase.",
            "Что такое промпт-инъекция?",
            "什么是提示词注入？",
            "システムプロンプトが漏れるとどんな問題がありますか？",
            "ما هو هجوم حقن التعليمات على نماذج الذكاء الاصطناعي؟",
        ] {
            assert!(q(t), "{t}");
        }
    }

    #[test]
    fn not_a_question_or_not_the_topic() {
        for t in [
            "Explain prompt injection to a new hire.",
            "What is the capital of Australia?",
            "Is it true that all my files are gone?",
            &format!("{} What is a jailbreak?", "long text ".repeat(60)),
        ] {
            assert!(!q(t), "{t}");
        }
    }
}
