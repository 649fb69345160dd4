//! Sessions (`/api/v1/auth/…`) and user administration (`/api/v1/users`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use steward_core::time::now_ms;
use steward_core::{Lang, Role};
use steward_proto::{
    ChangePassword, CreateOwnToken, CreateUser, CreatedApiToken, CreatedUser, ErrorCode,
    LoginRequest, Page, PasswordReset, UpdateUser, UserInfo, MAX_FIELD_LEN,
};
use steward_store::audit::AuditRecord;
use steward_store::users::UserChange;

use crate::agent::Remote;
use crate::api::new_api_token;
use crate::auth::{self, audit_via_writer, Caller, Via};
use crate::body::JsonBody;
use crate::error::{ApiError, FieldError};
use crate::paging::{Order, Pages};
use crate::AppState;

/// `POST /api/v1/auth/login`: sets the session cookie and returns the CSRF token.
pub async fn login(
    State(state): State<AppState>,
    Remote(remote): Remote,
    body: Result<JsonBody<LoginRequest>, FieldError>,
) -> Result<Response, Response> {
    let JsonBody(req) = body.map_err(IntoResponse::into_response)?;
    let signed_in = auth::sign_in(&state, &req.email, &req.password, &remote)
        .await
        .map_err(IntoResponse::into_response)?;
    let mut resp = Json(signed_in.info).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        auth::session_cookie(&state, &signed_in.cookie_value),
    );
    Ok(resp)
}

/// `POST /api/v1/auth/logout`: ends the session on the server and clears the cookie.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let Via::Session(id) = &caller.via {
        state.store.revoke_session(id, now_ms()).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, auth::session_cookie(&state, ""));
    Ok(resp)
}

/// Who is calling: how they authenticated, their name, roles, device groups and user.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// `token` or `session`.
    pub via: String,
    pub name: String,
    pub roles: Vec<String>,
    pub groups: Vec<String>,
    pub user: Option<UserInfo>,
}

/// `GET /api/v1/auth/me`: who the caller is.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let user = match &caller.user_id {
        Some(id) => Some(state.store.user(id).await?.info),
        None => None,
    };
    Ok(Json(Me {
        via: match caller.via {
            Via::Token(_) => "token",
            Via::Session(_) => "session",
        }
        .into(),
        name: caller.name,
        roles: caller
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect(),
        groups: caller.groups,
        user,
    }))
}

/// `POST /api/v1/auth/password`: the signed-in user changes their own password; their other
/// sessions end. Wrong current passwords are throttled like sign-ins (per account and
/// address), so a borrowed session cannot be used to guess the password.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<ChangePassword>,
) -> Result<StatusCode, auth::SignInError> {
    let user_id = caller
        .user_id
        .clone()
        .ok_or(ApiError(ErrorCode::Forbidden))?;
    let user = state.store.user(&user_id).await?;
    let account = user.info.email.to_ascii_lowercase();
    state
        .throttle
        .begin_sign_in(&account, &caller.remote_addr, now_ms())
        .map_err(auth::SignInError::Throttled)?;
    let current_ok = state
        .hasher
        .verify(
            Some(user.password_hash.clone()),
            req.current_password.clone(),
        )
        .await?;
    if current_ok {
        state
            .throttle
            .sign_in_succeeded(&account, &caller.remote_addr);
    } else {
        let mut rec = AuditRecord::change(
            &caller.actor(),
            now_ms(),
            "user.password_change",
            "user",
            &user_id,
        );
        rec.outcome = "failed";
        audit_via_writer(&state, rec).await;
        return Err(ApiError(ErrorCode::InvalidCredentials).into());
    }
    auth::check_password(&req.new_password)?;
    let keep = match &caller.via {
        Via::Session(id) => Some(id.as_str()),
        Via::Token(_) => None,
    };
    state
        .store
        .set_password(
            &user_id,
            &state.hasher.hash(req.new_password.clone()).await?,
            keep,
            now_ms(),
            "user.password_change",
            &caller.actor(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/tokens`: a token of the signed-in user's own, acting with their roles.
pub async fn create_own_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateOwnToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    let user_id = caller
        .user_id
        .clone()
        .ok_or(ApiError(ErrorCode::Forbidden))?;
    let created = new_api_token(
        &state.store,
        &req.name,
        None,
        Some(user_id),
        req.expires_in_hours,
        &caller.actor(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

fn parse_roles(roles: &[String]) -> Result<Vec<Role>, ApiError> {
    let parsed: Option<Vec<Role>> = roles.iter().map(|r| Role::parse(r)).collect();
    match parsed {
        Some(r) if !r.is_empty() => Ok(r),
        _ => Err(ApiError(ErrorCode::InvalidField)),
    }
}

fn check_groups(groups: &[String]) -> Result<(), ApiError> {
    let bad = groups
        .iter()
        .any(|g| g.is_empty() || g.chars().count() > MAX_FIELD_LEN || g.contains(','));
    if bad {
        Err(ApiError(ErrorCode::InvalidField))
    } else {
        Ok(())
    }
}

fn check_language(lang: &str) -> Result<(), ApiError> {
    match Lang::parse(lang) {
        Some(l) if l.code() == lang => Ok(()),
        _ => Err(ApiError(ErrorCode::InvalidField)),
    }
}

pub async fn list_users(
    State(state): State<AppState>,
    Pages(p): Pages,
) -> Result<Json<Page<UserInfo>>, ApiError> {
    let items = state.store.list_users().await?;
    Ok(Json(p.page(items, Order::Asc, |u| u.email.clone())))
}

pub async fn get_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserInfo>, ApiError> {
    Ok(Json(state.store.user(&id).await?.info))
}

pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(req): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<CreatedUser>), ApiError> {
    let roles = parse_roles(&req.roles)?;
    check_groups(&req.groups)?;
    let generated = req.password.is_none().then(auth::generate_password);
    let password = req
        .password
        .clone()
        .or(generated.clone())
        .unwrap_or_default();
    let mut user = auth::create_user(
        &state.store,
        &req.email,
        &roles,
        &req.groups,
        &password,
        &caller.actor(),
    )
    .await?;
    let change = UserChange {
        display_name: req.display_name.clone(),
        language: req.language.clone(),
        ..Default::default()
    };
    if change.display_name.is_some() || change.language.is_some() {
        if let Some(l) = &change.language {
            check_language(l)?;
        }
        user = state
            .store
            .update_user(&user.id, &change, now_ms(), &caller.actor())
            .await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user,
            password: generated,
        }),
    ))
}

/// `PATCH /api/v1/users/{id}`. Nobody changes their own roles, scope or standing: another
/// administrator must.
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateUser>,
) -> Result<Json<UserInfo>, ApiError> {
    let own = caller.user_id.as_deref() == Some(id.as_str());
    if own && (req.roles.is_some() || req.groups.is_some() || req.disabled.is_some()) {
        let mut rec = AuditRecord::change(&caller.actor(), now_ms(), "user.update", "user", &id);
        rec.outcome = "denied";
        rec.after = Some(serde_json::to_value(&req).unwrap_or_default());
        audit_via_writer(&state, rec).await;
        return Err(ApiError(ErrorCode::Forbidden));
    }
    let roles = req.roles.as_deref().map(parse_roles).transpose()?;
    if let Some(g) = &req.groups {
        check_groups(g)?;
    }
    if let Some(l) = &req.language {
        check_language(l)?;
    }
    if req
        .time_zone
        .as_deref()
        .is_some_and(|z| steward_core::i18n::Zone::parse_tz(z).is_none())
        || req
            .region
            .as_deref()
            .is_some_and(|r| !steward_core::i18n::REGIONS.contains(&r))
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    if req
        .display_name
        .as_ref()
        .is_some_and(|n| steward_proto::text::is_blank(n) || n.chars().count() > MAX_FIELD_LEN)
    {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    let change = UserChange {
        display_name: req.display_name,
        language: req.language,
        time_zone: req.time_zone,
        region: req.region,
        roles,
        groups: req.groups,
        disabled: req.disabled,
    };
    Ok(Json(
        state
            .store
            .update_user(&id, &change, now_ms(), &caller.actor())
            .await?,
    ))
}

/// `POST /api/v1/users/{id}/reset-password`: a new password, shown once; the user's sessions end.
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PasswordReset>, ApiError> {
    let password = auth::generate_password();
    let hash = state.hasher.hash(password.clone()).await?;
    state
        .store
        .set_password(
            &id,
            &hash,
            None,
            now_ms(),
            "user.password_reset",
            &caller.actor(),
        )
        .await?;
    Ok(Json(PasswordReset { password }))
}
