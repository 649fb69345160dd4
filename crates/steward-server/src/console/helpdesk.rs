//! Console pages of the help desk: finding a device user and their troubleshooting view
//! (with requests to their devices whose answers appear as they arrive), and the knowledge
//! base (search, articles, feedback, writing and reviewing). Every change goes through the
//! API's handlers.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use steward_core::kb::{failure_reason, Gap};
use steward_core::Lang;
use steward_proto::ErrorCode;

use super::{
    done, error_page, flash, flash_error, fragment, lang_headers, page, Console, Ctx, FormFields,
};
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::helpdesk::{UserView, REQUEST_KINDS};
use crate::kb::{ArticleDetail, ArticleView, SearchHit};
use crate::AppState;

/// The catalog key of a request kind.
pub fn request_key(kind: &str) -> &'static str {
    match kind {
        "sync" => "request-sync",
        "full_scan" => "request-full-scan",
        "update_definitions" => "request-update-definitions",
        "apps" => "request-apps",
        "remediate" => "request-remediate",
        "restart" => "action-restart",
        "logoff" => "action-logoff",
        "run_script" => "action-run-script",
        "collect_diagnostics" => "action-collect-diagnostics",
        "quarantine" => "action-quarantine",
        "lock" => "action-lock",
        "wipe" => "action-wipe",
        _ => "state-other",
    }
}

/// The catalog key of a device's answer code.
pub fn answer_key(code: Option<&str>) -> &'static str {
    match code {
        Some("checked_in") => "answer-checked-in",
        Some("scan_clean") => "answer-scan-clean",
        Some("threats_found") => "answer-threats-found",
        Some("definitions_updated") => "answer-definitions-updated",
        Some("no_engine") => "answer-no-engine",
        Some("unsupported") => "answer-unsupported",
        Some("apps_refreshed") => "answer-apps-refreshed",
        Some("restart_scheduled") => "answer-restart-scheduled",
        Some("logged_off") => "answer-logged-off",
        Some("locked") => "answer-locked",
        Some("wiped") => "answer-wiped",
        Some("diagnostics_uploaded") => "answer-diagnostics-uploaded",
        Some("quarantined") => "answer-quarantined",
        Some("not_supported") => "answer-unsupported",
        Some("hash_mismatch") => "answer-hash-mismatch",
        Some("timed_out") => "answer-timed-out",
        Some("no_answer") => "answer-no-answer",
        Some("superseded") => "answer-superseded",
        Some("exit_0") => "answer-script-succeeded",
        Some(c) if c.starts_with("exit_") => "answer-script-failed",
        _ => "answer-failed",
    }
}

/// Labels shared by the help-desk pages.
pub trait HelpdeskLabels {
    fn ctx(&self) -> &Ctx;

    fn request_kind(&self, kind: &str) -> String {
        self.ctx().t(request_key(kind))
    }

    fn answer(&self, code: &Option<String>) -> String {
        self.ctx().t(answer_key(code.as_deref()))
    }

    /// What a failure code means, in the reader's language.
    fn explain(&self, code: &str) -> String {
        self.ctx()
            .t(failure_reason(code).map_or("reason-unknown", |r| r.explanation))
    }
}

#[derive(Template)]
#[template(path = "helpdesk.html")]
pub struct HelpdeskPage {
    pub ctx: Ctx,
    pub title: String,
    pub q: String,
    pub users: Vec<String>,
}

/// `GET /helpdesk?q=`: find a device user by the start of their address.
pub async fn find(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let q = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let users = if q.is_empty() {
        Vec::new()
    } else {
        match crate::helpdesk::find_users(
            State(state),
            Ok(Query(crate::helpdesk::UserSearch {
                q: q.clone(),
                limit: Some("20".into()),
                cursor: None,
            })),
        )
        .await
        {
            Ok(Json(p)) => p.items,
            Err(e) => return error_page(ctx, e.0),
        }
    };
    let p = HelpdeskPage {
        title: ctx.t("nav-helpdesk"),
        ctx,
        q,
        users,
    };
    page(StatusCode::OK, &p)
}

#[derive(Template)]
#[template(path = "helpdesk_user.html")]
pub struct UserPage {
    pub ctx: Ctx,
    pub title: String,
    pub v: UserView,
}

impl HelpdeskLabels for UserPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

impl UserPage {
    pub fn kinds(&self) -> &'static [&'static str] {
        &REQUEST_KINDS
    }
}

#[derive(Template)]
#[template(path = "helpdesk_requests.html")]
pub struct RequestsFragment {
    pub ctx: Ctx,
    pub v: UserView,
}

impl HelpdeskLabels for RequestsFragment {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

async fn user_view(state: AppState, ctx: &Ctx, user: String) -> Result<UserView, ApiError> {
    crate::helpdesk::user_view(
        State(state),
        ctx.caller.clone(),
        lang_headers(ctx),
        Path(user),
    )
    .await
    .map(|Json(v)| v)
}

/// `GET /helpdesk/users/{user}`: the troubleshooting view.
pub async fn user(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(user): Path<String>,
) -> Response {
    match user_view(state, &ctx, user).await {
        Ok(v) => {
            let p = UserPage {
                title: v.user.clone(),
                ctx,
                v,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

/// `GET /helpdesk/users/{user}/requests`: the requests section alone (polled while requests
/// wait for their answer). Opened as a page of its own, it is the user's page at that section.
pub async fn requests(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(user): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    if !headers.contains_key("hx-request") {
        let to = format!("/helpdesk/users/{}#requests", super::urlencode(&user));
        return axum::response::Redirect::to(&to).into_response();
    }
    match user_view(state, &ctx, user).await {
        Ok(v) => match (RequestsFragment { ctx, v }).render() {
            Ok(html) => fragment(html),
            Err(_) => flash_error(Lang::En, ErrorCode::Internal),
        },
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /devices/{id}/requests`: ask the device for something (the kind in the form).
pub async fn request(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let kind = FormFields::parse(&body).get("kind").unwrap_or_default();
    let call = crate::helpdesk::create_request(
        State(state),
        ctx.caller.clone(),
        Path(id),
        JsonBody(crate::helpdesk::RequestBody { kind }),
    );
    match call.await {
        Ok(_) => super::request_sent(&ctx.t("request-queued")),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /devices/{id}/notes`.
pub async fn note(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let text = FormFields::parse(&body).get("text").unwrap_or_default();
    let call = crate::helpdesk::add_note(
        State(state),
        ctx.caller.clone(),
        Path(id),
        JsonBody(crate::helpdesk::NoteBody { text }),
    );
    done(&ctx, call.await)
}

/// `POST /helpdesk/users/{user}/invite`.
pub async fn invite(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(user): Path<String>,
) -> Response {
    let r = crate::helpdesk::invite(
        State(state),
        ctx.caller.clone(),
        lang_headers(&ctx),
        Path(user),
        JsonBody(Default::default()),
    )
    .await;
    match r {
        Ok((_, Json(i))) if i.mailed => flash("notice", &ctx.t("invite-sent")),
        // E-mail is off: the token and its command, to copy and hand over.
        Ok((_, Json(i))) => fragment(format!(
            "<div class=\"notice\" role=\"status\"><p>{}</p><p class=\"secret\">{}</p>\
             <p class=\"secret\">{}</p></div>",
            super::escape(&ctx.t("invite-not-mailed")),
            super::escape(i.token.as_deref().unwrap_or("")),
            super::escape(i.command.as_deref().unwrap_or("")),
        )),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

// ---- knowledge base ----

#[derive(Template)]
#[template(path = "kb.html")]
pub struct KbPage {
    pub ctx: Ctx,
    pub title: String,
    pub q: String,
    pub hits: Vec<SearchHit>,
    pub articles: Vec<ArticleView>,
    /// The next page of the list.
    pub next: Option<String>,
    pub gaps: Vec<Gap>,
    pub form: ArticleForm,
}

impl HelpdeskLabels for KbPage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

/// `GET /kb?q=`: search, every article, and (for those who keep articles) the gaps.
pub async fn kb(
    State(state): State<AppState>,
    Console(ctx): Console,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let search = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let hits = if search.is_empty() {
        Vec::new()
    } else {
        let found = crate::kb::search(
            State(state.clone()),
            lang_headers(&ctx),
            Ok(Query(crate::kb::SearchQuery {
                q: search.clone(),
                lang: None,
                limit: Some("20".into()),
                cursor: None,
            })),
        )
        .await;
        match found {
            Ok(Json(p)) => p.items,
            Err(e) => return error_page(ctx, e.0),
        }
    };
    let mut page_q: HashMap<String, String> = [("limit".to_string(), "100".to_string())].into();
    if let Some(c) = q.get("cursor") {
        page_q.insert("cursor".into(), c.clone());
    }
    let (articles, next) =
        match crate::kb::list(State(state.clone()), lang_headers(&ctx), Ok(Query(page_q))).await {
            Ok(Json(p)) => (
                p.items,
                p.next_cursor
                    .map(|c| format!("/kb?cursor={}", super::urlencode(&c))),
            ),
            Err(e) => return error_page(ctx, e.0),
        };
    let gaps = if ctx.can("manage_articles") {
        match crate::kb::list_gaps(State(state), super::all_pages()).await {
            Ok(Json(p)) => p.items,
            Err(e) => return error_page(ctx, e.0),
        }
    } else {
        Vec::new()
    };
    let p = KbPage {
        title: ctx.t("nav-kb"),
        form: ArticleForm::new(ctx.lang),
        ctx,
        q: search,
        hits,
        articles,
        next,
        gaps,
    };
    page(StatusCode::OK, &p)
}

/// The article form: empty for a new article, filled for an edit.
pub struct ArticleForm {
    pub action: String,
    pub slug: String,
    pub texts: super::LanguageTexts,
    pub default_language: &'static str,
    pub tags: String,
    pub codes: String,
    pub rules: String,
    pub owner: String,
    pub submit: &'static str,
}

impl ArticleForm {
    fn new(lang: Lang) -> ArticleForm {
        ArticleForm {
            action: "/kb".into(),
            slug: String::new(),
            texts: super::language_texts(&BTreeMap::new(), &BTreeMap::new()),
            default_language: lang.code(),
            tags: String::new(),
            codes: String::new(),
            rules: String::new(),
            owner: String::new(),
            submit: "kb-create",
        }
    }

    fn edit(a: &steward_core::kb::Article) -> ArticleForm {
        let mut f = ArticleForm::new(a.default_language);
        f.action = format!("/kb/{}", a.id);
        f.slug = a.slug.clone();
        f.texts = super::language_texts(&a.title, &a.body);
        f.tags = a.tags.join(", ");
        f.codes = a.codes.join(", ");
        f.rules = a.rules.join(", ");
        f.owner = a.owner.clone();
        f.submit = "notices-save";
        f
    }

    fn parse(f: &FormFields) -> crate::kb::ArticleBody {
        let (title, body) = super::parse_texts(f);
        crate::kb::ArticleBody {
            slug: f.get("slug").unwrap_or_default(),
            title,
            body,
            default_language: f
                .get("default_language")
                .and_then(|c| Lang::parse(&c))
                .unwrap_or_default(),
            tags: super::comma_list(f.get("tags")),
            codes: super::comma_list(f.get("codes")),
            rules: super::comma_list(f.get("rules")),
            owner: f.get("owner").unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "article.html")]
pub struct ArticlePage {
    pub ctx: Ctx,
    pub title: String,
    pub a: ArticleDetail,
    pub shown_in: Lang,
    pub other_languages: Vec<(&'static str, &'static str)>,
    /// The failure code the reader came from, for the feedback.
    pub code: String,
    pub form: ArticleForm,
}

impl HelpdeskLabels for ArticlePage {
    fn ctx(&self) -> &Ctx {
        &self.ctx
    }
}

/// `GET /kb/{id}?in=&code=`: an article (by id or slug) in the reader's language or the one
/// asked for.
pub async fn article(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shown = super::Shown::new(&ctx, &q);
    match crate::kb::get(State(state), shown.headers(), Path(id)).await {
        Ok(Json(a)) => {
            let other_languages = shown.others(a.article.article.title.keys());
            let p = ArticlePage {
                title: a.article.title_text.clone(),
                form: ArticleForm::edit(&a.article.article),
                code: q.get("code").cloned().unwrap_or_default(),
                ctx,
                shown_in: shown.lang,
                other_languages,
                a,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

/// `POST /kb`: a new article from the form.
pub async fn create(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = ArticleForm::parse(&FormFields::parse(&body));
    let call = crate::kb::create(State(state), ctx.caller.clone(), JsonBody(b));
    done(&ctx, call.await)
}

/// `POST /kb/{id}`: a new revision from the form.
pub async fn update(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let b = ArticleForm::parse(&FormFields::parse(&body));
    let call = crate::kb::update(State(state), ctx.caller.clone(), Path(id), JsonBody(b));
    done(&ctx, call.await)
}

/// `POST /kb/{id}/reviewed`: the article is current again.
pub async fn reviewed(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::kb::reviewed(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

/// `POST /kb/{id}/solved|not-solved`: whether the article solved the case.
pub async fn feedback(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> Response {
    if action != "solved" && action != "not-solved" {
        return flash_error(ctx.lang, ErrorCode::NotFound);
    }
    let code = FormFields::parse(&body).get("code");
    let call = crate::kb::feedback(
        State(state),
        ctx.caller.clone(),
        Path(id),
        JsonBody(crate::kb::FeedbackBody {
            solved: action == "solved",
            code,
        }),
    );
    match call.await {
        Ok(_) => flash("notice", &ctx.t("kb-thanks")),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}
