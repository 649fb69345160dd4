//! Console pages of update awareness: readiness checklist, message center, announcements,
//! training and onboarding, operational plan. Every change goes through the API's handlers.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use steward_core::awareness::{OpsPlan, PlatformRange, TAGS};
use steward_core::policy::Permission;
use steward_core::training::Feature;
use steward_proto::{ErrorCode, Platform};

use super::{done, error_page, flash_error, guarded, lang_headers, page, Console, Ctx, FormFields};
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
            _ => "state-other",
        }
    }
}

pub async fn readiness(State(state): State<AppState>, Console(mut ctx): Console) -> Response {
    ctx.section = "readiness";
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

#[derive(Template)]
#[template(path = "notices.html")]
pub struct NoticesPage {
    pub ctx: Ctx,
    pub title: String,
    pub items: Vec<crate::awareness::NoticeView>,
    /// Per notice meant for a role: who acknowledged, who has not.
    pub acks: HashMap<String, (String, String)>,
    pub feeds: Vec<steward_store::awareness::Feed>,
}

impl NoticesPage {
    pub fn markdown(&self, text: &str) -> String {
        super::markdown(text)
    }

    pub fn tags(&self) -> &'static [&'static str] {
        &TAGS
    }

    pub fn category_of(&self, n: &crate::awareness::NoticeView) -> &'static str {
        use steward_core::awareness::Category::*;
        match n.notice.category {
            PreventOrFixIssues => "prevent_or_fix_issues",
            PlanForChange => "plan_for_change",
            StayInformed => "stay_informed",
        }
    }

    pub fn category_key(&self, c: &str) -> &'static str {
        match c {
            "prevent_or_fix_issues" => "category-prevent",
            "plan_for_change" => "category-plan",
            _ => "category-informed",
        }
    }

    pub fn tag_key(&self, t: &str) -> &'static str {
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

pub async fn notices(State(state): State<AppState>, Console(mut ctx): Console) -> Response {
    ctx.section = "notices";
    let items = match crate::awareness::list_notices(
        State(state.clone()),
        ctx.caller.clone(),
        lang_headers(&ctx),
    )
    .await
    {
        Ok(Json(p)) => p.items,
        Err(e) => return error_page(ctx, e.0),
    };
    let mut acks = HashMap::new();
    for n in items
        .iter()
        .filter(|n| n.notice.help_desk || n.notice.for_admins())
        .take(50)
    {
        if let Ok(Json(d)) = crate::awareness::get_notice(
            State(state.clone()),
            ctx.caller.clone(),
            HeaderMap::new(),
            Path(n.notice.id.clone()),
        )
        .await
        {
            if let Some(a) = d.acknowledgments {
                acks.insert(
                    n.notice.id.clone(),
                    (a.acknowledged.join(", "), a.missing.join(", ")),
                );
            }
        }
    }
    let feeds = if ctx.can("manage_policies") {
        state.store.list_feeds().await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let p = NoticesPage {
        title: ctx.t("nav-notices"),
        ctx,
        items,
        acks,
        feeds,
    };
    page(StatusCode::OK, &p)
}

pub async fn create_notice(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    if !ctx.can("manage_policies") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
    let f = FormFields::parse(&body);
    let v = serde_json::json!({
        "title": {ctx.lang.code(): f.get("title").unwrap_or_default()},
        "body": {ctx.lang.code(): f.get("body").unwrap_or_default()},
        "default_language": ctx.lang.code(),
        "category": f.get("category").unwrap_or_else(|| "stay_informed".into()),
        "tags": f.all("tag"),
        "help_desk": f.get("help_desk").is_some(),
    });
    let Ok(b) = serde_json::from_value(v) else {
        return flash_error(ctx.lang, ErrorCode::InvalidField);
    };
    let r = crate::awareness::create_notice(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /notices/{id}/{action}`: the user's own state, or (operators) a reminder.
pub async fn notice_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    if action == "remind" {
        if !ctx.can("manage_policies") {
            return flash_error(ctx.lang, ErrorCode::Forbidden);
        }
        return match crate::awareness::remind(State(state), Path(id)).await {
            Ok(Json(v)) => super::flash(
                "notice",
                &ctx.t1(
                    "notices-reminded",
                    "count",
                    &v["reminded"].as_u64().unwrap_or(0).to_string(),
                ),
            ),
            Err(e) => flash_error(ctx.lang, e.0),
        };
    }
    let r =
        crate::awareness::notice_action(State(state), ctx.caller.clone(), Path((id, action))).await;
    done(&ctx, r)
}

/// `POST /feeds`: a vendor feed whose entries become notices with the chosen tags.
pub async fn create_feed(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    if !ctx.can("manage_policies") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
    let f = FormFields::parse(&body);
    let b = crate::awareness::FeedBody {
        name: f.get("name").unwrap_or_default(),
        url: f.get("url").unwrap_or_default(),
        defaults: serde_json::json!({"tags": f.all("tag")}),
        interval_minutes: f
            .get("interval_minutes")
            .and_then(|m| m.parse().ok())
            .unwrap_or(60),
    };
    let r = crate::awareness::create_feed(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /feeds/{id}/fetch`: reads the feed now and says what it found.
pub async fn fetch_feed(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path(id): Path<String>,
) -> Response {
    if !ctx.can("manage_policies") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
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

    pub fn when(&self, ms: &i64) -> String {
        steward_core::i18n::format_time(self.ctx.lang, *ms)
    }
}

pub async fn announcements(State(state): State<AppState>, Console(ctx): Console) -> Response {
    let mut ctx = match super::require(ctx, Permission::ReadDevices) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    ctx.section = "readiness";
    match crate::announce::list(State(state)).await {
        Ok(Json(p)) => {
            let p = AnnouncementsPage {
                title: ctx.t("nav-announcements"),
                ctx,
                items: p.items,
            };
            page(StatusCode::OK, &p)
        }
        Err(e) => error_page(ctx, e.0),
    }
}

pub async fn create_announcement(
    State(state): State<AppState>,
    Console(ctx): Console,
    body: String,
) -> Response {
    if !ctx.can("manage_devices") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
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

impl TrainingPage {
    pub fn when(&self, ms: &i64) -> String {
        steward_core::i18n::format_time(self.ctx.lang, *ms)
    }
}

pub async fn training(State(state): State<AppState>, Console(mut ctx): Console) -> Response {
    ctx.section = "readiness";
    let materials = crate::training::list_materials(State(state.clone())).await;
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
    if !ctx.can("manage_policies") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
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
    if !ctx.can("manage_policies") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
    let f = FormFields::parse(&body);
    let b = crate::training::FeatureBody {
        name: f.get("name").unwrap_or_default(),
        description: String::new(),
        enabled: f.get("enabled").is_some(),
    };
    let r = crate::training::create_feature(State(state), ctx.caller.clone(), JsonBody(b)).await;
    done(&ctx, r)
}

/// `POST /training/{id}/reviewed|complete|assign`.
pub async fn training_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> Response {
    let caller = ctx.caller.clone();
    let r = match action.as_str() {
        "assign" if ctx.can("manage_users") => {
            let user_id = FormFields::parse(&body).get("user_id").unwrap_or_default();
            crate::training::assign(
                State(state),
                Path(id),
                JsonBody(crate::training::AssignBody { user_id }),
            )
            .await
            .map(|_| ())
        }
        "assign" => Err(ApiError(ErrorCode::Forbidden)),
        "reviewed" if ctx.can("manage_policies") => {
            crate::training::reviewed(State(state), caller, Path(id))
                .await
                .map(|_| ())
        }
        "reviewed" => Err(ApiError(ErrorCode::Forbidden)),
        "complete" => crate::training::complete(State(state), caller, Path(id))
            .await
            .map(|_| ()),
        _ => Err(ApiError(ErrorCode::NotFound)),
    };
    done(&ctx, r)
}

/// `POST /features/{id}/enable|changed`.
pub async fn feature_action(
    State(state): State<AppState>,
    Console(ctx): Console,
    Path((id, event)): Path<(String, String)>,
) -> Response {
    let call = crate::training::feature_event(State(state), ctx.caller.clone(), Path((id, event)));
    guarded(&ctx, Permission::ManagePolicies, call).await
}

#[derive(Template)]
#[template(path = "plan.html")]
pub struct PlanPage {
    pub ctx: Ctx,
    pub title: String,
    pub plan: OpsPlan,
    pub unanswered: Vec<String>,
    pub plan_json: String,
}

pub async fn plan(State(state): State<AppState>, Console(mut ctx): Console) -> Response {
    ctx.section = "readiness";
    match crate::awareness::get_plan(State(state), lang_headers(&ctx)).await {
        Ok(Json(v)) => {
            let p = PlanPage {
                title: ctx.t("nav-plan"),
                plan_json: serde_json::to_string_pretty(&v.plan).unwrap_or_default(),
                plan: v.plan,
                unanswered: v.unanswered,
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
    if !ctx.can("manage_users") {
        return flash_error(ctx.lang, ErrorCode::Forbidden);
    }
    let f = FormFields::parse(&body);
    let Ok(p) = serde_json::from_str::<OpsPlan>(&f.get("plan").unwrap_or_default()) else {
        return flash_error(ctx.lang, ErrorCode::MalformedJson);
    };
    let r = crate::awareness::put_plan(
        State(state),
        ctx.caller.clone(),
        lang_headers(&ctx),
        JsonBody(p),
    )
    .await;
    done(&ctx, r)
}
