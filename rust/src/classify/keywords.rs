//! Multilingual cue phrases for the keyword classifier: (phrase, class, weight, boundary).
//!
//! Latin phrases match ASCII-case-insensitively; `L` needs a word start before the phrase (so
//! stems like "summar" still match "summarise"), `B` a word on both sides, `N` none (CJK and
//! other unspaced scripts). Non-ASCII phrases also match with their first letter capitalised.
//! Negative weights encode the traps users report ("python" the snake is not code).

use crate::capability::Capability::{self, *};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    N,
    L,
    B,
}
use Bound::*;

pub type Cue = (&'static str, Capability, f32, Bound);

pub const CUES: &[Cue] = &[
    // --- translation
    ("translat", Translation, 3.0, L), ("tradu", Translation, 3.0, L), ("übersetz", Translation, 3.0, L),
    ("перевед", Translation, 3.0, L), ("перевод", Translation, 3.0, L), ("翻译", Translation, 3.0, N),
    ("翻譯", Translation, 3.0, N), ("译成", Translation, 2.0, N), ("翻訳", Translation, 3.0, N),
    ("訳して", Translation, 3.0, N), ("번역", Translation, 3.0, N), ("अनुवाद", Translation, 3.0, N),
    ("ترجم", Translation, 3.0, N), ("vertaal", Translation, 3.0, L), ("przetłumacz", Translation, 3.0, L),
    ("terjemah", Translation, 3.0, L), ("dịch sang", Translation, 3.0, L), ("çevir", Translation, 2.0, L),
    ("in english", Translation, 0.8, B), ("into english", Translation, 1.5, B), ("to english", Translation, 1.0, B),
    ("to french", Translation, 1.5, B), ("into french", Translation, 1.5, B), ("to spanish", Translation, 1.5, B),
    ("into spanish", Translation, 1.5, B), ("to german", Translation, 1.5, B), ("into german", Translation, 1.5, B),
    ("to chinese", Translation, 1.5, B), ("to japanese", Translation, 1.5, B), ("to korean", Translation, 1.5, B),
    ("to hindi", Translation, 1.5, B), ("to russian", Translation, 1.5, B), ("to italian", Translation, 1.5, B),
    ("to portuguese", Translation, 1.5, B), ("to arabic", Translation, 1.5, B), ("al inglés", Translation, 2.0, B),
    ("en anglais", Translation, 2.0, B), ("auf englisch", Translation, 1.5, B), ("英文", Translation, 1.0, N),
    ("中文", Translation, 0.8, N), ("英語", Translation, 1.0, N), ("영어로", Translation, 2.0, N),
    ("на английский", Translation, 2.0, L), ("अंग्रेजी में", Translation, 2.0, N),
    // --- summarization
    ("summar", Summarization, 3.0, L), ("tl;dr", Summarization, 3.0, L), ("tldr", Summarization, 3.0, B),
    ("key points", Summarization, 2.0, L), ("main points", Summarization, 2.0, L), ("key takeaways", Summarization, 2.5, L),
    ("in a nutshell", Summarization, 1.5, L), ("recap", Summarization, 2.0, L), ("condense", Summarization, 2.5, L),
    ("shorten", Summarization, 1.5, L), ("brief overview", Summarization, 1.5, L), ("gist", Summarization, 2.0, B),
    ("in one sentence", Summarization, 1.5, L), ("in a few sentences", Summarization, 1.5, L), ("resum", Summarization, 3.0, L),
    ("résum", Summarization, 3.0, L), ("zusammenfass", Summarization, 3.0, L), ("riassum", Summarization, 3.0, L),
    ("samenvat", Summarization, 3.0, L), ("кратко", Summarization, 2.5, L), ("резюм", Summarization, 2.5, L),
    ("суммир", Summarization, 2.5, L), ("总结", Summarization, 3.0, N), ("概括", Summarization, 3.0, N),
    ("摘要", Summarization, 3.0, N), ("要約", Summarization, 3.0, N), ("まとめて", Summarization, 3.0, N),
    ("요약", Summarization, 3.0, N), ("सारांश", Summarization, 3.0, N), ("ملخص", Summarization, 3.0, N),
    ("لخص", Summarization, 3.0, N),
    // --- extraction
    ("extract", Extraction, 3.0, L), ("pull out", Extraction, 2.0, L), ("list all the", Extraction, 1.5, L),
    ("find all", Extraction, 1.5, L), ("identify all", Extraction, 1.5, L), ("parse", Extraction, 2.0, L),
    ("json", Extraction, 1.5, L), ("to json", Extraction, 4.0, L), ("into json", Extraction, 4.0, L),
    ("as json", Extraction, 3.0, L), ("in json", Extraction, 3.0, L), ("json format", Extraction, 3.0, L),
    ("to yaml", Extraction, 3.5, L), ("to csv", Extraction, 3.5, L), ("into a table", Extraction, 2.5, L),
    ("yaml", Extraction, 1.0, B), ("csv", Extraction, 1.5, B), ("structured", Extraction, 1.5, L),
    ("named entit", Extraction, 2.5, L), ("entities", Extraction, 2.0, L), ("key-value", Extraction, 1.5, L),
    ("from the following text", Extraction, 1.5, L), ("from this text", Extraction, 1.5, L),
    ("fill in the", Extraction, 1.0, L), ("extrae", Extraction, 3.0, L), ("extrai", Extraction, 3.0, L),
    ("extrahier", Extraction, 3.0, L), ("提取", Extraction, 3.0, N), ("抽出", Extraction, 3.0, N),
    ("추출", Extraction, 3.0, N), ("извлеки", Extraction, 3.0, L), ("извлечь", Extraction, 3.0, L),
    // --- classification
    ("classify", Classification, 3.0, L), ("classif", Classification, 2.5, L), ("categoriz", Classification, 3.0, L),
    ("categoris", Classification, 3.0, L), ("which category", Classification, 3.0, L), ("what category", Classification, 3.0, L),
    ("sentiment", Classification, 3.0, L), ("label", Classification, 1.5, L), ("is this spam", Classification, 3.0, L),
    ("spam or", Classification, 2.5, L), ("positive or negative", Classification, 3.5, L), ("positive, negative", Classification, 3.0, L),
    ("intent", Classification, 1.5, B), ("toxic", Classification, 1.5, L), ("is it offensive", Classification, 2.0, L),
    ("分类", Classification, 3.0, N), ("分類", Classification, 3.0, N), ("분류", Classification, 3.0, N),
    ("классифиц", Classification, 3.0, L), ("clasific", Classification, 3.0, L), ("klassifizier", Classification, 3.0, L),
    ("情感", Classification, 2.0, N), ("感情分析", Classification, 3.0, N),
    // --- code
    ("code", Code, 2.0, B), ("coding", Code, 2.0, B), ("function", Code, 1.5, B), ("python", Code, 2.0, B),
    ("javascript", Code, 2.5, B), ("typescript", Code, 2.5, B), ("java", Code, 1.5, B), ("c++", Code, 2.5, L),
    ("c#", Code, 2.0, B), ("rust", Code, 1.0, B), ("golang", Code, 2.5, B), ("sql", Code, 2.5, B),
    ("regex", Code, 2.5, B), ("bug", Code, 1.5, L), ("debug", Code, 2.5, L), ("compile", Code, 2.0, L),
    ("stack trace", Code, 2.5, L), ("traceback", Code, 2.5, L), ("exception", Code, 1.0, L), ("implement", Code, 1.5, L),
    ("algorithm", Code, 1.5, L), ("script", Code, 1.5, B), ("api", Code, 1.0, B), ("refactor", Code, 3.0, L),
    ("unit test", Code, 2.5, L), ("html", Code, 1.5, B), ("css", Code, 2.0, B), ("dockerfile", Code, 2.5, B),
    ("bash", Code, 2.0, B), ("npm", Code, 1.5, B), ("pandas", Code, 2.0, B), ("numpy", Code, 2.0, B),
    ("write a program", Code, 3.0, L), ("write a function", Code, 3.0, L), ("leetcode", Code, 2.5, B),
    ("to rust", Code, 3.0, B), ("to python", Code, 3.0, B), ("to javascript", Code, 3.0, B), ("to typescript", Code, 3.0, B),
    ("to java", Code, 3.0, B), ("to c++", Code, 3.0, L), ("to go", Code, 1.0, B), ("programm", Code, 1.5, L),
    ("代码", Code, 3.0, N), ("编程", Code, 2.5, N), ("函数", Code, 2.0, N), ("コード", Code, 3.0, N),
    ("プログラム", Code, 2.5, N), ("코드", Code, 3.0, N), ("код", Code, 2.0, L), ("snake", Code, -3.0, B),
    ("reptile", Code, -3.0, L), ("monty python", Code, -3.0, L), ("snake", Factual, 1.5, B), ("reptile", Factual, 1.5, L),
    // --- math
    ("solve", Math, 2.0, L), ("equation", Math, 3.0, L), ("calculat", Math, 2.5, L), ("compute", Math, 1.5, L),
    ("integral", Math, 3.0, L), ("derivative", Math, 3.0, L), ("probability", Math, 2.5, L), ("theorem", Math, 1.5, L),
    ("how many", Math, 1.0, L), ("how much", Math, 0.8, L), ("percent", Math, 1.5, L), ("sum of", Math, 1.5, L),
    ("average", Math, 1.0, L), ("math", Math, 2.0, L), ("algebra", Math, 3.0, L), ("geometry", Math, 3.0, L),
    ("matrix", Math, 2.0, L), ("eigen", Math, 2.5, L), ("prime", Math, 1.5, L), ("square root", Math, 2.5, L),
    ("simplify", Math, 2.0, L), ("factorial", Math, 2.5, L), ("polynomial", Math, 3.0, L), ("dollars", Math, 0.8, L),
    ("计算", Math, 2.5, N), ("方程", Math, 3.0, N), ("数学", Math, 2.5, N), ("求解", Math, 2.5, N),
    ("計算", Math, 2.5, N), ("방정식", Math, 3.0, N), ("계산", Math, 2.5, N), ("уравнени", Math, 3.0, L),
    ("вычисл", Math, 2.5, L), ("посчитай", Math, 2.5, L), ("ecuaci", Math, 3.0, L), ("calcula", Math, 1.0, L),
    ("gleichung", Math, 3.0, L), ("berechne", Math, 2.5, L), ("équation", Math, 3.0, L), ("समीकरण", Math, 3.0, N),
    ("गणना", Math, 2.5, N),
    // --- reasoning
    ("step by step", Reasoning, 2.0, L), ("explain why", Reasoning, 1.5, L), ("why", Reasoning, 1.0, B),
    ("logic", Reasoning, 2.0, L), ("puzzle", Reasoning, 3.0, L), ("riddle", Reasoning, 3.0, L), ("deduce", Reasoning, 2.5, L),
    ("infer", Reasoning, 1.5, L), ("therefore", Reasoning, 1.0, L), ("implies", Reasoning, 1.5, L),
    ("compare", Reasoning, 1.5, L), ("pros and cons", Reasoning, 1.5, L), ("trade-off", Reasoning, 1.5, L),
    ("tradeoff", Reasoning, 1.5, L), ("analyz", Reasoning, 1.5, L), ("analys", Reasoning, 1.5, L),
    ("evaluate", Reasoning, 1.0, L), ("what would happen", Reasoning, 2.0, L), ("what if", Reasoning, 1.5, L),
    ("estimate", Reasoning, 1.5, L), ("think through", Reasoning, 2.0, L), ("syllogism", Reasoning, 3.0, L),
    ("paradox", Reasoning, 2.0, L), ("should i", Reasoning, 1.0, L), ("prove", Reasoning, 1.5, L),
    ("推理", Reasoning, 3.0, N), ("逻辑", Reasoning, 3.0, N), ("为什么", Reasoning, 1.5, N), ("論理", Reasoning, 3.0, N),
    ("なぜ", Reasoning, 1.5, N), ("추론", Reasoning, 3.0, N), ("почему", Reasoning, 1.5, L), ("логик", Reasoning, 2.5, L),
    ("por qué", Reasoning, 1.5, L), ("warum", Reasoning, 1.5, L), ("pourquoi", Reasoning, 1.5, L), ("क्यों", Reasoning, 1.5, N),
    // --- creative
    ("write a story", Creative, 3.0, L), ("story", Creative, 2.0, L), ("poem", Creative, 3.0, L), ("poetry", Creative, 3.0, L),
    ("haiku", Creative, 3.0, L), ("limerick", Creative, 3.0, L), ("lyrics", Creative, 3.0, L), ("song", Creative, 2.0, B),
    ("essay", Creative, 2.0, L), ("blog post", Creative, 2.5, L), ("write a", Creative, 1.0, L), ("compose", Creative, 2.0, L),
    ("creative", Creative, 2.0, L), ("imagine", Creative, 1.5, L), ("pretend", Creative, 2.0, L), ("role-play", Creative, 3.0, L),
    ("roleplay", Creative, 3.0, L), ("act as", Creative, 2.0, L), ("fiction", Creative, 2.0, L), ("slogan", Creative, 2.5, L),
    ("tagline", Creative, 2.5, L), ("rewrite", Creative, 2.0, L), ("rephrase", Creative, 2.0, L), ("paraphrase", Creative, 2.0, L),
    ("write an email", Creative, 2.0, L), ("cover letter", Creative, 2.5, L), ("speech", Creative, 1.5, B),
    ("joke", Creative, 1.5, L), ("brainstorm", Creative, 2.0, L), ("ideas for", Creative, 1.5, L), ("names for", Creative, 1.5, L),
    ("tweet", Creative, 1.5, L), ("故事", Creative, 3.0, N), ("写一首", Creative, 3.0, N), ("写一篇", Creative, 2.5, N),
    ("物語", Creative, 3.0, N), ("小説", Creative, 3.0, N), ("이야기", Creative, 2.5, N), ("시를", Creative, 2.5, N),
    ("стих", Creative, 3.0, L), ("рассказ", Creative, 2.5, L), ("cuento", Creative, 3.0, L), ("poema", Creative, 3.0, L),
    ("poème", Creative, 3.0, L), ("gedicht", Creative, 3.0, L), ("कविता", Creative, 3.0, N), ("कहानी", Creative, 3.0, N),
    // --- factual
    ("what is", Factual, 1.0, L), ("what are", Factual, 1.0, L), ("who is", Factual, 1.5, L), ("who was", Factual, 1.5, L),
    ("when did", Factual, 1.5, L), ("when was", Factual, 1.5, L), ("where is", Factual, 1.5, L), ("how does", Factual, 1.0, L),
    ("define", Factual, 1.5, L), ("definition", Factual, 1.5, L), ("meaning of", Factual, 1.5, L), ("tell me about", Factual, 1.5, L),
    ("history of", Factual, 1.5, L), ("capital of", Factual, 2.0, L), ("explain", Factual, 1.0, L), ("difference between", Factual, 1.0, L),
    ("是什么", Factual, 1.5, N), ("什么是", Factual, 1.5, N), ("とは", Factual, 1.5, N), ("何ですか", Factual, 1.5, N),
    ("무엇", Factual, 1.5, N), ("что такое", Factual, 2.0, L), ("qué es", Factual, 1.5, L), ("was ist", Factual, 1.5, L),
    ("qu'est-ce", Factual, 1.5, L), ("क्या है", Factual, 1.5, N),
    // --- chit-chat
    ("hello", Chitchat, 2.0, B), ("hi", Chitchat, 2.0, B), ("hey", Chitchat, 2.0, B), ("good morning", Chitchat, 2.0, L),
    ("good night", Chitchat, 2.0, L), ("how are you", Chitchat, 3.0, L), ("thank", Chitchat, 2.0, L), ("bye", Chitchat, 2.0, B),
    ("goodbye", Chitchat, 2.0, B), ("nice to meet", Chitchat, 2.5, L), ("what's up", Chitchat, 2.5, L), ("whats up", Chitchat, 2.5, L),
    ("lol", Chitchat, 1.5, B), ("tell me a joke", Chitchat, 3.0, L), ("are you a bot", Chitchat, 3.0, L), ("who made you", Chitchat, 3.0, L),
    ("your name", Chitchat, 2.0, L), ("how old are you", Chitchat, 3.0, L), ("i'm bored", Chitchat, 2.5, L), ("i am bored", Chitchat, 2.5, L),
    ("cool", Chitchat, 1.0, B), ("awesome", Chitchat, 1.0, B), ("ok", Chitchat, 1.0, B), ("okay", Chitchat, 1.0, B),
    ("yeah", Chitchat, 1.0, B), ("你好", Chitchat, 3.0, N), ("谢谢", Chitchat, 2.5, N), ("こんにちは", Chitchat, 3.0, N),
    ("ありがとう", Chitchat, 2.5, N), ("안녕", Chitchat, 3.0, N), ("감사", Chitchat, 2.0, N), ("привет", Chitchat, 3.0, L),
    ("спасибо", Chitchat, 2.5, L), ("hola", Chitchat, 3.0, B), ("gracias", Chitchat, 2.5, B), ("bonjour", Chitchat, 3.0, B),
    ("merci", Chitchat, 2.5, B), ("hallo", Chitchat, 3.0, B), ("danke", Chitchat, 2.5, B), ("ciao", Chitchat, 3.0, B),
    ("namaste", Chitchat, 3.0, B), ("नमस्ते", Chitchat, 3.0, N), ("धन्यवाद", Chitchat, 2.5, N), ("olá", Chitchat, 3.0, L),
    ("obrigad", Chitchat, 2.5, L),
];
