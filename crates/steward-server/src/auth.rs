//! Authentication of API callers by bearer token.

use axum::http::{header, HeaderMap};
use steward_core::time::now_ms;
use steward_core::{secret, Role};
use steward_proto::ErrorCode;
use steward_store::audit::Actor;

use crate::error::ApiError;
use crate::AppState;

/// How often a token's `last_used_at` is refreshed at most.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: String,
    pub name: String,
    pub role: Role,
    pub remote_addr: String,
}

impl Caller {
    /// The caller as the audit log names it.
    pub fn actor(&self) -> Actor {
        Actor {
            id: format!("token:{}", self.token_id),
            name: self.name.clone(),
            role: Some(self.role),
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

/// Authenticates an API caller by its bearer token.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    remote_addr: &str,
) -> Result<Caller, ApiError> {
    let token = bearer(headers).ok_or(ApiError(ErrorCode::Unauthorized))?;
    let auth = state
        .store
        .api_token_by_hash(&secret::hash(token))
        .await?
        .ok_or(ApiError(ErrorCode::Unauthorized))?;
    let now = now_ms();
    if auth.revoked || auth.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError(ErrorCode::Unauthorized));
    }
    if auth
        .last_used_at
        .is_none_or(|t| now - t >= LAST_USED_RESOLUTION_MS)
    {
        state.store.touch_api_token(&auth.id, now).await?;
    }
    Ok(Caller {
        token_id: auth.id,
        name: auth.name,
        role: auth.role,
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

/// Creates a user; the password is hashed with argon2id.
pub async fn create_user(
    store: &steward_store::Store,
    email: &str,
    role: Role,
    password: &str,
    actor: &Actor,
) -> Result<(), ApiError> {
    let email = email.trim().to_ascii_lowercase();
    let valid = email.len() <= steward_proto::MAX_FIELD_LEN
        && email
            .split_once('@')
            .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !d.starts_with('.'));
    if !valid || password.len() < 12 {
        return Err(ApiError(ErrorCode::InvalidField));
    }
    store
        .create_user(
            &steward_store::tokens::NewUser {
                id: uuid::Uuid::now_v7().to_string(),
                display_name: email.split('@').next().unwrap_or_default().to_string(),
                email,
                language: "en".into(),
                role,
                password_hash: hash_password(password)?,
                created_at: now_ms(),
            },
            actor,
        )
        .await?;
    Ok(())
}
