//! Console pages of update awareness: readiness checklist, message center, announcements,
//! training and onboarding, operational plan. Every change goes through the API's handlers.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use steward_core::awareness::{
    FocusArea, Notice, OpsPlan, PlatformRange, ReportingLine, TeamMember, FOCUS_AREAS,
    FOCUS_STATUS, TAGS,
};
use steward_core::training::Feature;
use steward_core::Lang;
use steward_proto::{ErrorCode, Platform};
use steward_store::awareness::Feed;

use super::{done, error_page, flash_error, lang_headers, page, Console, Ctx, FormFields};
use crate::awareness::NoticeFilter;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "readiness.html")]
pub struct ReadinessPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::awareness::ReadinessItem>,
}

impl ReadinessPage {
    pub fn item_key(&self, id: &str) -> &'static str {
        match id {
            "monitoring" => "readiness-item-monitoring",
            "reacting" => "readiness-item-reacting",
            "admins_aware" => "readiness-item-admins",
            "help_desk_aware" => "readiness-item-help-desk",
            "discovery" => "readiness-item-discovery",
            "training" => "readiness-item-training",
            "apps" => "readiness-item-apps",
            "remediation" => "readiness-item-remediation",
            _ => "state-other",
        }
    }
}

pub async fn readiness(State(state): State<AppState>, Console(ctx): Console) -> Response {
    match crate::awareness::readiness(State(state), lang_headers(&ctx)).await {
        Ok(Json(items)) => {
            let p = ReadinessPage {
                title: ctx.t("nav-readiness"),
                ctx,
                items,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

/// Message-center labels shared by the list and a notice's page.
pub trait NoticeLabels {
    fn tags(&self) -> &'static [&'static str] {
        &TAGS
    }

    fn categories(&self) -> [&'static str; 3] {
        ["prevent_or_fix_issues", "plan_for_change", "stay_informed"]
    }

    fn category_of(&self, n: &Notice) -> String {
        wire(&n.category)
    }

    fn category_key(&self, c: &str) -> &'static str {
        match c {
            "prevent_or_fix_issues" => "category-prevent",
            "plan_for_change" => "category-plan",
            _ => "category-informed",
        }
    }

    fn tag_key(&self, t: &str) -> &'static str {
        match t {
            "feature_update" => "tag-feature-update",
            "major_update" => "tag-major-update",
            "new_feature" => "tag-new-feature",
            "retirement" => "tag-retirement",
            "admin_impact" => "tag-admin-impact",
            "user_impact" => "tag-user-impact",
            "data_privacy" => "tag-data-privacy",
            _ => "state-other",
        }
    }
}

/// An enum's name on the wire (`plan_for_change`).
fn wire<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The notice form: empty for a new notice, filled for an edit.
pub struct NoticeForm {
    pub action: String,
    pub texts: super::LanguageTexts,
    pub default_language: &'static str,
    pub category: String,
    pub tags: Vec<String>,
    pub severity: String,
    pub release_status: String,
    /// `YYYY-MM-DD`, or empty.
    pub act_by: String,
    /// Platform, from version, below version: three rows.
    pub platforms: Vec<(String, String, String)>,
    /// Feature name and whether the notice names it.
    pub features: Vec<(String, bool)>,
    pub help_desk: bool,
    pub submit: &'static str,
}

const PLATFORM_ROWS: usize = 3;

impl NoticeForm {
    pub fn has_tag(&self, t: &str) -> bool {
        self.tags.iter().any(|x| x == t)
    }

    fn new(lang: Lang, features: &[Feature]) -> NoticeForm {
        NoticeForm {
            action: "/notices".into(),
            texts: super::language_texts(&BTreeMap::new(), &BTreeMap::new()),
            default_language: lang.code(),
            category: "stay_informed".into(),
            tags: Vec::new(),
            severity: "normal".into(),
            release_status: "scheduled".into(),
            act_by: String::new(),
            platforms: vec![Default::default(); PLATFORM_ROWS],
            features: features.iter().map(|f| (f.name.clone(), false)).collect(),
            help_desk: false,
            submit: "notices-create",
        }
    }

    fn edit(n: &Notice, features: &[Feature]) -> NoticeForm {
        let mut form = NoticeForm::new(n.default_language, features);
        form.action = format!("/notices/{}", n.id);
        form.texts = super::language_texts(&n.title, &n.body);
        form.category = wire(&n.category);
        form.tags = n.tags.clone();
        form.severity = wire(&n.severity);
        form.release_status = wire(&n.release_status);
        form.act_by = n
            .act_by
            .map(|ms| {
                steward_proto::text::clip(&steward_core::time::to_rfc3339(ms), 10).to_string()
            })
            .unwrap_or_default();
        for (row, p) in form.platforms.iter_mut().zip(&n.platforms) {
            *row = (
                p.platform.as_str().to_string(),
                p.min_version.clone().unwrap_or_default(),
                p.max_version.clone().unwrap_or_default(),
            );
        }
        for name in &n.features {
            match form.features.iter_mut().find(|(f, _)| f == name) {
                Some(f) => f.1 = true,
                None => form.features.push((name.clone(), true)),
            }
        }
        form.help_desk = n.help_desk;
        form.submit = "notices-save";
        form
    }

    /// What a submitted form asks for, as the API takes it.
    fn parse(f: &FormFields) -> Result<crate::awareness::NoticeBody, ErrorCode> {
        let bad = ErrorCode::InvalidField;
        let (title, body) = super::parse_texts(f);
        let mut platforms = Vec::new();
        for i in 0..PLATFORM_ROWS {
            if let Some(p) = f.get(&format!("platform_{i}")) {
                platforms.push(PlatformRange {
                    platform: Platform::parse(&p).ok_or(bad)?,
                    min_version: f.get(&format!("min_version_{i}")),
                    max_version: f.get(&format!("max_version_{i}")),
                });
            }
        }
        let named = |k: &str, default: &str| serde_json::json!(f.get(k).unwrap_or(default.into()));
        let enums = serde_json::json!({
            "category": named("category", "stay_informed"),
            "severity": named("severity", "normal"),
            "release_status": named("release_status", "scheduled"),
        });
        #[derive(serde::Deserialize)]
        struct Enums {
            category: steward_core::awareness::Category,
            severity: steward_core::awareness::NoticeSeverity,
            release_status: steward_core::awareness::ReleaseStatus,
        }
        let e: Enums = serde_json::from_value(enums).map_err(|_| bad)?;
        Ok(crate::awareness::NoticeBody {
            title,
            body,
            default_language: f
                .get("default_language")
                .and_then(|c| Lang::parse(&c))
                .unwrap_or_default(),
            category: e.category,
            tags: f.all("tag"),
            severity: e.severity,
            features: f.all("feature"),
            platforms,
            // The end of the chosen day.
            act_by: f.get("act_by").map(|d| format!("{d}T23:59:59Z")),
            release_status: e.release_status,
            help_desk: f.get("help_desk").is_some(),
        })
    }
}

#[derive(Template)]
#[template(path = "notices.html")]
pub struct NoticesPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::awareness::NoticeView>,
    pub view: String,
    pub tag: String,
    pub category: String,
    pub form: NoticeForm,
    pub feeds: Vec<FeedForm>,
    pub new_feed: FeedForm,
}

impl NoticeLabels for NoticesPage {}

impl NoticesPage {
    pub fn views(&self) -> [(&'static str, &'static str); 5] {
        [
            ("inbox", "notices-view-inbox"),
            ("unread", "notices-unread"),
            ("favourites", "notices-view-favourites"),
            ("archived", "notices-view-archived"),
            ("all", "notices-view-all"),
        ]
    }
}

/// A feed's row and its edit form (or the form for a new one).
pub struct FeedForm {
    pub feed: Option<Feed>,
    pub action: String,
    pub name: String,
    pub url: String,
    pub interval_minutes: u32,
    pub tags: Vec<String>,
    pub category: String,
    pub help_desk: bool,
    pub submit: &'static str,
}

impl FeedForm {
    pub fn has_tag(&self, t: &str) -> bool {
        self.tags.iter().any(|x| x == t)
    }

    fn new() -> FeedForm {
        FeedForm {
            feed: None,
            action: "/feeds".into(),
            name: String::new(),
            url: String::new(),
            interval_minutes: 60,
            tags: Vec::new(),
            category: "stay_informed".into(),
            help_desk: false,
            submit: "feeds-add",
        }
    }

    fn edit(f: Feed) -> FeedForm {
        let d = &f.defaults;
        FeedForm {
            action: format!("/feeds/{}", f.id),
            name: f.name.clone(),
            url: f.url.clone(),
            interval_minutes: f.interval_minutes,
            tags: d["tags"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            category: d["category"]
                .as_str()
                .unwrap_or("stay_informed")
                .to_string(),
            help_desk: d["help_desk"].as_bool().unwrap_or(false),
            submit: "notices-save",
            feed: Some(f),
        }
    }

    /// The body for the API: the form's fields over the feed's other defaults.
    fn parse(f: &FormFields, before: Option<&Feed>) -> crate::awareness::FeedBody {
        let mut defaults = before
            .map(|b| b.defaults.clone())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}));
        defaults["tags"] = serde_json::json!(f.all("tag"));
        defaults["category"] =
            serde_json::json!(f.get("category").unwrap_or_else(|| "stay_informed".into()));
        defaults["help_desk"] = serde_json::json!(f.get("help_desk").is_some());
        crate::awareness::FeedBody {
            name: f.get("name").unwrap_or_default(),
            url: f.get("url").unwrap_or_default(),
            defaults,
            interval_minutes: f
                .get("interval_minutes")
                .and_then(|m| m.parse().ok())
                .unwrap_or(0),
        }
    }
}

pub async fn notices(
    State(state): State<AppState>,
    Console(ctx): Console,
    query: Result<Query<NoticeFilter>, QueryRejection>,
) -> Response {
    let Ok(Query(filter)) = query else {
        return error_page(ctx, ErrorCode::InvalidQuery);
    };
    let (view, tag) = (
        filter.view.clone().unwrap_or_else(|| "inbox".into()),
        filter.tag.clone().unwrap_or_default(),
    );
    let category = filter.category.as_ref().map(wire).unwrap_or_default();
    let items = match crate::awareness::list_notices(
        State(state.clone()),
        ctx.caller.clone(),
        lang_headers(&ctx),
        Ok(Query(filter)),
    )
    .await
    {
        Ok(Json(p)) => p.items,
        Err(e) => return error_page(ctx, e.0),
    };
    let (feeds, features) = if ctx.can("manage_policies") {
        let feeds = state.store.list_feeds().await.unwrap_or_default();
        let features = state.store.features().await.unwrap_or_default();
        (feeds.into_iter().map(FeedForm::edit).collect(), features)
    } else {
        Default::default()
    };
    let p = NoticesPage {
        title: ctx.t("nav-notices"),
        form: NoticeForm::new(ctx.lang, &features),
        ctx,
        items,
        view,
        tag,
        category,
        feeds,
        new_feed: FeedForm::new(),
    };
    page(StatusCode::OK, &p)
}

/// A feature a notice names, as the notice's page shows it.
pub struct NamedFeature {
    pub name: String,
    /// The feature Steward knows by that name, if any.
    pub feature: Option<Feature>,
    /// Training materials covering it, and how many of them are stale.
    pub materials: usize,
    pub stale: usize,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub ctx: Ctx,
    pub title: String,
    pub notice: crate::awareness::NoticeDetail,
    /// The language the notice is shown in, and the others it is written in.
    pub shown_in: Lang,
    pub other_languages: Vec<(&'static str, &'static str)>,
    pub features: Vec<NamedFeature>,
    pub form: NoticeForm,
}

impl NoticeLabels for NoticePage {}

impl NoticePage {
    pub fn wire_of<T: serde::Serialize>(&self, v: &T) -> String {
        wire(v)
    }

    pub fn range(&self, p: &PlatformRange) -> String {
        let mut s = self.ctx.label(p.platform.as_str());
        if let Some(min) = &p.min_version {
            s += &format!(" ≥ {min}");
        }
        if let Some(max) = &p.max_version {
            s += &format!(" < {max}");
        }
        s
    }
}

/// `GET /notices/{id}`: the whole notice (opening it marks it read, as in Microsoft 365),
/// who has acknowledged it, the features it names and the edit form.
pub async fn notice(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shown = super::Shown::new(&ctx, &q);
    if ctx.caller.user_id.is_some() {
        let read = crate::awareness::notice_action(
            State(state.clone()),
            ctx.caller.clone(),
            Path((id.clone(), "read".into())),
        )
        .await;
        if let Err(e) = read {
            return error_page(ctx, e.0);
        }
    }
    let detail = crate::awareness::get_notice(
        State(state.clone()),
        ctx.caller.clone(),
        shown.headers(),
        Path(id),
    )
    .await;
    let (detail, known, materials) = match (
        detail,
        state.store.features().await.map_err(ApiError::from),
        crate::training::list_materials(State(state), super::all_pages()).await,
    ) {
        (Ok(Json(d)), Ok(f), Ok(Json(m))) => (d, f, m.items),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(ctx, e.0),
    };
    let n = &detail.notice.notice;
    let features = n
        .features
        .iter()
        .map(|name| {
            let feature = known
                .iter()
                .find(|f| f.id == *name || f.name.eq_ignore_ascii_case(name))
                .cloned();
            let covering: Vec<_> = materials
                .iter()
                .filter(|m| {
                    feature
                        .as_ref()
                        .is_some_and(|f| m.material.features.contains(&f.id))
                })
                .collect();
            NamedFeature {
                name: name.clone(),
                materials: covering.len(),
                stale: covering.iter().filter(|m| m.stale).count(),
                feature,
            }
        })
        .collect();
    let other_languages = shown.others(n.title.keys());
    let p = NoticePage {
        title: detail.notice.title_text.clone(),
        form: NoticeForm::edit(n, &known),
        ctx,
        shown_in: shown.lang,
        other_languages,
        features,
        notice: detail,
    };
    page(StatusCode::OK, &p)
}

/// `POST /notices` and `POST /notices/{id}`: a notice from the form, in every language
/// filled in.
pub async fn create_notice(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let call = async {
        let b = NoticeForm::parse(&FormFields::parse(&body)).map_err(ApiError)?;
        crate::awareness::create_notice(State(state), ctx.caller.clone(), JsonBody(b)).await
    };
    done(&ctx, call.await)
}

pub async fn update_notice(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let call = async {
        let b = NoticeForm::parse(&FormFields::parse(&body)).map_err(ApiError)?;
        crate::awareness::update_notice(State(state), ctx.caller.clone(), Path(id), JsonBody(b))
            .await
    };
    done(&ctx, call.await)
}

/// `POST /notices/{id}/remind`: reminds everyone who has not acknowledged the notice.
pub async fn remind(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    match crate::awareness::remind(State(state), Path(id)).await {
        Ok(Json(v)) => super::flash(
            "notice",
            &steward_core::t_args(
                ctx.lang,
                "notices-reminded",
                &[("count", v.reminded.to_string())],
            ),
        ),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

/// `POST /notices/{id}/{action}`: the user's own state (read, acknowledged, archived).
pub async fn notice_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let r =
        crate::awareness::notice_action(State(state), ctx.caller.clone(), Path((id, action))).await;
    done(&ctx, r)
}

/// `POST /feeds`: a vendor feed whose entries become notices with the chosen defaults.
pub async fn create_feed(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let b = FeedForm::parse(&FormFields::parse(&body), None);
    let call = crate::awareness::create_feed(State(state), ctx.caller.clone(), JsonBody(b));
    done(&ctx, call.await)
}

/// `POST /feeds/{id}`: the feed's name, address, interval and defaults changed.
pub async fn update_feed(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let call = async {
        let before = state.store.feed(&id).await?;
        let b = FeedForm::parse(&FormFields::parse(&body), Some(&before));
        crate::awareness::update_feed(State(state), ctx.caller.clone(), Path(id), JsonBody(b)).await
    };
    done(&ctx, call.await)
}

/// `POST /feeds/{id}/fetch|delete`: reads the feed now and says what it found, or stops
/// reading it.
pub async fn feed_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if action == "delete" {
        let r = crate::awareness::delete_feed(State(state), ctx.caller.clone(), Path(id)).await;
        return done(&ctx, r);
    }
    if action != "fetch" {
        return flash_error(ctx.lang, ErrorCode::NotFound);
    }
    match crate::awareness::fetch_now(State(state), Path(id)).await {
        Ok(Json(r)) => match r.error {
            Some(e) => super::flash("error", &e),
            None => super::flash(
                "notice",
                &steward_core::t_args(
                    ctx.lang,
                    "feeds-fetched",
                    &[
                        ("new", r.new.to_string()),
                        ("updated", r.updated.to_string()),
                    ],
                ),
            ),
        },
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

#[derive(Template)]
#[template(path = "announcements.html")]
pub struct AnnouncementsPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::announce::AnnouncementView>,
}

impl AnnouncementsPage {
    pub fn title_of<'a>(&self, a: &'a crate::announce::AnnouncementView) -> &'a str {
        a.announcement.title(self.ctx.lang)
    }
}

pub async fn announcements(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let fetch = crate::announce::list(State(state), super::all_pages());
    super::list_page(ctx, fetch, |ctx, items| AnnouncementsPage {
        title: ctx.t("nav-announcements"),
        ctx,
        items,
    })
    .await
}

pub async fn create_announcement(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let platforms = match f.get("platform").map(|p| Platform::parse(&p)) {
        None => Vec::new(),
        Some(None) => return flash_error(ctx.lang, ErrorCode::InvalidField),
        Some(Some(platform)) => vec![PlatformRange {
            platform,
            min_version: f.get("min_version"),
            max_version: f.get("max_version"),
        }],
    };
    let b = crate::announce::AnnouncementBody {
        notice_id: None,
        title: [(ctx.lang, f.get("title").unwrap_or_default())].into(),
        body: [(ctx.lang, f.get("body").unwrap_or_default())].into(),
        default_language: ctx.lang,
        platforms,
        groups: super::comma_list(f.get("groups")),
    };
    match crate::announce::create(State(state), ctx.caller.clone(), JsonBody(b)).await {
        Ok((_, Json(v))) => super::flash(
            "notice",
            &ctx.t1("announcements-sent", "count", &ctx.num(&v.reach.owners)),
        ),
        Err(e) => flash_error(ctx.lang, e.0),
    }
}

#[derive(Template)]
#[template(path = "training.html")]
pub struct TrainingPage {
    pub ctx: Ctx,
    pub title: String,
    pub materials: Vec<crate::training::MaterialView>,
    pub features: Vec<Feature>,
    pub progress: Vec<crate::training::Progress>,
    /// People training can be assigned to (for those who may assign).
    pub users: Vec<(String, String)>,
}

pub async fn training(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let materials = crate::training::list_materials(State(state.clone()), super::all_pages()).await;
    let features = state.store.features().await.map_err(ApiError::from);
    let users = if ctx.can("manage_users") {
        state
            .store
            .list_users()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| (u.id, u.email))
            .collect()
    } else {
        Vec::new()
    };
    let onboarding = crate::training::get_onboarding(State(state)).await;
    match (materials, features, onboarding) {
        (Ok(Json(m)), Ok(features), Ok(Json(o))) => {
            let p = TrainingPage {
                title: ctx.t("nav-training"),
                ctx,
                materials: m.items,
                features,
                progress: o.progress,
                users,
            };
            page(StatusCode::OK, &p)
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => error_page(ctx, e.0),
    }
}

/// `POST /training`: a material for a role, covering the checked features.
pub async fn create_material(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let v = serde_json::json!({
        "title": f.get("title").unwrap_or_default(),
        "url": f.get("url").unwrap_or_default(),
        "audience": f.get("audience").unwrap_or_default(),
        "features": f.all("feature"),
    });
    let Ok(b) = serde_json::from_value(v) else {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    };
    let r = crate::training::create_material(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /features`: a feature, enabled now or not yet.
pub async fn create_feature(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let f = FormFields::parse(&body);
    let b = crate::training::FeatureBody {
        name: f.get("name").unwrap_or_default(),
        description: String::new(),
        enabled: f.get("enabled").is_some(),
    };
    let r = crate::training::create_feature(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /training/{id}/assign`: a material given to a user to follow.
pub async fn assign_training(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let user_id = FormFields::parse(&body).get("user_id").unwrap_or_default();
    let r = crate::training::assign(
        State(state),
        Path(id),
        JsonBody(crate::training::AssignBody { user_id }),
    )
    .await;
    done(&ctx, r)
}

/// `POST /training/{id}/reviewed`: the material is current again.
pub async fn training_reviewed(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::training::reviewed(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

/// `POST /training/{id}/complete`: the user has followed the material.
pub async fn training_complete(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    let r = crate::training::complete(State(state), ctx.caller.clone(), Path(id)).await;
    done(&ctx, r)
}

/// `POST /features/{id}/enable|changed`.
pub async fn feature_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, event)): Path<(String, String)>,
) -> Response {
    let call = crate::training::feature_event(State(state), ctx.caller.clone(), Path((id, event)));
    done(&ctx, call.await)
}

#[derive(Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    pub ctx: Ctx,
    pub title: String,
    pub plan: OpsPlan,
    pub unanswered: Vec<String>,
    /// Every focus area, with the plan's entry for it (or an empty one).
    pub focus: Vec<FocusArea>,
    /// The scheduled reports a reporting line may name: id and name.
    pub reports: Vec<(String, String)>,
}

/// Empty rows the plan form offers for new people and reporting lines.
const BLANK_ROWS: usize = 2;

impl PlanPage {
    pub fn area_key(&self, area: &str) -> &'static str {
        match area {
            "planning" => "focus-planning",
            "help_desk" => "focus-help-desk",
            "awareness" => "focus-awareness",
            "training" => "focus-training",
            _ => "focus-operations",
        }
    }

    pub fn status_key(&self, status: &str) -> &'static str {
        match status {
            "in_progress" => "focus-in-progress",
            "done" => "focus-done",
            _ => "focus-not-started",
        }
    }

    pub fn statuses(&self) -> &'static [&'static str] {
        &FOCUS_STATUS
    }

    /// The team with empty rows to add people.
    pub fn team_rows(&self) -> Vec<TeamMember> {
        let mut rows = self.plan.team.clone();
        rows.extend(std::iter::repeat_n(TeamMember::default(), BLANK_ROWS));
        rows
    }

    /// The name of the scheduled report a line names ("–" for none or one deleted).
    pub fn report_name(&self, id: &str) -> String {
        self.reports
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, name)| name.clone())
            .unwrap_or_else(|| "–".into())
    }

    pub fn reporting_rows(&self) -> Vec<ReportingLine> {
        let mut rows = self.plan.reporting.clone();
        rows.extend(std::iter::repeat_n(ReportingLine::default(), BLANK_ROWS));
        rows
    }
}

/// The rows of a table in a submitted form (`{prefix}_{column}_{n}`), empty ones dropped.
fn form_rows<const N: usize>(f: &FormFields, prefix: &str, cols: [&str; N]) -> Vec<[String; N]> {
    (0..)
        .take_while(|i| {
            f.0.iter()
                .any(|(k, _)| *k == format!("{prefix}_{}_{i}", cols[0]))
        })
        .map(|i| cols.map(|c| f.get(&format!("{prefix}_{c}_{i}")).unwrap_or_default()))
        .filter(|r| r.iter().any(|v| !v.is_empty()))
        .collect()
}

/// The plan a submitted form describes: rows left empty are dropped.
fn plan_from_form(f: &FormFields) -> OpsPlan {
    OpsPlan {
        team: form_rows(f, "team", ["person", "role", "responsibilities"])
            .into_iter()
            .map(|[person, role, responsibilities]| TeamMember {
                person,
                role,
                responsibilities,
            })
            .collect(),
        reporting: form_rows(f, "reporting", ["who", "stakeholders", "cadence", "report"])
            .into_iter()
            .filter(|[who, stakeholders, cadence, _]| {
                // A report chosen on an otherwise empty row is no line.
                !(who.is_empty() && stakeholders.is_empty() && cadence.is_empty())
            })
            .map(|[who, stakeholders, cadence, report]| ReportingLine {
                who,
                stakeholders,
                cadence,
                report,
            })
            .collect(),
        update_awareness_owner: f.get("update_awareness_owner").unwrap_or_default(),
        focus_areas: FOCUS_AREAS
            .iter()
            .map(|area| FocusArea {
                area: area.to_string(),
                goals: f.get(&format!("goals_{area}")).unwrap_or_default(),
                owner: f.get(&format!("owner_{area}")).unwrap_or_default(),
                status: f
                    .get(&format!("status_{area}"))
                    .unwrap_or_else(|| "not_started".into()),
            })
            .filter(|a| !a.goals.is_empty() || !a.owner.is_empty() || a.status != "not_started")
            .collect(),
    }
}

pub async fn plan(State(state): State<AppState>, Console(ctx): Console) -> Response {
    match crate::awareness::get_plan(State(state.clone()), lang_headers(&ctx)).await {
        Ok(Json(v)) => {
            let focus = FOCUS_AREAS
                .iter()
                .map(|area| {
                    v.plan
                        .focus_areas
                        .iter()
                        .find(|f| f.area == *area)
                        .cloned()
                        .unwrap_or_else(|| FocusArea {
                            area: area.to_string(),
                            status: "not_started".into(),
                            ..Default::default()
                        })
                })
                .collect();
            let reports = state
                .store
                .report_schedules()
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.id, s.body.name))
                .collect();
            let p = PlanPage {
                title: ctx.t("nav-plan"),
                plan: v.plan,
                unanswered: v.unanswered,
                focus,
                reports,
                ctx,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

pub async fn save_plan(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    let p = plan_from_form(&FormFields::parse(&body));
    let call = crate::awareness::put_plan(
        State(state),
        ctx.caller.clone(),
        lang_headers(&ctx),
        JsonBody(p),
    );
    done(&ctx, call.await)
}
