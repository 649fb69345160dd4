//! Update awareness: the message center (notices by hand, through the API or from vendor
//! feeds; each person's read, acknowledged, archived and favourite state; e-mail to
//! administrators for major updates; help-desk briefings with reminders), the operational
//! plan, and the readiness checklist computed live.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::alerting::{Reason, Severity};
use steward_core::awareness::{
    admins_aware, help_desk_aware, parse_feed, Category, Check, Notice, NoticeSeverity, OpsPlan,
    PlatformRange, ReleaseStatus,
};
use steward_core::time::parse_rfc3339;
use steward_core::{Lang, Role};
use steward_proto::{ErrorCode, Page};
use steward_store::awareness::{Feed, NoticeAction, NoticeState};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::{request_lang, ApiError};
use crate::paging::{Order, Pages, Paging};
use crate::AppState;

const PLAN: &str = "ops_plan";

/// A notice as the API takes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    pub title: BTreeMap<Lang, String>,
    #[serde(default)]
    pub body: BTreeMap<Lang, String>,
    #[serde(default)]
    pub default_language: Lang,
    #[serde(default)]
    pub category: Category,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub severity: NoticeSeverity,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<PlatformRange>,
    /// RFC 3339.
    #[serde(default)]
    pub act_by: Option<String>,
    #[serde(default)]
    pub release_status: ReleaseStatus,
    #[serde(default)]
    pub help_desk: bool,
}

fn notice_from(id: String, b: NoticeBody, now: i64) -> Result<Notice, ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let act_by = match &b.act_by {
        Some(t) => Some(parse_rfc3339(t).ok_or_else(bad)?),
        None => None,
    };
    let default_language = steward_core::i18n::settle_default(b.default_language, &b.title);
    let n = Notice {
        id,
        source: "manual".into(),
        source_id: None,
        title: b.title,
        body: b.body,
        default_language,
        category: b.category,
        tags: b.tags,
        severity: b.severity,
        features: b.features,
        platforms: b.platforms,
        act_by,
        release_status: b.release_status,
        help_desk: b.help_desk,
        created_at: now,
        updated_at: now,
        revised: false,
    };
    n.validate().map_err(|_| bad())?;
    Ok(n)
}

/// A notice in the reader's language with the reader's state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    #[serde(flatten)]
    pub notice: Notice,
    pub title_text: String,
    pub body_text: String,
    pub state: NoticeState,
}

fn view(n: Notice, state: NoticeState, lang: Lang) -> NoticeView {
    NoticeView {
        title_text: n.title(lang).to_string(),
        body_text: n.body(lang).to_string(),
        notice: n,
        state,
    }
}

/// E-mails every administrator who wants them about a major update, in their language.
async fn announce_major(state: &AppState, n: &Notice) -> Result<(), ApiError> {
    if !n.is_major() {
        return Ok(());
    }
    let admins = state.store.people_with_role(Role::Administrator).await?;
    let link = format!("{}/notices/{}", state.config.console_url(), n.id);
    let mails: Vec<_> = admins
        .into_iter()
        .filter(|(_, wants)| *wants)
        .map(|(u, _)| {
            let lang = Lang::parse(&u.language).unwrap_or_default();
            let (subject, body) = notice_mail(lang, n, &link, "notice-mail-subject");
            (u.id, u.email, lang.code().to_string(), subject, body)
        })
        .collect();
    crate::notify::mail_people(state, "major_update", &mails, state.clock.now_ms(), 0).await?;
    Ok(())
}

fn notice_mail(lang: Lang, n: &Notice, link: &str, subject_key: &str) -> (String, String) {
    let args = |pairs: &[(&'static str, String)]| steward_core::t_args(lang, subject_key, pairs);
    let subject = args(&[("title", n.title(lang).to_string())]);
    let body = format!(
        "{}\n\n{}\n\n{}\n",
        n.title(lang),
        n.body(lang),
        steward_core::t_args(lang, "notify-open", &[("url", link.to_string())])
    );
    (subject, body)
}

/// Which notices a list shows.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NoticeFilter {
    /// `inbox` (not archived, the default), `unread`, `favourites`, `archived` or `all`.
    #[serde(default)]
    pub view: Option<String>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    /// Only notices meant for the help desk.
    #[serde(default)]
    pub help_desk: Option<bool>,
    /// Only notices naming this feature.
    #[serde(default)]
    pub feature: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

impl NoticeFilter {
    fn keeps(&self, n: &Notice, s: &NoticeState) -> Result<bool, ApiError> {
        let in_view = match self.view.as_deref().unwrap_or("inbox") {
            "inbox" => !s.archived,
            "unread" => !s.archived && s.read_at.is_none(),
            "favourites" => s.favourite,
            "archived" => s.archived,
            "all" => true,
            _ => return Err(ApiError(ErrorCode::InvalidQuery)),
        };
        Ok(in_view
            && self.tag.as_deref().is_none_or(|t| n.has_tag(t))
            && self.category.is_none_or(|c| n.category == c)
            && self.help_desk.is_none_or(|h| n.help_desk == h)
            && self
                .feature
                .as_deref()
                .is_none_or(|f| n.features.iter().any(|x| x.eq_ignore_ascii_case(f))))
    }
}

/// `GET /api/v1/notices`: newest first, with the caller's state, in the caller's language;
/// archived notices only when asked for.
pub async fn list_notices(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    query: Result<Query<NoticeFilter>, QueryRejection>,
) -> Result<Json<Page<NoticeView>>, ApiError> {
    let Query(filter) = query.map_err(|_| ApiError(ErrorCode::InvalidQuery))?;
    let bad_tag = filter
        .tag
        .as_deref()
        .is_some_and(|t| !steward_core::awareness::TAGS.contains(&t));
    let bad_feature = filter
        .feature
        .as_deref()
        .is_some_and(|f| f.chars().count() > 255);
    if bad_tag || bad_feature {
        return Err(ApiError(ErrorCode::InvalidQuery));
    }
    let paging = Paging::parse(filter.limit.as_deref(), filter.cursor.as_deref())?;
    // The cursor is the creation time and id of the last notice shown.
    let mut before: Option<(i64, String)> = match &paging.after {
        None => None,
        Some(c) => {
            let (at, id) = c
                .split_once(':')
                .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_string())))
                .ok_or(ApiError(ErrorCode::InvalidCursor))?;
            Some((at, id))
        }
    };
    let lang = request_lang(&headers);
    let user = caller.user_id.clone().unwrap_or_default();
    let mut items = Vec::new();
    let mut next_cursor = None;
    // The filters are applied here, so read in batches until the page is full.
    'walk: loop {
        let batch = state
            .store
            .notices_before(&user, before.as_ref().map(|(a, i)| (*a, i.as_str())), 500)
            .await?;
        let exhausted = batch.len() < 500;
        for (n, s) in batch {
            before = Some((n.created_at, n.id.clone()));
            if !filter.keeps(&n, &s)? {
                continue;
            }
            if items.len() == paging.limit {
                let last: &NoticeView = &items[paging.limit - 1];
                next_cursor = Some(crate::paging::encode(&format!(
                    "{}:{}",
                    last.notice.created_at, last.notice.id
                )));
                break 'walk;
            }
            items.push(view(n, s, lang));
        }
        if exhausted {
            break;
        }
    }
    // Counted only when the whole list fits in this page (counting costs a full walk).
    let total = (paging.after.is_none() && next_cursor.is_none()).then_some(items.len() as u64);
    Ok(Json(Page {
        items,
        next_cursor,
        total,
    }))
}

/// Who must acknowledge a notice, who has and who has not.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Acknowledgments {
    pub audience: &'static str,
    pub acknowledged: Vec<String>,
    pub missing: Vec<String>,
}

async fn acknowledgments(
    state: &AppState,
    n: &Notice,
) -> Result<Option<Acknowledgments>, ApiError> {
    let (audience, role) = if n.help_desk {
        ("helpdesk", Role::Helpdesk)
    } else if n.for_admins() {
        ("administrator", Role::Administrator)
    } else {
        return Ok(None);
    };
    let acks = state.store.acknowledged_by(&n.id).await?;
    let (mut acknowledged, mut missing) = (Vec::new(), Vec::new());
    for (u, _) in state.store.people_with_role(role).await? {
        if acks.contains(&u.id) {
            acknowledged.push(u.email);
        } else {
            missing.push(u.email);
        }
    }
    Ok(Some(Acknowledgments {
        audience,
        acknowledged,
        missing,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeDetail {
    #[serde(flatten)]
    pub notice: NoticeView,
    pub acknowledgments: Option<Acknowledgments>,
}

pub async fn get_notice(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<NoticeDetail>, ApiError> {
    let n = state.store.notice(&id).await?;
    let user = caller.user_id.clone().unwrap_or_default();
    let st = state.store.notice_state(&id, &user).await?;
    let acknowledgments = acknowledgments(&state, &n).await?;
    Ok(Json(NoticeDetail {
        notice: view(n, st, request_lang(&headers)),
        acknowledgments,
    }))
}

/// `POST /api/v1/notices`: a notice by hand (administrators and operators). Administrators
/// get an e-mail at once for a major update.
pub async fn create_notice(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<NoticeBody>,
) -> Result<(StatusCode, Json<Notice>), ApiError> {
    let now = state.clock.now_ms();
    let n = notice_from(uuid::Uuid::now_v7().to_string(), b, now)?;
    let n = state.store.put_notice(&n, &caller.actor()).await?;
    announce_major(&state, &n).await?;
    Ok((StatusCode::CREATED, Json(n)))
}

pub async fn update_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<NoticeBody>,
) -> Result<Json<Notice>, ApiError> {
    state.store.notice(&id).await?;
    let n = notice_from(id, b, state.clock.now_ms())?;
    Ok(Json(state.store.put_notice(&n, &caller.actor()).await?))
}

/// `POST /api/v1/notices/{id}/read|acknowledge|archive|unarchive|favourite|unfavourite`.
pub async fn notice_action(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let action = match action.as_str() {
        "read" => NoticeAction::Read,
        "acknowledge" => NoticeAction::Acknowledge,
        "archive" => NoticeAction::Archive,
        "unarchive" => NoticeAction::Unarchive,
        "favourite" => NoticeAction::Favourite,
        "unfavourite" => NoticeAction::Unfavourite,
        _ => return Err(ApiError(ErrorCode::NotFound)),
    };
    // States belong to people: a service token has none.
    let user = caller.user_id.ok_or(ApiError(ErrorCode::Forbidden))?;
    state
        .store
        .notice_action(&id, &user, action, state.clock.now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/notices/{id}/remind`: e-mails everyone who must acknowledge and has not.
pub async fn remind(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Reminded>, ApiError> {
    let n = state.store.notice(&id).await?;
    let Some(a) = acknowledgments(&state, &n).await? else {
        return Err(ApiError(ErrorCode::Conflict));
    };
    if !state.config.notify.mail_configured() {
        return Err(ApiError(ErrorCode::MailNotConfigured));
    }
    let role = if n.help_desk {
        Role::Helpdesk
    } else {
        Role::Administrator
    };
    let link = format!("{}/notices/{}", state.config.console_url(), n.id);
    let mails: Vec<_> = state
        .store
        .people_with_role(role)
        .await?
        .into_iter()
        .filter(|(u, _)| a.missing.contains(&u.email))
        .map(|(u, _)| {
            let lang = Lang::parse(&u.language).unwrap_or_default();
            let (subject, body) = notice_mail(lang, &n, &link, "notice-reminder-subject");
            (u.id, u.email, lang.code().to_string(), subject, body)
        })
        .collect();
    let n = crate::notify::mail_people(&state, "reminder", &mails, state.clock.now_ms(), 0).await?;
    Ok(Json(Reminded {
        reminded: n as u64,
        missing: a.missing,
    }))
}

/// A reminder sent: how many were mailed, and who has still not acknowledged.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reminded {
    pub reminded: u64,
    pub missing: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    pub major_update_mail: bool,
    #[serde(default = "yes")]
    pub weekly_digest: bool,
}

fn yes() -> bool {
    true
}

/// `PUT /api/v1/notices/preferences`: whether the caller gets an e-mail per major update.
pub async fn preferences(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(p): JsonBody<Preferences>,
) -> Result<StatusCode, ApiError> {
    let user = caller.user_id.ok_or(ApiError(ErrorCode::Forbidden))?;
    state
        .store
        .set_notice_mail(&user, p.major_update_mail, p.weekly_digest)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- feeds ----

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedBody {
    pub name: String,
    pub url: String,
    /// What imported notices get (tags, category, platforms, help_desk …).
    #[serde(default)]
    pub defaults: serde_json::Value,
    #[serde(default = "hourly")]
    pub interval_minutes: u32,
}

fn hourly() -> u32 {
    60
}

/// The notice a feed's entries start from.
fn feed_template(defaults: &serde_json::Value) -> Result<NoticeBody, ApiError> {
    let mut v = if defaults.is_null() {
        serde_json::json!({})
    } else {
        defaults.clone()
    };
    let obj = v.as_object_mut().ok_or(ApiError(ErrorCode::InvalidField))?;
    obj.insert("title".into(), serde_json::json!({"en": "-"}));
    serde_json::from_value(v).map_err(|_| ApiError(ErrorCode::InvalidField))
}

pub async fn list_feeds(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<Feed>>, ApiError> {
    let items = state.store.list_feeds().await?;
    Ok(Json(p.page(items, Order::Asc, |f| f.id.clone())))
}

fn feed_from(state: &AppState, id: String, b: FeedBody) -> Result<Feed, ApiError> {
    if steward_proto::text::is_blank(&b.name)
        || !(b.url.starts_with("http://") || b.url.starts_with("https://"))
        || b.interval_minutes == 0
        || b.interval_minutes > 7 * 24 * 60
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    state
        .outbound
        .check(&b.url)
        .map_err(|_| ApiError(ErrorCode::OutboundRefused))?;
    notice_from(String::new(), feed_template(&b.defaults)?, 0)?;
    Ok(Feed {
        id,
        name: b.name.trim().to_string(),
        url: b.url,
        defaults: b.defaults,
        interval_minutes: b.interval_minutes,
        last_fetched_at: None,
        last_error: None,
    })
}

pub async fn create_feed(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<FeedBody>,
) -> Result<(StatusCode, Json<Feed>), ApiError> {
    let f = feed_from(&state, uuid::Uuid::now_v7().to_string(), b)?;
    state
        .store
        .put_feed(&f, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(f)))
}

/// `PUT /api/v1/feeds/{id}`: new name, address, defaults or interval; notices already
/// imported keep what they got.
pub async fn update_feed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(b): JsonBody<FeedBody>,
) -> Result<Json<Feed>, ApiError> {
    let before = state.store.feed(&id).await?;
    let mut f = feed_from(&state, id, b)?;
    f.last_fetched_at = before.last_fetched_at;
    f.last_error = before.last_error;
    state
        .store
        .put_feed(&f, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(f))
}

/// `DELETE /api/v1/feeds/{id}`: stops reading it; its notices stay.
pub async fn delete_feed(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .delete_feed(&id, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What one fetch of a feed did.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct FetchResult {
    pub new: usize,
    pub updated: usize,
    pub error: Option<String>,
}

/// Reads a feed now: new entries become notices (administrators are mailed about major ones),
/// changed entries update theirs (marked revised), known ones are left alone.
pub async fn fetch_feed(state: &AppState, feed: &Feed) -> Result<FetchResult, ApiError> {
    let now = state.clock.now_ms();
    let template = notice_from(String::new(), feed_template(&feed.defaults)?, now)?;
    let got = match state.outbound.get(&feed.url).await {
        Ok(bytes) => parse_feed(&bytes),
        Err(e) => Err(e),
    };
    let mut out = FetchResult::default();
    match got {
        Err(e) => out.error = Some(e),
        Ok(entries) => {
            for e in entries.iter().take(1000) {
                if let Some((n, is_new)) = state
                    .store
                    .import_feed_entry(feed, e, &template, now)
                    .await?
                {
                    if is_new {
                        out.new += 1;
                        announce_major(state, &n).await?;
                    } else {
                        out.updated += 1;
                    }
                }
            }
        }
    }
    state
        .store
        .record_feed_fetch(&feed.id, now, out.error.as_deref())
        .await?;
    Ok(out)
}

/// `POST /api/v1/feeds/{id}/fetch`.
pub async fn fetch_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FetchResult>, ApiError> {
    let feed = state.store.feed(&id).await?;
    Ok(Json(fetch_feed(&state, &feed).await?))
}

/// Reads every feed whose interval has passed, and sends the weekly digest when it is due;
/// once a minute.
pub async fn feed_poller(state: AppState) {
    loop {
        let now = state.clock.now_ms();
        if let Ok(due) = state.store.due_feeds(now).await {
            for f in due {
                if let Err(e) = fetch_feed(&state, &f).await {
                    tracing::warn!(feed = %f.id, error = %e.0.as_str(), "feed import failed");
                }
            }
        }
        if let Err(e) = digest(&state, now).await {
            tracing::warn!(error = %e.0.as_str(), "weekly digest failed");
        }
        state.clock.sleep_until(now + 60_000).await;
    }
}

const DIGEST: &str = "notice_digest";
const WEEK_MS: i64 = 7 * 86_400_000;

/// Once a week: every person who wants it gets the notices of the week they have not read,
/// in their language. The first run only starts the count.
pub async fn digest(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let last: Option<i64> = state
        .store
        .document(DIGEST)
        .await?
        .and_then(|v| v["last_sent_at"].as_i64());
    let mark = |at: i64| serde_json::json!({ "last_sent_at": at });
    let actor = steward_store::audit::Actor::cli();
    let Some(last) = last else {
        state
            .store
            .put_document(DIGEST, &mark(now), now, &actor)
            .await?;
        return Ok(0);
    };
    if now - last < WEEK_MS {
        return Ok(0);
    }
    let link = format!("{}/notices", state.config.console_url());
    let mut mails = Vec::new();
    for u in state.store.digest_readers().await? {
        let lang = Lang::parse(&u.language).unwrap_or_default();
        let unread: Vec<String> = state
            .store
            .list_notices(&u.id, 200)
            .await?
            .into_iter()
            .filter(|(n, s)| n.created_at > last && s.read_at.is_none() && !s.archived)
            .map(|(n, _)| format!("- {}", n.title(lang)))
            .collect();
        if unread.is_empty() {
            continue;
        }
        let subject = steward_core::t_args(
            lang,
            "notice-digest-subject",
            &[("count", unread.len().to_string())],
        );
        let body = format!(
            "{}\n\n{}\n\n{}\n",
            subject,
            unread.join("\n"),
            steward_core::t_args(lang, "notify-open", &[("url", link.clone())])
        );
        mails.push((u.id, u.email, lang.code().to_string(), subject, body));
    }
    let n = crate::notify::mail_people(state, "digest", &mails, now, 0).await?;
    state
        .store
        .put_document(DIGEST, &mark(now), now, &actor)
        .await?;
    Ok(n)
}

// ---- operational plan ----

/// The plan and the discovery questions still open.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    #[serde(flatten)]
    pub plan: OpsPlan,
    pub unanswered: Vec<String>,
}

/// The scheduled reports' ids (a reporting line of the plan names one).
async fn report_ids(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .store
        .report_schedules()
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

async fn plan(state: &AppState) -> Result<OpsPlan, ApiError> {
    Ok(state
        .store
        .document(PLAN)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

pub async fn get_plan(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<PlanView>, ApiError> {
    let lang = request_lang(&headers);
    let plan = plan(&state).await?;
    let unanswered = plan
        .unanswered(&report_ids(&state).await?)
        .iter()
        .map(|k| steward_core::t(lang, k))
        .collect();
    Ok(Json(PlanView { plan, unanswered }))
}

pub async fn put_plan(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(p): JsonBody<OpsPlan>,
) -> Result<Json<PlanView>, ApiError> {
    p.validate()
        .map_err(|_| ApiError(ErrorCode::InvalidField))?;
    let body = serde_json::to_value(&p).map_err(|_| ApiError(ErrorCode::Internal))?;
    state
        .store
        .put_document(PLAN, &body, state.clock.now_ms(), &caller.actor())
        .await?;
    get_plan(State(state), headers).await
}

// ---- readiness ----

/// The checklist, each item with its evidence in the reader's language.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReadinessItem {
    pub id: &'static str,
    pub pass: bool,
    pub evidence: Vec<String>,
    pub link: &'static str,
}

/// The rule types monitoring must have on (item 1), as alternatives.
const MONITORING: [&[&str]; 6] = [
    &["active_threat"],
    &["protection_missing", "realtime_protection_off"],
    &["signatures_outdated"],
    &["noncompliant"],
    &["not_checked_in"],
    &["enrollment_failures"],
];

fn monitoring(state: &AppState, tested: &[String]) -> Check {
    let rules = state.store.alert_rules();
    let on: Vec<&str> = rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.condition.type_name())
        .collect();
    let missing: Vec<&str> = MONITORING
        .iter()
        .filter(|alts| !alts.iter().any(|t| on.contains(t)))
        .map(|alts| alts[0])
        .collect();
    let mut evidence = Vec::new();
    if !missing.is_empty() {
        evidence.push(Reason::new(
            "readiness-missing-rules",
            &[("types", missing.join(", "))],
        ));
    }
    if tested.is_empty() {
        evidence.push(Reason::new("readiness-no-tested-channel", &[]));
    }
    let pass = evidence.is_empty();
    if pass {
        evidence.push(Reason::new(
            "readiness-monitoring-ok",
            &[("channels", tested.join(", "))],
        ));
    }
    Check {
        id: "monitoring",
        pass,
        evidence,
        link: "/rules",
    }
}

async fn reacting(state: &AppState, now: i64) -> Result<Check, ApiError> {
    let rules = state.store.alert_rules();
    let channels = state.store.channels();
    let critical: Vec<_> = rules
        .iter()
        .filter(|r| r.enabled && r.severity == Severity::Critical)
        .collect();
    let oncall = |r: &&steward_core::alerting::AlertRule| {
        !r.notify.channels.is_empty()
            || channels
                .iter()
                .any(|c| c.enabled && c.severities.contains(&Severity::Critical))
    };
    let mut evidence = Vec::new();
    let no_oncall: Vec<&str> = critical
        .iter()
        .filter(|r| !oncall(r))
        .map(|r| r.name.as_str())
        .collect();
    if !no_oncall.is_empty() {
        evidence.push(Reason::new(
            "readiness-no-oncall",
            &[("rules", no_oncall.join(", "))],
        ));
    }
    let no_escalation: Vec<&str> = critical
        .iter()
        .filter(|r| r.notify.escalation.is_empty())
        .map(|r| r.name.as_str())
        .collect();
    if !no_escalation.is_empty() {
        evidence.push(Reason::new(
            "readiness-no-escalation",
            &[("rules", no_escalation.join(", "))],
        ));
    }
    if critical.is_empty() {
        evidence.push(Reason::new("readiness-no-critical-rules", &[]));
    }
    let target = i64::from(state.config.awareness.ack_target_minutes) * 60_000;
    let late = state
        .store
        .response_rows(now - 30 * 86_400_000, now + 1)
        .await?;
    let overdue = late
        .iter()
        .filter(|r| {
            r.severity == "critical"
                && r.acknowledged_at.is_none()
                && r.resolved_at.is_none()
                && now - r.fired_at > target
        })
        .count();
    if overdue > 0 {
        evidence.push(Reason::new(
            "readiness-unacknowledged-critical",
            &[
                ("count", overdue.to_string()),
                (
                    "minutes",
                    state.config.awareness.ack_target_minutes.to_string(),
                ),
            ],
        ));
    }
    let pass = evidence.is_empty();
    let acks: Vec<(i64, Option<i64>, Option<i64>)> = late
        .iter()
        .filter(|r| r.severity == "critical")
        .map(|r| (r.fired_at, r.acknowledged_at, r.resolved_at))
        .collect();
    if let Some(p50) = steward_core::notify::response_stats(&acks).ack_p50_secs {
        evidence.push(Reason::new(
            "readiness-ack-median",
            &[("minutes", format!("{:.0}", p50 / 60.0))],
        ));
    }
    Ok(Check {
        id: "reacting",
        pass,
        evidence,
        link: "/alerts",
    })
}

/// Computes the readiness checklist now.
pub async fn checklist(state: &AppState) -> Result<Vec<Check>, ApiError> {
    let now = state.clock.now_ms();
    let grace = state.config.awareness.grace_days;
    let tested = state.store.tested_channels().await?;
    let notices = state.store.all_notices().await?;
    let acks = state.store.acknowledgments().await?;
    let acked = |n: &str, u: &str| acks.contains(&(n.to_string(), u.to_string()));
    let people = |list: Vec<(steward_proto::UserInfo, bool)>| -> Vec<(String, String)> {
        list.into_iter().map(|(u, _)| (u.id, u.email)).collect()
    };
    let admins = people(state.store.people_with_role(Role::Administrator).await?);
    let desk = people(state.store.people_with_role(Role::Helpdesk).await?);
    let (_, counts) = crate::fleet::counts(state).await?;
    let mut platforms: Vec<steward_proto::Platform> = Vec::new();
    for c in counts.iter().filter(|c| c.count > 0) {
        if let Some(p) = steward_proto::Platform::parse(&c.platform) {
            if !platforms.contains(&p) {
                platforms.push(p);
            }
        }
    }
    let plan = plan(state).await?;
    let unanswered = plan.unanswered(&report_ids(state).await?);
    let discovery = Check {
        id: "discovery",
        pass: unanswered.is_empty(),
        evidence: if unanswered.is_empty() {
            vec![Reason::new("readiness-discovery-ok", &[])]
        } else {
            unanswered.iter().map(|k| Reason::new(k, &[])).collect()
        },
        link: "/plan",
    };
    Ok(vec![
        monitoring(state, &tested),
        reacting(state, now).await?,
        admins_aware(&notices, &admins, &acked, now, grace),
        help_desk_aware(&notices, &desk, &platforms, &acked, now, grace),
        discovery,
        crate::training::readiness(state).await?,
        crate::apps::readiness(state, now).await?,
        crate::remediation::readiness(state).await?,
    ])
}

const FAILING: &str = "readiness_failing_since";

/// Since when each checklist item has been failing (kept across sweeps in a document):
/// computes the checklist now, notes items that started failing, forgets those that pass.
pub async fn failing_since(state: &AppState, now: i64) -> Result<BTreeMap<String, i64>, ApiError> {
    let before: BTreeMap<String, i64> = state
        .store
        .document(FAILING)
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let mut after = BTreeMap::new();
    for c in checklist(state).await? {
        if !c.pass {
            let since = before.get(c.id).copied().unwrap_or(now);
            after.insert(c.id.to_string(), since);
        }
    }
    if after != before {
        let body = serde_json::to_value(&after).map_err(|_| ApiError(ErrorCode::Internal))?;
        state
            .store
            .put_document(FAILING, &body, now, &steward_store::audit::Actor::cli())
            .await?;
    }
    Ok(after)
}

/// `GET /api/v1/readiness`.
pub async fn readiness(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<ReadinessItem>>, ApiError> {
    let lang = request_lang(&headers);
    Ok(Json(
        checklist(&state)
            .await?
            .into_iter()
            .map(|c| ReadinessItem {
                id: c.id,
                pass: c.pass,
                evidence: c.evidence.iter().map(|r| r.text(lang)).collect(),
                link: c.link,
            })
            .collect(),
    ))
}
