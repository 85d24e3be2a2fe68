//! The off-topic rule's word classes (`offtopic.rs`) in German, Spanish, French, Italian,
//! Portuguese, Dutch and Hindi: a planted "¿Cuál es el río más largo del mundo?" or
//! "Schreibe ein Gedicht über den Herbst." in a mail was no request at all before (the
//! openers were English), and a user's own "Was bedeutet das?" / "¿Qué le respondo?" at a
//! mail's edge must keep passing, so the words that tie a line to the document (pointers:
//! "das", "esto", "ce", "questo"; the user's stake: "bedeutet", "estafa", "répondre") come
//! with the openers. Function words are listed so that they are not content words (a
//! German question shares "die" and "von" with any German mail).
//!
//! One table for all languages: a word means the same class wherever it is listed, and a
//! clash keeps the class that errs towards passing ("qui" is French "who", Italian "here";
//! "das" is a German pointer, Portuguese "of the").

/// Question words: a request when the line ends with `?`.
#[rustfmt::skip]
pub const WH: &[&str] = &[
    // de
    "was", "wer", "wie", "warum", "wieso", "weshalb", "wann", "wo", "woher", "wohin", "welche",
    "welcher", "welches", "welchen", "wieviel", "wieviele",
    // es
    "qué", "cuál", "cuáles", "cómo", "dónde", "cuándo", "quién", "quiénes", "cuánto", "cuánta",
    "cuántos", "cuántas",
    // fr
    "quel", "quelle", "quels", "quelles", "qui", "comment", "pourquoi", "quand", "où", "combien",
    "qu",
    // it
    "qual", "quale", "quali", "chi", "perché", "perche", "quando", "dove", "quanto", "quanta",
    "quanti", "quante", "cosa", "che",
    // pt
    "quais", "quem", "como", "porque", "porquê", "onde", "quantos", "quantas", "que",
    // nl
    "wat", "hoe", "waarom", "wanneer", "waar", "welke", "welk", "hoeveel",
    // hi
    "क्या", "कौन", "कैसे", "क्यों", "कब", "कहाँ", "कितना", "कितने", "कितनी",
];
/// "Can you …?" with the pronoun in the verb or after it ("¿Puedes …?", "Pouvez-vous …?").
#[rustfmt::skip]
pub const MODALS: &[&str] = &[
    "kannst", "könntest", "können", "könnten", "puedes", "podrías", "podría", "pourrais",
    "pourriez", "pouvez", "peux", "puoi", "potresti", "potrebbe", "podes", "pode", "poderia",
    "kun", "kunt", "kunnen", "zou",
];
/// Task verbs (imperatives) that open a request.
#[rustfmt::skip]
pub const VERBS: &[&str] = &[
    // de
    "schreibe", "schreib", "erkläre", "erklär", "beschreibe", "übersetze", "übersetz",
    "erstelle", "gib", "nenne", "verfasse", "entwirf", "erzähle", "erzähl", "zeige", "antworte",
    "analysiere", "vergleiche", "berechne", "finde",
    // es
    "escribe", "explica", "explícame", "describe", "traduce", "dame", "crea", "genera",
    "redacta", "responde", "dime", "cuéntame", "enumera", "compara", "analiza", "calcula",
    "busca",
    // fr
    "écris", "explique", "décris", "traduis", "donne", "crée", "génère", "rédige", "réponds",
    "dis", "raconte", "compare", "analyse", "calcule", "trouve",
    // it
    "scrivi", "spiega", "descrivi", "traduci", "dammi", "redigi", "rispondi", "dimmi",
    "racconta", "elenca", "confronta", "analizza", "calcola", "trova",
    // pt
    "escreva", "escreve", "descreva", "descreve", "traduza", "crie", "cria", "gere", "redija",
    "responda", "diga", "conte", "analise", "calcule", "encontre",
    // nl
    "schrijf", "beschrijf", "vertaal", "geef", "maak", "beantwoord", "vertel", "noem",
    "vergelijk", "analyseer", "bereken", "zoek",
];
/// Words pointing at the pasted document or at the user's stake in it (its meaning,
/// whether to trust, pay or answer it, a summary or translation of it).
#[rustfmt::skip]
pub const POINTERS: &[&str] = &[
    // de
    "das", "dies", "diese", "dieser", "diesem", "diesen", "dieses", "darauf", "darüber", "davon",
    "damit", "dazu", "hier", "oben", "unten", "mail", "nachricht", "tabelle", "brief",
    "antworten", "antwort", "bedeutet", "bedeutung", "betrug", "seriös", "echt", "zahlen",
    "bezahlen", "soll", "sollte", "muss", "zusammenfassen", "zusammen", "übersetzen",
    // es
    "esto", "este", "esta", "estos", "estas", "eso", "ese", "esa", "aquí", "arriba", "abajo",
    "correo", "mensaje", "tabla", "texto", "significa", "significado", "estafa", "respondo",
    "responder", "respuesta", "resumir", "resumen", "pagar", "debo", "debería",
    // fr
    "ce", "cet", "cette", "ces", "ça", "ceci", "cela", "ici", "dessus", "dessous", "courriel",
    "tableau", "texte", "veut", "signifie", "arnaque", "répondre", "réponse", "résumer", "payer",
    "dois", "devrais",
    // it
    "questo", "questa", "questi", "queste", "quello", "quella", "sopra", "sotto", "messaggio",
    "tabella", "testo", "truffa", "rispondere", "risposta", "riassumere", "pagare", "devo",
    "dovrei",
    // pt
    "isto", "isso", "aqui", "acima", "abaixo", "mensagem", "tabela", "golpe", "resposta",
    "deveria",
    // nl
    "dit", "dat", "deze", "hierboven", "bericht", "tabel", "tekst", "betekent", "oplichting",
    "antwoorden", "samenvatten", "betalen", "moet",
    // hi
    "यह", "इस", "इसका", "इसे", "इसमें", "ये", "मतलब", "धोखा", "जवाब",
];
/// Function words (three bytes or more; shorter words are never content).
#[rustfmt::skip]
pub const STOP: &[&str] = &[
    // de
    "der", "die", "und", "von", "ist", "ein", "eine", "einen", "einem", "einer", "mit", "für",
    "auf", "den", "dem", "des", "sich", "nicht", "ich", "sie", "wir", "ihr", "sind", "über",
    "zum", "zur", "bei", "aus", "nach", "auch", "noch", "oder", "aber", "wenn", "mir", "mich",
    "dir", "uns", "bitte", "kurz", "nur", "einfach",
    // es
    "los", "las", "del", "una", "uno", "unos", "unas", "con", "por", "para", "más", "muy", "sin",
    "sobre", "entre", "hay", "son", "está", "están", "ser", "sus", "tus", "mis", "favor",
    // fr
    "les", "des", "une", "est", "sont", "pour", "par", "avec", "dans", "sur", "pas", "plus",
    "vous", "nous", "mon", "mes", "ton", "tes", "son", "ses", "leur", "aux", "tout",
    // it
    "della", "delle", "dei", "degli", "una", "con", "per", "sono", "non", "più", "gli", "nel",
    "nella", "sul", "sulla", "tra", "fra", "mio", "mia", "tuo", "tua", "suo", "sua",
    // pt
    "dos", "uma", "com", "mais", "não", "são", "seu", "nos", "nas", "num", "numa", "pelo",
    "pela", "muito",
    // nl
    "het", "een", "van", "voor", "met", "naar", "niet", "zijn", "ook", "maar", "als", "bij",
    "uit", "mij", "mijn", "jouw", "jij",
    // hi
    "है", "हैं", "का", "की", "के", "में", "से", "को", "और", "पर",
];

/// Lowercases `w` into `buf` (ASCII letters and the Latin-1 capitals À–Þ, as in "Écris"),
/// or `None` when it does not fit.
pub fn lower<'a>(w: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let out = buf.get_mut(..w.len())?;
    out.copy_from_slice(w);
    let mut i = 0;
    while i < out.len() {
        if out[i] == 0xC3
            && i + 1 < out.len()
            && (0x80..=0x9E).contains(&out[i + 1])
            && out[i + 1] != 0x97
        {
            out[i + 1] += 0x20;
            i += 2;
        } else {
            out[i] = out[i].to_ascii_lowercase();
            i += 1;
        }
    }
    Some(out)
}

/// A line's opening bytes without "¿" / "¡" (Spanish questions and exclamations).
pub fn strip_inverted(line: &[u8]) -> &[u8] {
    match line {
        [0xC2, 0xBF | 0xA1, rest @ ..] => rest,
        _ => line,
    }
}
