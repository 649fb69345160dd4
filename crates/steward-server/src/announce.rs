//! End-user announcements: an operator writes one (per language), targets device owners by
//! platform, OS version range or group; it reaches them by e-mail (rate-limited, in each
//! owner's language) and through the agent, which gets it through its push connection or with
//! its next check-in answer (`mailbox`) and reports when it was received and shown.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use steward_core::awareness::PlatformRange;
use steward_core::Lang;
use steward_proto::{Action, ActionResult, ErrorCode, Page};
use steward_store::announcements::{Announcement, Reach};

use crate::auth::Caller;
use crate::body::JsonBody;
use crate::error::ApiError;
use crate::paging::{Order, Pages};
use crate::AppState;

/// The action kind an agent shows to the device's user.
pub const SHOW_MESSAGE: &str = "show_message";
pub(crate) const PREFIX: &str = "announcement:";

/// How an announcement is handed to a device's agent.
pub(crate) fn action(a: &Announcement, lang: Lang) -> Action {
    Action {
        id: format!("{PREFIX}{}", a.id),
        kind: SHOW_MESSAGE.into(),
        params: serde_json::json!({
            "title": a.title(lang),
            "body": a.body(lang),
            "sent_at": steward_core::time::to_rfc3339(a.created_at),
        }),
    }
}

/// Handles what an agent reports about the messages it was given: `ok` when received, with
/// code `read` once shown to the user.
pub async fn receipts(state: &AppState, device_id: &str, results: &[ActionResult], now: i64) {
    for r in results.iter().take(100) {
        let Some(id) = r.action_id.strip_prefix(PREFIX) else {
            continue;
        };
        let read = r.code.as_deref() == Some("read");
        match state
            .store
            .announcement_receipt(id, device_id, read, now)
            .await
        {
            Ok(()) => state.mailbox.remove(device_id, &r.action_id),
            Err(e) => tracing::warn!(error = %e, "announcement receipt not recorded"),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementBody {
    /// The notice (with user impact) this tells users about.
    #[serde(default)]
    pub notice_id: Option<String>,
    pub title: BTreeMap<Lang, String>,
    #[serde(default)]
    pub body: BTreeMap<Lang, String>,
    #[serde(default)]
    pub default_language: Lang,
    #[serde(default)]
    pub platforms: Vec<PlatformRange>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AnnouncementView {
    #[serde(flatten)]
    pub announcement: Announcement,
    pub reach: Reach,
}

/// `POST /api/v1/announcements`: writes to the owners of the targeted devices at once (by
/// e-mail, at most `awareness.announcement_mails_per_minute`) and through their agents.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(b): JsonBody<AnnouncementBody>,
) -> Result<(StatusCode, Json<AnnouncementView>), ApiError> {
    let bad = || ApiError(ErrorCode::InvalidField);
    let now = state.clock.now_ms();
    if let Some(n) = &b.notice_id {
        // Only a notice with user impact can be announced to users.
        let unknown = || ApiError(ErrorCode::UnknownReference);
        let notice = state.store.notice(n).await.map_err(|_| unknown())?;
        if !notice.has_tag("user_impact") {
            return Err(unknown());
        }
    }
    let default_language = steward_core::i18n::settle_default(b.default_language, &b.title);
    let a = Announcement {
        id: uuid::Uuid::now_v7().to_string(),
        notice_id: b.notice_id,
        title: b.title,
        body: b.body,
        default_language,
        platforms: b.platforms,
        groups: b.groups,
        created_at: now,
    };
    let too_long = a.title.values().any(|t| t.chars().count() > 300)
        || a.body.values().any(|t| t.chars().count() > 10_000);
    if steward_proto::text::is_blank(a.title(a.default_language)) || too_long {
        return Err(bad());
    }
    let targets = state
        .store
        .announcement_targets(&a, Lang::default())
        .await?;
    let reach = send(&state, &a, &targets, &caller.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(AnnouncementView {
            announcement: a,
            reach,
        }),
    ))
}

/// Records an announcement for `targets` and sends it: to each device through its agent, to
/// each owner once by e-mail in the language of their first device, at the configured rate.
async fn send(
    state: &AppState,
    a: &Announcement,
    targets: &[steward_store::announcements::Target],
    actor: &steward_store::audit::Actor,
) -> Result<Reach, ApiError> {
    state.store.create_announcement(a, targets, actor).await?;
    for t in targets {
        state.mailbox.add(&t.device_id, action(a, t.language));
    }
    let mut seen = std::collections::HashSet::new();
    let mails: Vec<_> = targets
        .iter()
        .filter(|t| t.owner.contains('@') && seen.insert(t.owner.clone()))
        .map(|t| {
            let lang = t.language;
            (
                t.owner.clone(),
                t.owner.clone(),
                lang.code().to_string(),
                a.title(lang).to_string(),
                format!("{}\n\n{}\n", a.title(lang), a.body(lang)),
            )
        })
        .collect();
    let per_minute = i64::from(state.config.awareness.announcement_mails_per_minute.max(1));
    crate::notify::mail_people(
        state,
        "announcement",
        &mails,
        a.created_at,
        60_000 / per_minute,
    )
    .await?;
    Ok(Reach {
        devices: targets.len() as u64,
        owners: seen.len() as u64,
        ..Default::default()
    })
}

const WELCOME: &str = "welcome_announcement";

/// The organisation's welcome to new device owners (title and body per language).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Welcome {
    pub title: BTreeMap<Lang, String>,
    #[serde(default)]
    pub body: BTreeMap<Lang, String>,
    #[serde(default)]
    pub default_language: Lang,
}

pub async fn get_welcome(State(state): State<AppState>) -> Result<Json<Welcome>, ApiError> {
    Ok(Json(
        state
            .store
            .document(WELCOME)
            .await?
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
    ))
}

/// `PUT /api/v1/announcements/welcome`: sent to every new device owner when their first
/// device checks in for the first time, in their language.
pub async fn put_welcome(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(mut w): JsonBody<Welcome>,
) -> Result<Json<Welcome>, ApiError> {
    w.default_language = steward_core::i18n::settle_default(w.default_language, &w.title);
    // Blank as the API document's pattern says (U+0085 is a character there, not a space).
    let title = w.title.get(&w.default_language).map_or("", String::as_str);
    if steward_proto::text::is_blank(title) || w.title.values().any(|t| t.chars().count() > 300) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let body = serde_json::to_value(&w).map_err(|_| ApiError(ErrorCode::Internal))?;
    state
        .store
        .put_document(WELCOME, &body, state.clock.now_ms(), &caller.actor())
        .await?;
    Ok(Json(w))
}

/// Welcomes the owner of a device at its first check-in, if it is the owner's first device
/// and the organisation wrote a welcome.
pub async fn welcome(state: &AppState, device_id: &str, locale: String) {
    let run = async {
        let Some(w) = state
            .store
            .document(WELCOME)
            .await?
            .and_then(|v| serde_json::from_value::<Welcome>(v).ok())
        else {
            return Ok::<(), ApiError>(());
        };
        let device = state.store.device(device_id, 0).await?;
        let owner = device.summary.owner.clone();
        if owner.is_empty() || state.store.owner_device_count(&owner).await? > 1 {
            return Ok(());
        }
        let a = Announcement {
            id: uuid::Uuid::now_v7().to_string(),
            notice_id: None,
            title: w.title,
            body: w.body,
            default_language: w.default_language,
            platforms: Vec::new(),
            groups: Vec::new(),
            created_at: state.clock.now_ms(),
        };
        let target = steward_store::announcements::Target {
            device_id: device_id.to_string(),
            owner,
            language: Lang::parse(&locale).unwrap_or(a.default_language),
        };
        send(state, &a, &[target], &steward_store::audit::Actor::cli()).await?;
        Ok(())
    };
    if let Err(e) = run.await {
        tracing::warn!(error = %e.0.as_str(), "welcome announcement not sent");
    }
}

/// `GET /api/v1/announcements`: newest first, with devices and owners reached, delivered
/// through the agent and read.
pub async fn list(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<AnnouncementView>>, ApiError> {
    let items: Vec<AnnouncementView> = state
        .store
        .list_announcements()
        .await?
        .into_iter()
        .map(|(announcement, reach)| AnnouncementView {
            announcement,
            reach,
        })
        .collect();
    Ok(Json(
        p.page(items, Order::Desc, |a| a.announcement.id.clone()),
    ))
}
