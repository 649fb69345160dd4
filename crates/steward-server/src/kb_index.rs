//! Full-text search over the knowledge base with tantivy: one document per article and
//! language, each language analysed its own way (English, French, Swedish and German words
//! stemmed and accents folded; Korean cut into character bigrams, which finds words inside
//! the particles and compounds Korean attaches to them), failure codes and tags as plain
//! terms. Queries rank by BM25 with titles and codes weighted up; each word also matches
//! within one or two typos (by its length), scored below exact matches. The index lives in
//! memory: built from the store at start-up and kept current as articles change.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use steward_core::kb::{Article, ArticleLink};
use steward_core::Lang;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Korean: Hangul runs become overlapping character bigrams (a single syllable stays one
/// token); other words are kept whole, lowercased.
#[derive(Clone, Default)]
pub struct KoreanBigrams;

pub struct VecTokens {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

impl Tokenizer for KoreanBigrams {
    type TokenStream<'a> = VecTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokens {
        let mut tokens = Vec::new();
        let mut push = |from: usize, to: usize, text: String| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text,
                position_length: 1,
            });
        };
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let end_of = |i: usize| chars.get(i + 1).map_or(text.len(), |c| c.0);
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            if is_hangul(c) {
                let mut j = i;
                while j + 1 < chars.len() && is_hangul(chars[j + 1].1) {
                    j += 1;
                }
                if i == j {
                    push(start, end_of(i), c.to_string());
                }
                for k in i..j {
                    let pair: String = [chars[k].1, chars[k + 1].1].iter().collect();
                    push(chars[k].0, end_of(k + 1), pair);
                }
                i = j + 1;
            } else if c.is_alphanumeric() {
                let mut j = i;
                while j + 1 < chars.len()
                    && chars[j + 1].1.is_alphanumeric()
                    && !is_hangul(chars[j + 1].1)
                {
                    j += 1;
                }
                push(
                    start,
                    end_of(j),
                    text.get(start..end_of(j))
                        .unwrap_or_default()
                        .to_lowercase(),
                );
                i = j + 1;
            } else {
                i += 1;
            }
        }
        VecTokens { tokens, next: 0 }
    }
}

fn analyzer(lang: Lang) -> TextAnalyzer {
    let stemmer = match lang {
        Lang::En => Language::English,
        Lang::Fr => Language::French,
        Lang::Sv => Language::Swedish,
        Lang::De => Language::German,
        Lang::Ko => return TextAnalyzer::builder(KoreanBigrams).build(),
    };
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser)
        .filter(Stemmer::new(stemmer))
        .filter(AsciiFoldingFilter)
        .build()
}

fn tokenizer_name(lang: Lang) -> String {
    format!("steward_{}", lang.code())
}

#[derive(Clone, Copy)]
struct LangFields {
    lang: Lang,
    title: Field,
    body: Field,
}

/// One article found by a search.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub article_id: String,
    /// The language of the text that matched best.
    pub language: Lang,
    pub score: f32,
}

pub struct KbIndex {
    /// Every article's link, by slug (what failure and alert pages need, without bodies).
    links: RwLock<Arc<Vec<ArticleLink>>>,
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    id: Field,
    lang: Field,
    codes: Field,
    tags: Field,
    langs: Vec<LangFields>,
    /// The revision of each article in the index, and the newest update time among them:
    /// what the refresher compares with the database.
    revisions: Mutex<HashMap<String, u32>>,
    newest_ms: std::sync::atomic::AtomicI64,
}

const TITLE_BOOST: f32 = 3.0;
const CODE_BOOST: f32 = 4.0;
const TAG_BOOST: f32 = 2.0;
/// A word within a typo or two counts this much of an exact one.
const FUZZY_SHARE: f32 = 0.4;

impl KbIndex {
    pub fn new() -> tantivy::Result<KbIndex> {
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let lang = schema.add_text_field("lang", STRING | STORED);
        let plain = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let codes = schema.add_text_field("codes", plain.clone());
        let tags = schema.add_text_field("tags", plain);
        let langs: Vec<LangFields> = Lang::ALL
            .iter()
            .map(|l| {
                let opts = TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(&tokenizer_name(*l))
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                );
                LangFields {
                    lang: *l,
                    title: schema.add_text_field(&format!("title_{}", l.code()), opts.clone()),
                    body: schema.add_text_field(&format!("body_{}", l.code()), opts),
                }
            })
            .collect();
        let index = Index::create_in_ram(schema.build());
        for l in Lang::ALL {
            index.tokenizers().register(&tokenizer_name(l), analyzer(l));
        }
        let writer = index.writer_with_num_threads(1, 30_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(KbIndex {
            links: RwLock::default(),
            index,
            reader,
            writer: Mutex::new(writer),
            id,
            lang,
            codes,
            tags,
            langs,
            revisions: Mutex::default(),
            newest_ms: std::sync::atomic::AtomicI64::new(0),
        })
    }

    fn note(&self, a: &Article) {
        if let Ok(mut r) = self.revisions.lock() {
            r.insert(a.id.clone(), a.revision);
        }
        self.newest_ms
            .fetch_max(a.updated_at, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the index holds this revision of the article (or a later one).
    pub fn is_current(&self, a: &Article) -> bool {
        self.revisions
            .lock()
            .map(|r| r.get(&a.id).is_some_and(|&rev| rev >= a.revision))
            .unwrap_or(false)
    }

    /// The newest update time of an indexed article (ms; 0 when empty).
    pub fn newest_ms(&self) -> i64 {
        self.newest_ms.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn add(&self, writer: &IndexWriter, a: &Article) -> tantivy::Result<()> {
        for f in &self.langs {
            let Some(title) = a.title.get(&f.lang) else {
                continue;
            };
            let body = a.body.get(&f.lang).map(String::as_str).unwrap_or("");
            writer.add_document(doc!(
                self.id => a.id.as_str(),
                self.lang => f.lang.code(),
                self.codes => a.codes.join(" "),
                self.tags => a.tags.join(" "),
                f.title => title.as_str(),
                f.body => body,
            ))?;
        }
        Ok(())
    }

    /// Every article's link, sorted by slug.
    pub fn links(&self) -> Arc<Vec<ArticleLink>> {
        self.links.read().map(|l| l.clone()).unwrap_or_default()
    }

    fn set_links(&self, mut links: Vec<ArticleLink>) {
        links.sort_by(|a, b| a.slug.cmp(&b.slug));
        if let Ok(mut l) = self.links.write() {
            *l = Arc::new(links);
        }
    }

    /// Replaces the whole index with these articles.
    pub fn rebuild(&self, articles: &[Article]) -> tantivy::Result<()> {
        let mut w = self.writer.lock().map_err(|_| poisoned())?;
        w.delete_all_documents()?;
        for a in articles {
            self.add(&w, a)?;
        }
        w.commit()?;
        self.set_links(articles.iter().map(Article::link).collect());
        if let Ok(mut r) = self.revisions.lock() {
            r.clear();
        }
        articles.iter().for_each(|a| self.note(a));
        self.reader.reload()
    }

    /// Adds an article, or replaces what the index had of it (unless the index already holds
    /// that revision or a later one).
    pub fn upsert(&self, a: &Article) -> tantivy::Result<()> {
        let mut w = self.writer.lock().map_err(|_| poisoned())?;
        if self.is_current(a) {
            return Ok(());
        }
        w.delete_term(Term::from_field_text(self.id, &a.id));
        self.add(&w, a)?;
        w.commit()?;
        let mut links: Vec<ArticleLink> = self
            .links()
            .iter()
            .filter(|l| l.id != a.id)
            .cloned()
            .collect();
        links.push(a.link());
        self.set_links(links);
        self.note(a);
        self.reader.reload()
    }

    /// The articles matching `text`, best first, one hit per article; documents in `prefer`
    /// rank above the same match in another language.
    pub fn search(
        &self,
        text: &str,
        prefer: Option<Lang>,
        limit: usize,
    ) -> tantivy::Result<Vec<Hit>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut fields: Vec<(Field, f32, bool)> = vec![
            (self.codes, CODE_BOOST, false),
            (self.tags, TAG_BOOST, false),
        ];
        for f in &self.langs {
            let fuzzy = f.lang != Lang::Ko;
            fields.push((f.title, TITLE_BOOST, fuzzy));
            fields.push((f.body, 1.0, fuzzy));
        }
        for (field, boost, fuzzy) in fields {
            let mut analyzer = self.index.tokenizer_for_field(field)?;
            let mut stream = analyzer.token_stream(text);
            let mut words = Vec::new();
            while stream.advance() {
                words.push(stream.token().text.clone());
            }
            words.sort();
            words.dedup();
            for w in words.into_iter().take(16) {
                let term = Term::from_field_text(field, &w);
                let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(exact), boost)),
                ));
                let chars = w.chars().count();
                if fuzzy && chars >= 4 {
                    let distance = if chars >= 8 { 2 } else { 1 };
                    let near = FuzzyTermQuery::new(term, distance, true);
                    clauses.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(near), boost * FUZZY_SHARE)),
                    ));
                }
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let matching: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        let query: Box<dyn Query> = match prefer {
            Some(l) => {
                let same = TermQuery::new(
                    Term::from_field_text(self.lang, l.code()),
                    IndexRecordOption::Basic,
                );
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, matching),
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(same), 0.5)),
                    ),
                ]))
            }
            None => matching,
        };
        let searcher = self.reader.searcher();
        // Several languages of one article may match: look a little further than `limit`.
        let top = searcher.search(&query, &TopDocs::with_limit(limit * Lang::ALL.len()))?;
        let mut seen = HashSet::new();
        let mut hits = Vec::new();
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address)?;
            let text_of = |f: Field| {
                d.get_first(f)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let id = text_of(self.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            hits.push(Hit {
                article_id: id,
                language: Lang::parse(&text_of(self.lang)).unwrap_or_default(),
                score,
            });
            if hits.len() == limit {
                break;
            }
        }
        Ok(hits)
    }
}

fn poisoned() -> tantivy::TantivyError {
    tantivy::TantivyError::InternalError("search index lock poisoned".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<String> {
        let mut k = KoreanBigrams;
        let mut s = k.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            out.push(s.token().text.clone());
        }
        out
    }

    #[test]
    fn korean_is_cut_into_bigrams_and_other_words_kept_whole() {
        assert_eq!(
            tokens("등록 토큰이 VPN-Client"),
            ["등록", "토큰", "큰이", "vpn", "client"]
        );
        assert_eq!(tokens("앱"), ["앱"]);
    }

    #[test]
    fn stemming_finds_other_forms_of_a_word() {
        let mut a = analyzer(Lang::Fr);
        let mut s = a.token_stream("Réinstaller");
        assert!(s.advance());
        let mut b = analyzer(Lang::Fr);
        let mut t = b.token_stream("réinstallation");
        assert!(t.advance());
        assert_eq!(s.token().text, t.token().text);
    }
}
