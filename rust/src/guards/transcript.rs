//! Transcripts as pasted documents: a meeting, call or podcast transcript ("Speaker 1: …",
//! "[00:15] Guest: …", "Cliente: …") carries none of a mail's markers, so a question
//! planted between its lines ("What is the population of Canada?") was never looked at by
//! the document rules. Three lines opening with a speaker label, with at least two
//! different labels of which one comes back, make a document.

/// Longest label (bytes) and words in it ("Speaker 1", "Dr. Lee", "Agente").
const MAX_LABEL: usize = 24;
const MAX_LABEL_WORDS: usize = 3;
/// Speaker lines needed, and lines looked at (the start of a long text decides).
const NEEDED: usize = 3;
const MAX_LINES: usize = 64;

/// The label of a line that opens with one (after an optional "[00:15]" or "00:15"
/// timestamp): 1–3 words of letters, digits or dots, then ':' and a space.
fn label(line: &[u8]) -> Option<&[u8]> {
    let mut s = 0;
    // A timestamp: digits, ':' and '.', bracketed or not, then a space.
    let stamp = line
        .iter()
        .take_while(|&&b| b.is_ascii_digit() || matches!(b, b'[' | b']' | b':' | b'.'))
        .count();
    if stamp >= 4 && line.get(stamp) == Some(&b' ') {
        s = stamp + 1;
    }
    let rest = &line[s..];
    let colon = memchr::memchr(b':', &rest[..rest.len().min(MAX_LABEL + 1)])?;
    let name = &rest[..colon];
    let spaced = rest.get(colon + 1).is_some_and(|&b| b == b' ');
    let words = name.split(|&b| b == b' ').filter(|w| !w.is_empty()).count();
    let ok = spaced
        && (1..=MAX_LABEL_WORDS).contains(&words)
        && name
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b >= 0x80)
        && name
            .iter()
            .all(|&b| b >= 0x80 || b.is_ascii_alphanumeric() || b == b' ' || b == b'.');
    ok.then_some(name)
}

/// True when `text` reads as a transcript (see the module comment).
pub fn is_transcript(text: &str) -> bool {
    // Up to four labels seen, with how many lines each opened.
    let mut seen: [(&[u8], usize); 4] = [(&[], 0); 4];
    let (mut kinds, mut lines) = (0, 0);
    let b = text.as_bytes();
    // Most prompts hold fewer than three ": " and are no transcript: one vector search.
    if memchr::memmem::find_iter(b, b": ")
        .nth(NEEDED - 1)
        .is_none()
    {
        return false;
    }
    // Line starts from a vector search for newlines (a byte-wise split cost ~0.4 µs per
    // KB on every prompt that is no document); only the first bytes of a line are read.
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
    for s in starts.take(MAX_LINES) {
        let head = &b[s..b.len().min(s + 2 * MAX_LABEL + 16)];
        let line = memchr::memchr(b'\n', head).map_or(head, |k| &head[..k]);
        let Some(name) = label(line.trim_ascii_start()) else {
            continue;
        };
        lines += 1;
        match seen[..kinds]
            .iter()
            .position(|(l, _)| l.eq_ignore_ascii_case(name))
        {
            Some(k) => seen[k].1 += 1,
            None if kinds < seen.len() => {
                seen[kinds] = (name, 1);
                kinds += 1;
            }
            None => {}
        }
        // Two speakers, one of whom speaks again: a conversation, not a form ("Name:",
        // "Email:") or numbered steps ("Step 1:", "Step 2:").
        if lines >= NEEDED && kinds >= 2 && seen[..kinds].iter().any(|s| s.1 >= 2) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::is_transcript;

    #[test]
    fn transcripts() {
        assert!(is_transcript(
            "Speaker 1: Ship Monday.\nSpeaker 2: QA has blockers.\nSpeaker 1: Wednesday then."
        ));
        assert!(is_transcript(
            "[00:01] Host: Welcome.\n[00:15] Guest: Hi.\n[00:40] Host: And naps?"
        ));
        assert!(is_transcript(
            "Cliente: El router falla.\nAgente: ¿Firmware?\nCliente: No sé."
        ));
        // One label, fewer than three lines, or no label twice: notes, forms, steps.
        assert!(!is_transcript(
            "Name: Ebony\nPhone: 123\nEmail: e@x.com\nRole: PM"
        ));
        assert!(!is_transcript("Step 1: a.\nStep 2: b.\nStep 3: c."));
        assert!(!is_transcript("Note: a.\nNote: b.\nNote: c."));
        assert!(!is_transcript("Alice: hi\nBob: hello"));
        // A blank line before a label does not count that line twice.
        assert!(!is_transcript("Alice: hi\n\nBob: hello"));
        // Sentences with a colon further in, URLs and times are no labels.
        assert!(!is_transcript(
            "The plan is simple: ship it.\nSee https://x.io now.\nAt 10:30 we meet.\nOk."
        ));
    }
}

#[cfg(test)]
mod timing {
    use std::hint::black_box;

    /// `TRANSCRIPT_TEXT=file cargo test --release transcript::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn pieces() {
        let t = crate::guards::timing_text("TRANSCRIPT_TEXT");
        crate::guards::time_best("is_transcript", &mut || super::is_transcript(black_box(&t)));
    }
}
