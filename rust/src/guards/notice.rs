//! Mails and notifications pasted without their headers ("Your order #123 has shipped",
//! "Hi David, your account was charged …", "Hola Lucía, tu reserva …"): none of a mail's
//! markers (`From:`, `Subject:`, "Dear", "Regards") need be there, so the document rules
//! never looked at a task planted in one. A text of three lines or more counts as pasted
//! content when two of these cues hold (an existing document marker, e.g. a URL or
//! "unsubscribe", counts as one):
//! * a greeting line to a person: "Hi David,", "Hallo Jan,", "Bonjour Claire," (a greeting
//!   word, then a capitalised name and a comma within the line's first bytes; not "Hi
//!   ChatGPT," or "Hello there,": a user greeting the assistant writes their own prompt);
//! * a sign-off line: "Thanks,", "Best,", "Viele Grüße", "Cordialement,", "— The Security
//!   Team" (a short line);
//! * notification boilerplate: an order, tracking, statement, verification or
//!   automated-message line, or a quoted reply's "… wrote:" / "Sent from my phone", in
//!   several languages.
//!
//! A user's own message to the assistant may open with "Hi," and close with "Thanks!", but
//! it has no named greeting and no notification boilerplate, so one cue is never enough.
//! Cheap: only texts of three lines or more with fewer than two markers get here, only
//! their first and last three lines are read, and the boilerplate phrases are searched for
//! only when one cue already holds.

/// Greeting words that open a mail to a person.
#[rustfmt::skip]
const GREETINGS: &[&str] = &[
    "hi", "hello", "hey", "dear", "guten", "sehr", "hallo", "liebe", "lieber", "hola", "estimado", "estimada",
    "bonjour", "salut", "cher", "chère", "ciao", "caro", "cara", "gentile", "olá", "ola",
    "prezado", "prezada", "hej", "beste", "good",
];
/// A mail to a group: "Hi team,", "Hallo allemaal,", "Hola a todos,".
#[rustfmt::skip]
const GROUPS: &[&str] = &[
    "team", "all", "allemaal", "zusammen", "todos", "tous", "tutti", "a", "à", "geehrte",
    "geehrter",
];
/// Names that are the assistant or nobody: "Hi ChatGPT,", "Hello there,".
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "there", "chatgpt", "gpt", "claude", "assistant", "bot", "ai", "gemini", "copilot",
    "llama", "mistral", "everyone", "you", "guys", "folks",
];
/// First words of a one-word sign-off line ("Thanks,", "Cheers", "Cordialement,").
#[rustfmt::skip]
const SIGNOFFS: &[&str] = &[
    "thanks", "thank", "best", "cheers", "regards", "sincerely", "warmly", "saludos", "gracias",
    "atentamente", "cordialement", "merci", "amicalement", "grazie", "obrigado", "obrigada",
    "atenciosamente", "abraços", "groeten", "groet", "—", "--",
];
/// Words of a longer sign-off line ("Kind regards", "Viele Grüße", "Met vriendelijke
/// groet", "Un saludo", "Cordiali saluti", "Bien à vous").
#[rustfmt::skip]
const SIGNOFF_PARTS: &[&str] = &[
    "regards", "wishes", "grüße", "gruß", "grüßen", "saludo", "saluti", "salutations", "groet",
    "groeten", "cumprimentos",
];
/// Most words in a sign-off line ("Thanks, Dana" / "— The Security Team").
const SIGNOFF_WORDS: usize = 4;

/// Notification boilerplate, matched on the raw text (lowercase phrases; a capital first
/// letter is tried too).
#[rustfmt::skip]
const BOILERPLATE: &[&str] = &[
    "order #", "order number", "has shipped", "track your", "tracking number", "estimated delivery",
    "do not reply", "automated message", "verify your", "confirm your", "statement balance",
    "payment due", "update your payment", "manage your subscription", "reservation number",
    "booking reference", "sent from my", "wrote:", "schrieb:", "escribió:", "a écrit", "ha scritto:",
    "has been charged", "was charged", "transaction details", "paid with", "receipt from", "©", "bestellung", "sendungsverfolgung", "lieferung", "tu reserva",
    "tu pedido", "número de reserva", "votre commande", "votre facture", "numéro de commande",
    "il tuo ordine", "o seu pedido", "seu pedido", "uw bestelling", "abonnement", "reembolso",
    "rechnung", "factura",
];

/// Longest sign-off line (bytes) and the bytes of a line read for a greeting.
const SIGNOFF_LINE: usize = 40;
const GREETING_HEAD: usize = 48;
/// Lines a notice needs (a two-line mail and a planted line make three).
const MIN_LINES: usize = 3;
/// Bytes searched for boilerplate.
const BOILERPLATE_BYTES: usize = 512;
/// Lines read at each end of the text.
const EDGE_LINES: usize = 3;

fn first_word(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .position(|&b| b == b' ' || b == b',' || b == b'!' || b == b'\t')
        .unwrap_or(line.len());
    &line[..end]
}

fn in_list(w: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| w.eq_ignore_ascii_case(x.as_bytes()))
}

/// "Hi David,", "Hallo Jan,", "Hi team,", "Good morning Anna,": a greeting word, then a
/// capitalised word that is no assistant's name, and a comma within the line's first bytes.
fn greeting(line: &[u8]) -> bool {
    // Every greeting word opens with one of these letters: most lines stop here.
    let first = line[0].to_ascii_lowercase();
    if !matches!(
        first,
        b'b' | b'c' | b'd' | b'e' | b'g' | b'h' | b'l' | b'o' | b'p' | b's'
    ) {
        return false;
    }
    let head = &line[..line.len().min(GREETING_HEAD)];
    let w0 = first_word(head);
    if !in_list(w0, GREETINGS) || memchr::memchr(b',', head).is_none() {
        return false;
    }
    let mut rest = head[w0.len()..].trim_ascii_start();
    // "Good morning Anna,": the second word of a two-word greeting.
    if w0.eq_ignore_ascii_case(b"good") {
        rest = rest[first_word(rest).len()..].trim_ascii_start();
    }
    let name = first_word(rest);
    let named = name
        .first()
        .is_some_and(|&b| b.is_ascii_uppercase() || b >= 0x80)
        || in_list(name, GROUPS);
    named && !in_list(name, NOT_NAMES)
}

/// A short line opening with a sign-off word ("Thanks,", "Viele Grüße", "— The Team").
fn signoff(line: &[u8]) -> bool {
    // Short, no question, few words: not "Thanks for the help, can you …?".
    if line.len() > SIGNOFF_LINE
        || line.ends_with(b"?")
        || memchr::memchr_iter(b' ', line)
            .nth(SIGNOFF_WORDS - 1)
            .is_some()
    {
        return false;
    }
    // The first word opens a sign-off ("Thanks, Dana"), or the last ends one ("Kind
    // regards", "Viele Grüße", "Met vriendelijke groet,"). First letters filter both.
    let first = first_word(line);
    let opens = matches!(
        line[0].to_ascii_lowercase(),
        b'a' | b'b' | b'c' | b'g' | b'm' | b'o' | b'r' | b's' | b't' | b'w' | b'-' | 0xE2
    ) && in_list(first, SIGNOFFS);
    let body = line.trim_ascii_end();
    let body = body.strip_suffix(b",").unwrap_or(body);
    let last = &body[memchr::memrchr(b' ', body).map_or(0, |k| k + 1)..];
    let ends = last
        .first()
        .is_some_and(|b| matches!(b.to_ascii_lowercase(), b'r' | b'w' | b'g' | b's' | b'c'))
        && in_list(last, SIGNOFF_PARTS);
    opens || ends
}

fn boilerplate(text: &[u8]) -> bool {
    // One automaton pass over each phrase and its capitalised form ("Order #", "Track
    // your"), case-sensitive: an ASCII case-insensitive automaton loses the vector
    // prefilter and cost ~1.6 µs per KB, on every prompt with one marker (a URL, an
    // "import "). Built once.
    static AC: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> = std::sync::OnceLock::new();
    AC.get_or_init(|| {
        let mut pats: Vec<Vec<u8>> = Vec::new();
        for p in BOILERPLATE {
            let p = p.as_bytes().to_vec();
            let mut cap = p.clone();
            cap[0] = cap[0].to_ascii_uppercase();
            if cap != p {
                pats.push(cap);
            }
            pats.push(p);
        }
        aho_corasick::AhoCorasick::new(pats).ok()
    })
    .as_ref()
    .is_some_and(|ac| ac.is_match(text))
}

/// True when `text` (with `markers` document markers already seen) reads as a pasted mail
/// or notification (see the module comment).
pub fn is_notice(text: &str, markers: usize) -> bool {
    let b = text.as_bytes();
    if memchr::memchr_iter(b'\n', b).nth(MIN_LINES - 2).is_none() {
        return false;
    }
    let mut cues = markers.min(1);
    let (mut greeted, mut signed) = (false, false);
    let mut look = |line: &[u8]| {
        let line = line.trim_ascii();
        if line.is_empty() {
            return;
        }
        if !greeted && greeting(line) {
            greeted = true;
            cues += 1;
        } else if !signed && signoff(line) {
            signed = true;
            cues += 1;
        }
    };
    // A greeting opens a mail and a sign-off closes it: only the first and last
    // `EDGE_LINES` lines are read (a planted line may push either one line in).
    let mut at = 0;
    for _ in 0..EDGE_LINES {
        let end = memchr::memchr(b'\n', &b[at..]).map_or(b.len(), |k| at + k);
        look(&b[at..end]);
        at = (end + 1).min(b.len());
    }
    let mut end = b.len();
    for _ in 0..EDGE_LINES {
        let start = memchr::memrchr(b'\n', &b[..end]).map_or(0, |k| k + 1);
        // Lines already read from the start are not read again.
        if start < at {
            break;
        }
        look(&b[start..end]);
        end = start.saturating_sub(1);
    }
    if cues >= 2 {
        return true;
    }
    // One cue so far: the boilerplate phrases decide (searched only then, in the first
    // `BOILERPLATE_BYTES`: a notification says what it is at its start).
    cues == 1 && boilerplate(&b[..b.len().min(BOILERPLATE_BYTES)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices() {
        let shipped = "Your order #48213 has shipped!\nHi Maria,\nYour package is on its way.\nTrack your package below.";
        assert!(is_notice(shipped, 0));
        let de = "Hallo Jan,\nIhre Bestellung wurde versandt.\nVoraussichtliche Lieferung: Montag\nViele Grüße\nIhr Shop-Team";
        assert!(is_notice(de, 0));
        let nl = "Hallo allemaal,\nDe bibliotheek is op zondag gesloten.\nMet vriendelijke groet,\nBibliotheek Oost";
        assert!(is_notice(nl, 0));
        let fr =
            "Bonjour à tous,\nla réunion est reportée.\nMerci de confirmer.\nCordialement, Claire";
        assert!(is_notice(fr, 0));
        // A greeting and notification boilerplate, no marker ("Hi David,Your …").
        let charged = "Hi David,Your company's account has been charged $586.89.\nDetails follow.\nThe Mercury T";
        assert!(is_notice(charged, 0));
        // A greeting and one marker (a URL), no boilerplate.
        let linked = "Hi David,\nthe slides are on the wiki.\nSee https://x.example";
        assert!(is_notice(linked, 1));
        assert!(!is_notice(linked, 0));
    }

    #[test]
    fn own_messages_are_not_notices() {
        // A user greeting the assistant and thanking it: one cue at most.
        let own = "Hi ChatGPT,\nCan you explain how vaccines work?\nKeep it short.\nThanks!";
        assert!(!is_notice(own, 0));
        let own2 = "Hello,\nI need help with my essay.\nIt is about climate.\nThanks,\nMia";
        assert!(!is_notice(own2, 0));
        // Too few lines.
        assert!(!is_notice("Hi David,\nThanks, Anna", 0));
    }
}

#[cfg(test)]
mod timing {
    use std::hint::black_box;

    /// `NOTICE_TEXT=file cargo test --release notice::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn pieces() {
        let t = crate::guards::timing_text("NOTICE_TEXT");
        crate::guards::time_best("is_notice", &mut || super::is_notice(black_box(&t), 0));
        crate::guards::time_best("boilerplate", &mut || {
            super::boilerplate(black_box(t.as_bytes()))
        });
        let lines: Vec<&str> = t.lines().collect();
        crate::guards::time_best("greetings", &mut || {
            lines
                .iter()
                .any(|l| !l.is_empty() && super::greeting(black_box(l.as_bytes())))
        });
        crate::guards::time_best("signoffs", &mut || {
            lines
                .iter()
                .any(|l| !l.is_empty() && super::signoff(black_box(l.as_bytes())))
        });
    }
}
