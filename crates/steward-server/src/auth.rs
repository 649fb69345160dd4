//! Authentication: API tokens (service tokens with a role, or a user's own tokens acting as
//! that user), console sessions (an HttpOnly, SameSite=Strict cookie plus a CSRF token for
//! every change), password hashing and sign-in with lockout.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use steward_core::policy::Permission;
use steward_core::time::{now_ms, to_rfc3339};
use steward_core::{secret, Lang, Role};
use steward_proto::{ErrorCode, SessionInfo, UserInfo, MAX_FIELD_LEN};
use steward_store::audit::{roles_text, Actor, AuditRecord};
use steward_store::users::{NewUser, UserRecord};
use steward_store::WriteOp;

use crate::error::ApiError;
use crate::AppState;

/// How often a token's `last_used_at` or a session's expiry is refreshed at most.
const TOUCH_RESOLUTION_MS: i64 = 60_000;
/// The console session cookie.
pub const SESSION_COOKIE: &str = "steward_session";
/// The header that carries a session's CSRF token on every change.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;

/// How a caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Token(String),
    /// The session's id (the hash of its cookie).
    Session(String),
}

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub via: Via,
    /// The user behind a session or a user's token; `None` for a service token.
    pub user_id: Option<String>,
    pub name: String,
    pub roles: Vec<Role>,
    /// Device groups the caller is limited to; empty means all.
    pub groups: Vec<String>,
    pub remote_addr: String,
    /// For a console session: what its pages need (read with the session, not again).
    pub session: Option<SessionFacts>,
}

/// A session's CSRF token and its user's language and display name.
#[derive(Debug, Clone, Default)]
pub struct SessionFacts {
    pub csrf_token: String,
    pub language: String,
    pub display_name: String,
    pub time_zone: String,
    pub region: String,
}

impl Caller {
    pub fn allows(&self, p: Permission) -> bool {
        self.roles.iter().any(|r| p.allows(*r))
    }

    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        if let (Via::Session(_), Some(user)) = (&self.via, &self.user_id) {
            return Actor::user(user, &self.name, &self.roles, &self.remote_addr);
        }
        let id = match &self.via {
            Via::Token(t) => format!("token:{t}"),
            Via::Session(s) => format!("session:{s}"),
        };
        Actor {
            id,
            name: self.name.clone(),
            role: Some(roles_text(&self.roles)),
            remote_addr: self.remote_addr.clone(),
        }
    }
}

/// The value of `Authorization: Bearer …`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The value of cookie `name`.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Authenticates a caller: a bearer token first, else the session cookie (whose changes must
/// carry the session's CSRF token).
pub async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    remote_addr: &str,
) -> Result<Caller, ApiError> {
    let now = state.clock.now_ms();
    if let Some(token) = bearer(headers) {
        let auth = state
            .store
            .api_token_by_hash(&secret::hash(token))
            .await?
            .ok_or_else(|| {
                // A valid token always works; an address that keeps presenting unknown ones
                // is told to wait, and those refusals are no longer audited one by one.
                let throttled = state.throttle.check_credential(remote_addr, now).is_err();
                state.throttle.credential_failed(remote_addr, now);
                ApiError(if throttled {
                    ErrorCode::TooManyAttempts
                } else {
                    ErrorCode::Unauthorized
                })
            })?;
        if auth.revoked || auth.expires_at.is_some_and(|e| e <= now) {
            return Err(ApiError(ErrorCode::Unauthorized));
        }
        let (roles, groups, user_id, name) = match &auth.user_id {
            Some(uid) => {
                let user = state.store.user(uid).await?;
                if user.disabled {
                    return Err(ApiError(ErrorCode::Unauthorized));
                }
                (
                    user.roles,
                    user.info.groups,
                    Some(uid.clone()),
                    user.info.email,
                )
            }
            None => (
                auth.role.into_iter().collect(),
                Vec::new(),
                None,
                auth.name.clone(),
            ),
        };
        if auth
            .last_used_at
            .is_none_or(|t| now - t >= TOUCH_RESOLUTION_MS)
        {
            state.store.touch_api_token(&auth.id, now).await?;
        }
        return Ok(Caller {
            via: Via::Token(auth.id),
            user_id,
            name,
            roles,
            groups,
            remote_addr: remote_addr.to_string(),
            session: None,
        });
    }
    let value = cookie(headers, SESSION_COOKIE).ok_or(ApiError(ErrorCode::Unauthorized))?;
    let session = state
        .store
        .session(&secret::hash(value), now)
        .await?
        .ok_or(ApiError(ErrorCode::Unauthorized))?;
    if session.user.disabled {
        return Err(ApiError(ErrorCode::Unauthorized));
    }
    if !is_safe(method) {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !secret::hashes_equal(&secret::hash(sent), &secret::hash(&session.csrf_token)) {
            return Err(ApiError(ErrorCode::CsrfMismatch));
        }
    }
    if now - session.last_seen_at >= TOUCH_RESOLUTION_MS {
        let ttl = i64::from(state.config.auth.session_ttl_secs) * 1000;
        state
            .store
            .touch_session(&session.id, now, now + ttl)
            .await?;
    }
    let info = session.user.info;
    Ok(Caller {
        via: Via::Session(session.id),
        user_id: Some(info.id.clone()),
        session: Some(SessionFacts {
            csrf_token: session.csrf_token,
            language: info.language,
            time_zone: info.time_zone,
            region: info.region,
            display_name: if info.display_name.is_empty() {
                info.email.clone()
            } else {
                info.display_name
            },
        }),
        name: info.email,
        roles: session.user.roles,
        groups: info.groups,
        remote_addr: remote_addr.to_string(),
    })
}

/// Hashes a password with argon2id (default parameters) into a PHC string.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ApiError(ErrorCode::Internal))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the e-mail is unknown, so both failures take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// A lower-cased e-mail address of a plausible shape.
pub fn parse_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_ascii_lowercase();
    let valid = email.chars().count() <= MAX_FIELD_LEN
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
        && email
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.starts_with('.'));
    if valid {
        Ok(email)
    } else {
        Err(ApiError(ErrorCode::InvalidField))
    }
}

pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_LEN || password.chars().count() > 1024 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    Ok(())
}

/// A random password for first-run and resets.
pub fn generate_password() -> String {
    secret::generate("").chars().take(20).collect()
}

/// Creates a user; the password is hashed with argon2id.
pub async fn create_user(
    store: &steward_store::Store,
    email: &str,
    roles: &[Role],
    groups: &[String],
    password: &str,
    actor: &Actor,
) -> Result<UserInfo, ApiError> {
    let email = parse_email(email)?;
    check_password(password)?;
    if roles.is_empty() || groups.iter().any(|g| g.is_empty() || g.contains(',')) {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    store
        .create_user(
            &NewUser {
                id: uuid::Uuid::now_v7().to_string(),
                display_name: email.split('@').next().unwrap_or_default().to_string(),
                email,
                language: Lang::En.code().into(),
                roles: roles.to_vec(),
                groups: groups.to_vec(),
                password_hash: {
                    // Not on the async workers: argon2 takes tens of milliseconds.
                    let password = password.to_string();
                    tokio::task::spawn_blocking(move || hash_password(&password))
                        .await
                        .map_err(|_| ApiError(ErrorCode::Internal))??
                },
                created_at: now_ms(),
            },
            actor,
        )
        .await
        .map_err(|e| match e {
            steward_store::StoreError::Conflict(_) => ApiError(ErrorCode::Conflict),
            other => other.into(),
        })
}

/// Appends a record through the group-commit writer (refusals can come in floods).
pub async fn audit_via_writer(state: &AppState, rec: AuditRecord) {
    if let Err(e) = state.writer.submit(WriteOp::Audit(Box::new(rec))).await {
        tracing::warn!(error = %e, "could not append to the audit log");
    }
}

fn login_record(actor: Actor, action: &str, email: &str, outcome: &'static str) -> AuditRecord {
    AuditRecord {
        at: now_ms(),
        actor,
        action: action.into(),
        object_type: "user".into(),
        object_id: Some(email.to_string()),
        before: None,
        after: None,
        outcome,
    }
}

/// The outcome of a sign-in: the session's cookie value and what the client is told.
pub struct SignedIn {
    pub cookie_value: String,
    pub info: SessionInfo,
}

/// A throttled attempt: `429 too_many_attempts` with `Retry-After`.
pub fn too_many_attempts(wait: crate::throttle::Wait) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut r = ApiError(ErrorCode::TooManyAttempts).into_response();
    if let Ok(v) = HeaderValue::from_str(&wait.secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The pause before a sign-in is refused without its password being checked (throttled, or
/// the hashing queue full): answers to a client trying in a loop come slowly, and waiting
/// costs the server nothing.
async fn refusal_delay(state: &AppState) {
    let ms = u64::from(state.config.auth.refusal_delay_ms);
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Why a sign-in failed.
pub enum SignInError {
    /// Wrong e-mail or password (the same for an unknown address), or a refusal.
    Refused(ApiError),
    /// Too many failures from this address: wait.
    Throttled(crate::throttle::Wait),
}

impl From<ApiError> for SignInError {
    fn from(e: ApiError) -> Self {
        SignInError::Refused(e)
    }
}

impl From<steward_store::StoreError> for SignInError {
    fn from(e: steward_store::StoreError) -> Self {
        SignInError::Refused(e.into())
    }
}

impl SignInError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SignInError::Refused(e) => e.0,
            SignInError::Throttled(_) => ErrorCode::TooManyAttempts,
        }
    }
}

impl axum::response::IntoResponse for SignInError {
    fn into_response(self) -> axum::response::Response {
        match self {
            SignInError::Refused(e) => e.into_response(),
            SignInError::Throttled(w) => too_many_attempts(w),
        }
    }
}

/// Checks e-mail and password. Unknown e-mails and wrong passwords fail alike (same error,
/// same argon2 work, on the hashing pool); repeated failures from one address are delayed
/// (see `throttle`), the same way whether the account exists or not.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    remote: &str,
) -> Result<SignedIn, SignInError> {
    let now = state.clock.now_ms();
    let email = email.trim().to_ascii_lowercase();
    let account = steward_proto::text::clip(&email, MAX_FIELD_LEN).to_string();
    if let Err(wait) = state.throttle.begin_sign_in(&account, remote, now) {
        refusal_delay(state).await;
        return Err(SignInError::Throttled(wait));
    }
    let user: Option<UserRecord> = if email.len() <= MAX_FIELD_LEN {
        state.store.user_by_email(&email).await?
    } else {
        None
    };
    // The audit log (administrators only) names the account that was tried, when it exists.
    let actor = match &user {
        Some(u) => Actor::user(&u.info.id, &u.info.email, &u.roles, remote),
        None => Actor::anonymous(&email.chars().take(64).collect::<String>(), remote),
    };
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = match state.hasher.verify(hash, password.to_string()).await {
        Ok(ok) => ok,
        Err(e) => {
            refusal_delay(state).await;
            return Err(e.into());
        }
    };
    let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
        // Already counted when it began.
        audit_via_writer(
            state,
            login_record(actor, "auth.login_failed", &email, "failed"),
        )
        .await;
        return Err(ApiError(ErrorCode::InvalidCredentials).into());
    };
    state.throttle.sign_in_succeeded(&account, remote);
    let cookie_value = secret::generate("stws_");
    let csrf_token = secret::generate("");
    let expires_at = now + i64::from(state.config.auth.session_ttl_secs) * 1000;
    state
        .store
        .create_session(
            &secret::hash(&cookie_value),
            &user.info.id,
            &csrf_token,
            now,
            expires_at,
            remote,
        )
        .await?;
    audit_via_writer(state, login_record(actor, "auth.login", &email, "ok")).await;
    Ok(SignedIn {
        cookie_value,
        info: SessionInfo {
            user: user.info,
            csrf_token,
            expires_at: to_rfc3339(expires_at),
        },
    })
}

/// `Set-Cookie` for a session (or, with an empty value, to end it).
pub fn session_cookie(state: &AppState, value: &str) -> HeaderValue {
    let max_age = if value.is_empty() {
        0
    } else {
        state.config.auth.session_ttl_secs
    };
    // Served over HTTPS by Steward itself, or behind a TLS proxy (`secure_cookies`).
    let secure = if state.config.auth.secure_cookies || state.config.tls.enabled() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("steward_session=; Max-Age=0"))
}
