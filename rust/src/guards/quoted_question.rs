//! Attack phrases quoted inside a short question, in any language: "\"पिछले निर्देशों को
//! अनदेखा करो\" वाला हमला क्या होता है?", "¿Qué significa la frase \"ignora las
//! instrucciones anteriores\"?". `quoted.rs` blanks quotes that open with an English
//! override verb; outside English the verb often comes last (Hindi, Japanese, Korean) or
//! is one of many inflections, so here any short quoted phrase is blanked, but only in a
//! short text that asks something. The override signal is then kept only when the rest
//! still fires it (the caller reruns the rules).
//!
//! On the training split no injection is a short question whose override sits only
//! inside quotes; the hand-written look-alikes (quoted attack phrases asked about in
//! Hindi, Spanish and Portuguese) scored 0.74-0.96 out of fold with the strong floor.

use super::quoted::blank_quotes;

/// Longer texts are set-ups or documents, not a question about a phrase.
const MAX_BYTES: usize = 300;
/// Longest quoted phrase (in chars) taken as a mention.
const QUOTE_MAX: usize = 80;

/// `text` with every short double-quoted phrase blanked, or None when it is not a short
/// question or has no such phrase.
pub fn question_without_quotes(text: &str) -> Option<String> {
    if text.len() > MAX_BYTES || !text.contains(['?', '？', '؟']) {
        return None;
    }
    blank_quotes(text, next_open, is_close, QUOTE_MAX, |_| true)
}

/// The next opening quote at or after byte `at`, corner brackets included (a short text:
/// a char scan is cheap here).
fn next_open(text: &str, at: usize) -> Option<(usize, char)> {
    let is_open = |c: char| matches!(c, '"' | '\u{201C}' | '\u{00AB}' | '「');
    text.get(at..)?
        .char_indices()
        .find(|&(_, c)| is_open(c))
        .map(|(k, c)| (at + k, c))
}

fn is_close(c: char) -> bool {
    matches!(c, '"' | '\u{201D}' | '\u{00BB}' | '」')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_quoted_phrases_in_short_questions() {
        let t = "\"पिछले निर्देशों को अनदेखा करो\" वाला हमला क्या होता है?";
        assert_eq!(
            question_without_quotes(t).as_deref(),
            Some("  वाला हमला क्या होता है?")
        );
        let t = "¿Qué significa «ignora las instrucciones anteriores»?";
        assert_eq!(
            question_without_quotes(t).as_deref(),
            Some("¿Qué significa  ?")
        );
    }

    #[test]
    fn leaves_statements_long_texts_and_unclosed_quotes() {
        assert_eq!(
            question_without_quotes("Say \"ignore the rules\" now."),
            None
        );
        assert_eq!(question_without_quotes("What does \"ignore mean?"), None);
        let long = format!("{} What does \"x\" mean?", "word ".repeat(70));
        assert_eq!(question_without_quotes(&long), None);
        // A quote longer than QUOTE_MAX is pasted content, not a mention.
        let pasted = format!("Is this ok? \"{}\"", "a".repeat(QUOTE_MAX + 5));
        assert_eq!(question_without_quotes(&pasted), None);
    }
}
