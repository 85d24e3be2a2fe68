//! PII and secrets: runs the detectors, resolves overlaps by priority, and maps byte
//! spans to code-point spans (Python `str` indices).

use super::contact;
use super::context::ContextDetectors;
use super::numbers;
use super::secrets::Secrets;
use super::text::byte_to_char_offsets;

/// What a span holds. `as_str` names are stable (used as redaction labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    IpAddress,
    ApiKey,
    Jwt,
    BearerToken,
    Password,
    DateOfBirth,
    Passport,
    Person,
    StreetAddress,
}

impl PiiKind {
    pub const ALL: [PiiKind; 14] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::CreditCard,
        PiiKind::Iban,
        PiiKind::UsSsn,
        PiiKind::IpAddress,
        PiiKind::ApiKey,
        PiiKind::Jwt,
        PiiKind::BearerToken,
        PiiKind::Password,
        PiiKind::DateOfBirth,
        PiiKind::Passport,
        PiiKind::Person,
        PiiKind::StreetAddress,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "EMAIL",
            PiiKind::Phone => "PHONE",
            PiiKind::CreditCard => "CREDIT_CARD",
            PiiKind::Iban => "IBAN",
            PiiKind::UsSsn => "US_SSN",
            PiiKind::IpAddress => "IP_ADDRESS",
            PiiKind::ApiKey => "API_KEY",
            PiiKind::Jwt => "JWT",
            PiiKind::BearerToken => "BEARER_TOKEN",
            PiiKind::Password => "PASSWORD",
            PiiKind::DateOfBirth => "DATE_OF_BIRTH",
            PiiKind::Passport => "PASSPORT",
            PiiKind::Person => "PERSON",
            PiiKind::StreetAddress => "STREET_ADDRESS",
        }
    }

    /// Higher wins an overlap: secrets and checksum-backed kinds beat heuristic ones.
    fn priority(self) -> u8 {
        match self {
            PiiKind::ApiKey | PiiKind::Jwt | PiiKind::BearerToken => 9,
            PiiKind::Email => 8,
            PiiKind::CreditCard | PiiKind::Iban => 7,
            PiiKind::UsSsn | PiiKind::IpAddress => 6,
            PiiKind::Password => 5,
            PiiKind::Phone | PiiKind::DateOfBirth | PiiKind::Passport => 4,
            PiiKind::StreetAddress => 2,
            PiiKind::Person => 1,
        }
    }
}

/// A detected span in code points (`text[start:end]` in Python).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PiiSpan {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

/// A candidate in byte offsets (always at char boundaries: detectors cut at ASCII bytes
/// or at `char_indices` positions).
#[derive(Clone, Copy, Debug)]
pub struct Cand {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

pub struct PiiScanner {
    secrets: Secrets,
    context: ContextDetectors,
}

impl Default for PiiScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl PiiScanner {
    pub fn new() -> PiiScanner {
        PiiScanner {
            secrets: Secrets::new(),
            context: ContextDetectors::new(),
        }
    }

    /// Non-overlapping byte spans sorted by start.
    pub fn byte_spans(&self, text: &str) -> Vec<Cand> {
        let bytes = text.as_bytes();
        let mut c = Vec::new();
        self.secrets.scan(bytes, &mut c);
        contact::scan_emails(bytes, &mut c);
        if memchr::memchr(b':', bytes).is_some() {
            contact::scan_ipv6(bytes, &mut c);
        }
        contact::scan_iban(bytes, &mut c);
        numbers::scan(bytes, &mut c);
        self.context.scan(text, &mut c);
        resolve(text, c)
    }

    pub fn scan(&self, text: &str) -> Vec<PiiSpan> {
        let spans = self.byte_spans(text);
        let mut offs: Vec<usize> = spans.iter().flat_map(|c| [c.start, c.end]).collect();
        byte_to_char_offsets(text, &mut offs);
        spans
            .iter()
            .zip(offs.chunks_exact(2))
            .map(|(c, o)| PiiSpan {
                start: o[0],
                end: o[1],
                kind: c.kind,
            })
            .collect()
    }

    pub fn redact(&self, text: &str) -> String {
        let spans = self.byte_spans(text);
        let mut out = String::with_capacity(text.len());
        let mut pos = 0;
        for c in spans {
            // resolve() guarantees boundaries; `get` keeps this panic-free regardless.
            if let (Some(keep), true) = (text.get(pos..c.start), text.is_char_boundary(c.end)) {
                out.push_str(keep);
                out.push('[');
                out.push_str(c.kind.as_str());
                out.push(']');
                pos = c.end;
            }
        }
        out.push_str(text.get(pos..).unwrap_or(""));
        out
    }
}

/// Greedy by priority then length: keeps the best non-overlapping set, sorted by start.
///
/// Candidates that overlap nothing outside their cluster (a maximal chain of overlapping
/// spans) can only clash inside it, so the greedy pass runs per cluster: the same result
/// as one global pass, without its quadratic inserts on texts with thousands of spans.
fn resolve(text: &str, mut c: Vec<Cand>) -> Vec<Cand> {
    c.retain(|x| {
        x.start < x.end
            && x.end <= text.len()
            && text.is_char_boundary(x.start)
            && text.is_char_boundary(x.end)
    });
    c.sort_by_key(|x| (x.start, x.end));
    let mut kept: Vec<Cand> = Vec::with_capacity(c.len());
    let mut from = 0;
    while from < c.len() {
        let mut to = from + 1;
        let mut end = c[from].end;
        while to < c.len() && c[to].start < end {
            end = end.max(c[to].end);
            to += 1;
        }
        let cluster = &mut c[from..to];
        if cluster.len() == 1 {
            kept.push(cluster[0]);
        } else {
            greedy(cluster, &mut kept);
        }
        from = to;
    }
    kept
}

/// The greedy pass over one cluster; appends its winners to `kept` in start order.
fn greedy(cluster: &mut [Cand], kept: &mut Vec<Cand>) {
    cluster.sort_by(|a, b| {
        b.kind
            .priority()
            .cmp(&a.kind.priority())
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let base = kept.len();
    for &x in cluster.iter() {
        let won = &kept[base..];
        let i = won.partition_point(|k| k.start < x.start);
        let clash_prev = i > 0 && won[i - 1].end > x.start;
        let clash_next = won.get(i).is_some_and(|k| k.start < x.end);
        if !clash_prev && !clash_next {
            kept.insert(base + i, x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_to_end() {
        let s = PiiScanner::new();
        let t =
            "Écrivez à jean.dupont@exemple.fr ou au +33 1 23 45 67 89, carte 4111 1111 1111 1111.";
        let spans = s.scan(t);
        let kinds: Vec<_> = spans.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            vec![PiiKind::Email, PiiKind::Phone, PiiKind::CreditCard]
        );
        let chars: Vec<char> = t.chars().collect();
        let email: String = chars[spans[0].start..spans[0].end].iter().collect();
        assert_eq!(email, "jean.dupont@exemple.fr");
        assert_eq!(
            s.redact(t),
            "Écrivez à [EMAIL] ou au [PHONE], carte [CREDIT_CARD]."
        );
    }

    #[test]
    fn look_alikes_pass() {
        let s = PiiScanner::new();
        for t in [
            "Order #4111111111111112 shipped; tracking 9400111899223334445566.",
            "Upgrade to version 2.14.3 or 10.0.0.1-beta? Build 20240115.",
            "The meeting is on 2024-01-15 at 10:30:00, room 301.",
            "We sold 1 250 000 units in 2019 2020.",
            "std::vector<int> and a::b are C++.",
        ] {
            assert!(s.scan(t).is_empty(), "{t}: {:?}", s.scan(t));
        }
    }
}
