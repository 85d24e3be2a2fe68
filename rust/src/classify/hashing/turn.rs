//! Where the last user turn's zones lie: its instruction paragraphs, a sampled middle and
//! the closing sentence (see the zone list in `hashing.rs`).

use super::*;

use crate::classify::floor_char;

/// Where a multi-paragraph turn's first paragraph ends and its last begins, and whether each
/// is a short paragraph of its own (an instruction) rather than a fallback cut or a long
/// paragraph (most likely the document).
fn instruction_bounds(text: &str) -> ((usize, bool), (usize, bool)) {
    let b = text.as_bytes();
    let n = b.len();
    let head = &b[..HEAD.min(n)];
    let head_end = memchr::memmem::find(head, b"\n\n")
        .or_else(|| memchr::memchr(b'\n', head))
        .filter(|&i| i >= 4);
    let head = match head_end {
        Some(i) => (floor_char(text, i), i <= PARAGRAPH),
        None => (
            floor_char(text, sentence_end(&b[..WEAK_HEAD.min(n)])),
            false,
        ),
    };
    let tail_from = n.saturating_sub(TAIL_BYTES).max(head.0);
    let tail = &b[tail_from..];
    let trimmed = tail.len()
        - tail
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
    let tail_start = memchr::memmem::rfind(&tail[..trimmed], b"\n\n")
        .or_else(|| memchr::memrchr(b'\n', &tail[..trimmed]))
        .filter(|&i| trimmed - i >= 4)
        .map(|i| tail_from + i);
    let tail = match tail_start {
        Some(i) => (floor_char(text, i), tail_from + trimmed - i <= PARAGRAPH),
        None => (
            floor_char(text, n - (n - head.0).min(TAIL_BYTES / 2)),
            false,
        ),
    };
    (head, tail)
}

/// Whether a turn is one block of text (no line break after its first few bytes).
fn one_block(text: &str) -> bool {
    let b = text.trim_end().as_bytes();
    b.len() < 8 || memchr::memchr(b'\n', &b[8..]).is_none()
}

/// The end of the first sentence in `b` (after its `.`, `?`, `!` or `:` and a space), or
/// `b.len()`.
fn sentence_end(b: &[u8]) -> usize {
    b.windows(2)
        .position(|w| matches!(w[0], b'.' | b'?' | b'!' | b':') && w[1] == b' ')
        .map_or(b.len(), |i| i + 1)
}

/// Where the last sentence of a short text starts, if it has more than one sentence and the
/// last is a real one (at least a few words).
fn last_sentence(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let end = b.len()
        - b.iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace() || matches!(c, b'.' | b'?' | b'!'))
            .count();
    let at = sentence_break(&b[..end])?;
    (end - at >= 12 && at >= 8).then(|| floor_char(text, at))
}

/// Just after the last sentence break in `body`: a `.`, `?` or `!` followed by a space, or a
/// newline, not as the last byte. `memrchr` jumps between candidates (a byte-pair scan over
/// the whole turn was 2% of a 1 KB pass).
pub(super) fn sentence_break(body: &[u8]) -> Option<usize> {
    let last = body.len().checked_sub(1)?;
    let newline = memchr::memrchr(b'\n', &body[..last]);
    let from = newline.map_or(0, |i| i + 1);
    let punct = memchr::memrchr3_iter(b'.', b'?', b'!', &body[from..last])
        .map(|i| from + i)
        .find(|&i| body[i + 1] == b' ');
    punct.or(newline).map(|i| i + 1)
}

/// The last user turn: instruction zones plus a sampled middle.
pub(super) fn last_turn<S: Sink>(parts: &[&str], sink: &mut S) {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n <= SHORT && parts.iter().all(|p| one_block(p)) {
        let mut t = Tokenizer::new(sink, INSTRUCTION);
        t.head_left = EDGE_WORDS;
        t.tag_tail = true;
        for p in parts {
            t.text(p);
            t.cut();
        }
        // The closing sentence of a several-sentence turn once more, as its own zone: the
        // request usually comes last ("Write a poem, my teacher said. Anyway, translate this").
        if let Some(p) = parts.last() {
            if let Some(at) = last_sentence(p) {
                let ring = (t.ring, t.ring_n);
                t.head_left = 0;
                t.set_zone(TAIL);
                t.text(&p[at..]);
                t.cut();
                (t.ring, t.ring_n) = ring;
            }
        }
        t.finish();
        return;
    }
    // A long or multi-paragraph turn: zones are computed on its longest part (the pasted
    // document); other parts (a short instruction sent as its own part) are instruction text.
    let longest = (0..parts.len())
        .max_by_key(|&i| parts[i].len())
        .unwrap_or(0);
    let mut t = Tokenizer::new(sink, INSTRUCTION);
    t.head_left = EDGE_WORDS;
    t.tag_tail = true;
    for (i, p) in parts.iter().enumerate() {
        if i != longest || (one_block(p) && p.len() <= SHORT) {
            t.set_zone(INSTRUCTION);
            t.text(p);
            t.cut();
            continue;
        }
        let ((head_end, head_ok), (tail_start, tail_ok)) = instruction_bounds(p);
        t.set_zone(if head_ok { INSTRUCTION } else { WEAK });
        t.text(&p[..head_end]);
        t.cut();
        t.set_zone(MIDDLE);
        let span = tail_start.saturating_sub(head_end);
        let step = span / MIDDLE_CHUNKS;
        if span <= MIDDLE_CHUNK * MIDDLE_CHUNKS {
            t.text(&p[head_end..tail_start.max(head_end)]);
            t.cut();
        }
        for k in 0..MIDDLE_CHUNKS {
            if span <= MIDDLE_CHUNK * MIDDLE_CHUNKS {
                break;
            }
            let s = floor_char(p, head_end + k * step);
            let e = floor_char(p, (s + MIDDLE_CHUNK).min(tail_start)).max(s);
            t.text(&p[s..e]);
            t.cut();
        }
        t.set_zone(if tail_ok { TAIL } else { WEAK });
        t.text(&p[tail_start..]);
        t.cut();
    }
    t.finish();
}
