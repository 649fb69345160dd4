//! The knowledge base: troubleshooting articles (per language, with every revision), their
//! full-text search, the failure-reason catalog that links codes to articles, the help
//! desk's feedback on whether an article solved a case, and the gaps that feedback and the
//! failures seen reveal. A fresh installation starts with the starter articles.

use std::collections::{BTreeMap, HashMap};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::kb::{
    article_for_code, failure_reason, gaps, Article, ArticleLink, ArticleScore, FailureReason, Gap,
    FAILURE_REASONS,
};
use steward_core::Lang;
use steward_proto::{ErrorCode, Page};
use steward_store::audit::Actor;
use steward_store::helpdesk::Revision;
use steward_store::StoreError;

use crate::api::Params;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{request_lang, ApiError};
use crate::paging::{Order, Pages, Paging};
use crate::AppState;

const DAY_MS: i64 = 86_400_000;

macro_rules! starter {
    ($slug:literal, [$($tag:literal),*], [$($rule:literal),*]) => {
        (
            $slug,
            &[$($tag),*] as &[&str],
            &[$($rule),*] as &[&str],
            [
                include_str!(concat!("../kb/", $slug, "/en.md")),
                include_str!(concat!("../kb/", $slug, "/fr.md")),
                include_str!(concat!("../kb/", $slug, "/sv.md")),
                include_str!(concat!("../kb/", $slug, "/de.md")),
                include_str!(concat!("../kb/", $slug, "/ko.md")),
            ],
        )
    };
}

type Starter = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    [&'static str; 5],
);

/// The articles a new installation starts with: slug, tags, alert rule types, and the text in
/// English, French, Swedish, German and Korean. Their failure codes come from the catalog.
const STARTER: [Starter; 8] = [
    starter!(
        "enrollment-token-invalid",
        ["enrollment"],
        ["enrollment_failures"]
    ),
    starter!("too-many-devices", ["enrollment"], []),
    starter!("blocked-platform", ["enrollment"], []),
    starter!("already-enrolled", ["enrollment"], []),
    starter!("app-install-failed", ["apps"], []),
    starter!(
        "definitions-out-of-date",
        ["protection"],
        ["signatures_outdated"]
    ),
    starter!(
        "realtime-protection-off",
        ["protection"],
        ["realtime_protection_off", "protection_missing"]
    ),
    starter!("silent-device", ["check-in"], ["not_checked_in"]),
];

/// A Markdown file's `# Title` line and the rest.
fn split_title(md: &str) -> (String, String) {
    let (first, rest) = md.split_once('\n').unwrap_or((md, ""));
    (
        first.trim_start_matches('#').trim().to_string(),
        rest.trim().to_string(),
    )
}

/// The starter articles as of `now`.
pub fn starter_articles(now: i64) -> Vec<Article> {
    STARTER
        .iter()
        .map(|(slug, tags, rules, texts)| {
            let mut title = BTreeMap::new();
            let mut body = BTreeMap::new();
            for (lang, md) in Lang::ALL.iter().zip(texts) {
                let (t, b) = split_title(md);
                title.insert(*lang, t);
                body.insert(*lang, b);
            }
            Article {
                id: uuid::Uuid::now_v7().to_string(),
                slug: slug.to_string(),
                title,
                body,
                default_language: Lang::En,
                tags: tags.iter().map(|t| t.to_string()).collect(),
                codes: FAILURE_REASONS
                    .iter()
                    .filter(|r| r.article == *slug)
                    .map(|r| r.code.to_string())
                    .collect(),
                rules: rules.iter().map(|r| r.to_string()).collect(),
                owner: String::new(),
                last_reviewed_at: now,
                updated_at: now,
                revision: 1,
            }
        })
        .collect()
}

/// At start-up: the starter articles into an empty knowledge base, then every article into
/// the search index.
pub async fn open(state: &AppState) -> anyhow::Result<()> {
    // Two servers starting together on a new database seed the articles once.
    let setup = state.store.setup_lock().await?;
    let seeded = async {
        if state.store.count_articles().await? == 0 {
            let now = state.clock.now_ms();
            state
                .store
                .insert_articles(&starter_articles(now), &Actor::cli())
                .await?;
        }
        anyhow::Ok(())
    }
    .await;
    setup.release().await;
    seeded?;
    let articles = state.store.articles().await?;
    let started = std::time::Instant::now();
    state.kb.rebuild(&articles)?;
    tracing::info!(
        articles = articles.len(),
        ms = started.elapsed().as_millis() as u64,
        "knowledge base indexed"
    );
    Ok(())
}

/// How often each server looks for articles written through another one.
pub const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// How far before the newest change it knows the refresher looks: servers' clocks differ and
/// a write may commit a little after its time was taken.
const REFRESH_OVERLAP_MS: i64 = 60_000;

/// Keeps this server's search index true to the database: articles another server wrote
/// (a newer revision than the index holds) are indexed within [`REFRESH_EVERY`].
pub async fn refresher(state: AppState) {
    let mut tick = tokio::time::interval(REFRESH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let since = state.kb.newest_ms().saturating_sub(REFRESH_OVERLAP_MS);
        match state.store.articles_changed_since(since).await {
            Ok(changed) => {
                for a in changed.iter().filter(|a| !state.kb.is_current(a)) {
                    if let Err(e) = state.kb.upsert(a) {
                        tracing::error!(error = %e, "search index not updated");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "articles not read for the search index"),
        }
    }
}

/// An article as the API takes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleBody {
    pub slug: String,
    pub title: BTreeMap<Lang, String>,
    #[serde(default)]
    pub body: BTreeMap<Lang, String>,
    #[serde(default)]
    pub default_language: Lang,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub owner: String,
}

fn article_from(id: String, b: ArticleBody, now: i64) -> Result<Article, ApiError> {
    let default_language = steward_core::i18n::settle_default(b.default_language, &b.title);
    let a = Article {
        id,
        slug: b.slug.trim().to_string(),
        title: b.title,
        body: b.body,
        default_language,
        tags: b.tags,
        codes: b
            .codes
            .iter()
            .map(|c| c.trim().to_ascii_lowercase())
            .collect(),
        rules: b.rules,
        owner: b.owner,
        last_reviewed_at: now,
        updated_at: now,
        revision: 1,
    };
    a.validate()
        .map_err(|_| ApiError(ErrorCode::InvalidField))?;
    Ok(a)
}

async fn save(state: &AppState, a: &Article, caller: &Caller) -> Result<Article, ApiError> {
    let saved = state
        .store
        .put_article(a, &caller.actor())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError(ErrorCode::Conflict),
            e => e.into(),
        })?;
    if let Err(e) = state.kb.upsert(&saved) {
        tracing::error!(error = %e, "search index not updated");
    }
    Ok(saved)
}

/// An article in the reader's language, with how the help desk rates it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleView {
    #[serde(flatten)]
    pub article: Article,
    pub title_text: String,
    pub body_text: String,
    pub score: ArticleScore,
    pub success_percent: Option<u64>,
}

fn view(a: Article, lang: Lang, score: ArticleScore) -> ArticleView {
    ArticleView {
        title_text: a.title(lang).to_string(),
        body_text: a.body(lang).to_string(),
        success_percent: score.success_percent(),
        score,
        article: a,
    }
}

/// `GET /api/v1/kb/articles?limit=&cursor=`: articles in the reader's language, by slug, a
/// page at a time (the cursor is the last slug of the previous page).
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<ArticleView>>, ApiError> {
    let p = Params::from(query)?;
    let limit = p.limit()?;
    let lang = request_lang(&headers);
    let scores = state.store.article_scores().await?;
    let items: Vec<ArticleView> = state
        .store
        .articles_page(p.get("cursor"), limit)
        .await?
        .into_iter()
        .map(|a| {
            let s = scores.get(&a.id).cloned().unwrap_or_default();
            view(a, lang, s)
        })
        .collect();
    let next_cursor = (items.len() == limit as usize)
        .then(|| items.last().map(|a| a.article.slug.clone()))
        .flatten();
    Ok(Json(Page {
        total: Some(state.store.count_articles().await?),
        items,
        next_cursor,
    }))
}

/// An article with its revisions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub article: ArticleView,
    pub revisions: Vec<Revision>,
}

/// `GET /api/v1/kb/articles/{id}` (the id or the slug).
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ArticleDetail>, ApiError> {
    let a = state.store.article(&id).await?;
    let score = state.store.article_score(&a.id).await?;
    let revisions = state.store.article_revisions(&a.id).await?;
    Ok(Json(ArticleDetail {
        article: view(a, request_lang(&headers), score),
        revisions,
    }))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<ArticleBody>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let a = article_from(uuid::Uuid::now_v7().to_string(), b, state.clock.now_ms())?;
    Ok((StatusCode::CREATED, Json(save(&state, &a, &caller).await?)))
}

/// `PUT /api/v1/kb/articles/{id}`: a new revision (the old ones are kept). Writing it counts
/// as reviewing it.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<ArticleBody>,
) -> Result<Json<Article>, ApiError> {
    let before = state.store.article(&id).await?;
    let a = article_from(before.id, b, state.clock.now_ms())?;
    Ok(Json(save(&state, &a, &caller).await?))
}

/// `POST /api/v1/kb/articles/{id}/reviewed`: checked and still right.
pub async fn reviewed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Article>, ApiError> {
    let mut a = state.store.article(&id).await?;
    let now = state.clock.now_ms();
    a.last_reviewed_at = now;
    a.updated_at = now;
    Ok(Json(save(&state, &a, &caller).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    pub solved: bool,
    /// The failure code the case was about.
    #[serde(default)]
    pub code: Option<String>,
}

/// `POST /api/v1/kb/articles/{id}/feedback`: whether the article solved the case.
pub async fn feedback(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<FeedbackBody>,
) -> Result<StatusCode, ApiError> {
    let a = state.store.article(&id).await?;
    if b.code
        .as_deref()
        .is_some_and(|c| c.is_empty() || c.chars().count() > 100)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let who = caller.user_id.clone().unwrap_or_else(|| caller.actor().id);
    state
        .store
        .article_feedback(
            &a.id,
            b.solved,
            b.code.as_deref(),
            &who,
            state.clock.now_ms(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SearchQuery {
    pub q: String,
    /// The language to prefer (else the request's).
    #[serde(default)]
    pub lang: Option<String>,
    /// Results per page, 1 to 50 (default 10).
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Search results reachable by paging at most.
const MAX_SEARCH_RESULTS: usize = 500;

/// One search result.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub id: String,
    pub slug: String,
    pub title: String,
    /// The start of the article's text, in the reader's language.
    pub summary: String,
    /// The language whose text matched.
    pub matched_language: Lang,
    pub score: f32,
    pub codes: Vec<String>,
}

/// The first words of a Markdown text, as plain text.
fn summary(md: &str) -> String {
    // Without heading marks, list markers and emphasis; codes such as 0x80070643 stay whole.
    let unmarked = |line: &str| -> String {
        let l = line.trim_start().trim_start_matches('#').trim_start();
        let l = match l.split_once(". ") {
            Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => l
                .strip_prefix("- ")
                .or_else(|| l.strip_prefix("* "))
                .unwrap_or(l),
        };
        l.replace(['*', '`'], "")
    };
    let plain = md
        .lines()
        .map(unmarked)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let mut out: String = plain.chars().take(200).collect();
    if plain.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_drops_markup_but_keeps_codes() {
        let md = "# Title\n\n1. Check **0x80070643** in `the log`.\n- then retry\n";
        assert_eq!(summary(md), "Title Check 0x80070643 in the log. then retry");
    }

    #[test]
    fn every_starter_article_has_all_five_languages_and_its_catalog_codes() {
        let articles = starter_articles(0);
        assert_eq!(articles.len(), 8);
        for a in &articles {
            assert_eq!(a.validate(), Ok(()), "{}", a.slug);
            for l in Lang::ALL {
                assert!(
                    !a.title(l).is_empty() && !a.body(l).is_empty(),
                    "{} {l:?}",
                    a.slug
                );
                assert!(a.body.contains_key(&l), "{} lacks {l:?}", a.slug);
            }
        }
        for r in FAILURE_REASONS {
            assert!(
                articles
                    .iter()
                    .any(|a| a.slug == r.article && a.codes.iter().any(|c| c == r.code)),
                "{} points at a missing article {}",
                r.code,
                r.article
            );
        }
    }
}

/// `GET /api/v1/kb/search?q=…&lang=…&limit=…`.
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Json<Page<SearchHit>>, ApiError> {
    let bad = || ApiError(ErrorCode::InvalidQuery);
    let Query(q) = query.map_err(|_| bad())?;
    if steward_proto::text::is_blank(&q.q) || q.q.chars().count() > 500 {
        return Err(bad());
    }
    let lang = match q.lang.as_deref() {
        Some(l) => Lang::parse(l).ok_or_else(bad)?,
        None => request_lang(&headers),
    };
    let limit = match q.limit.as_deref() {
        None => 10,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(bad)?,
    };
    let paging = Paging::parse(Some(&limit.to_string()), q.cursor.as_deref())?;
    let start = match &paging.after {
        None => 0,
        Some(a) => a
            .parse::<usize>()
            .ok()
            .filter(|s| *s < MAX_SEARCH_RESULTS)
            .ok_or(ApiError(ErrorCode::InvalidCursor))?,
    };
    // One more than the page, to know whether another follows.
    let wanted = (start + limit + 1).min(MAX_SEARCH_RESULTS);
    let index = state.kb.clone();
    let text = q.q.clone();
    let hits = tokio::task::spawn_blocking(move || index.search(&text, Some(lang), wanted))
        .await
        .map_err(|_| ApiError(ErrorCode::Internal))?
        .map_err(|e| {
            tracing::error!(error = %e, "search failed");
            ApiError(ErrorCode::Internal)
        })?;
    let more = hits.len() > start + limit;
    let mut items = Vec::with_capacity(limit);
    for h in hits.into_iter().skip(start).take(limit) {
        let Ok(a) = state.store.article(&h.article_id).await else {
            continue;
        };
        items.push(SearchHit {
            title: a.title(lang).to_string(),
            summary: summary(a.body(lang)),
            id: a.id,
            slug: a.slug,
            matched_language: h.language,
            score: h.score,
            codes: a.codes,
        });
    }
    let total = (start == 0 && !more).then_some(items.len() as u64);
    Ok(Json(Page {
        items,
        next_cursor: more.then(|| crate::paging::encode(&(start + limit).to_string())),
        total,
    }))
}

/// A failure code as the help desk sees it: what it means and which article fixes it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explained {
    pub code: String,
    pub known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static FailureReason>,
    pub explanation: String,
    /// The article for it: one naming the code, else the catalog's.
    pub article_id: Option<String>,
    pub article_slug: Option<String>,
    pub article_title: Option<String>,
}

/// Explains a failure code, with the article for it among `links`.
pub fn explain(code: &str, links: &[ArticleLink], lang: Lang) -> Explained {
    let reason = failure_reason(code);
    let article = article_for_code(links, code);
    Explained {
        code: code.to_string(),
        known: reason.is_some(),
        reason,
        explanation: steward_core::t(lang, reason.map_or("reason-unknown", |r| r.explanation)),
        article_id: article.map(|a| a.id.clone()),
        article_slug: article.map(|a| a.slug.clone()),
        article_title: article.map(|a| a.title(lang).to_string()),
    }
}

/// `GET /api/v1/failure-reasons`: the catalog, each code with its explanation and article.
pub async fn failure_reasons(
    State(state): State<AppState>,
    headers: HeaderMap,
    Pages(p): Pages,
) -> Result<Json<Page<Explained>>, ApiError> {
    let lang = request_lang(&headers);
    let links = state.kb.links();
    let items: Vec<Explained> = FAILURE_REASONS
        .iter()
        .map(|r| explain(r.code, &links, lang))
        .collect();
    Ok(Json(p.page(items, Order::Asc, |e| e.code.clone())))
}

/// `GET /api/v1/kb/gaps`: articles that rarely solve cases, and failure codes frequent in
/// the last 30 days without an article that works.
pub async fn list_gaps(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<Gap>>, ApiError> {
    let now = state.clock.now_ms();
    let scores = state.store.article_scores().await?;
    let failures = state.store.failure_counts(now - 30 * DAY_MS).await?;
    let items = gaps(&state.kb.links(), &scores, &failures, 5, 5);
    Ok(Json(p.page_ranked(items)?))
}
