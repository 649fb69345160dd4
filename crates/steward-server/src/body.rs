//! Request bodies: read (possibly gzip-compressed) up to 1 MiB, then parsed.
//!
//! `JsonBody<T>` (the admin API) checks the JSON against `T`'s schema in the OpenAPI document
//! before it becomes a `T`: the limits declared on the Rust types (lengths, ranges, words,
//! required fields, no unknown fields) are the ones the server enforces, so the document and
//! the server cannot disagree. A refusal names the field. `AgentBody<T>` (enrollment and
//! check-in, the hot path) only parses; their limits are checked by `steward_core::limits`.

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use steward_proto::ErrorCode;

use crate::error::{ApiError, FieldError};

/// Largest accepted request body, after decompression.
pub const MAX_BODY: usize = 1024 * 1024;

/// A JSON body checked against its type's schema, then parsed.
pub struct JsonBody<T>(pub T);

/// A JSON body parsed without the schema check (the agent API, checked by its own limits).
pub struct AgentBody<T>(pub T);

async fn read<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    // The decompression layer has already consumed `Content-Encoding`; a body that fails
    // to read for another reason than its length failed to decompress.
    Bytes::from_request(req, state).await.map_err(|rejection| {
        use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
        match rejection {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                ApiError(ErrorCode::PayloadTooLarge)
            }
            BytesRejection::FailedToBufferBody(FailedToBufferBody::UnknownBodyError(_)) => {
                ApiError(ErrorCode::BadCompression)
            }
            _ => ApiError(ErrorCode::MalformedJson),
        }
    })
}

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for JsonBody<T> {
    type Rejection = FieldError;

    async fn from_request(req: Request, state: &S) -> Result<Self, FieldError> {
        let bytes = read(req, state).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| ApiError(ErrorCode::MalformedJson))?;
        crate::openapi::check(&T::name(), &value)?;
        let mut value = value;
        whole_numbers(&mut value);
        serde_json::from_value(value)
            .map(JsonBody)
            .map_err(|_| ApiError(ErrorCode::InvalidField).into())
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AgentBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read(req, state).await?;
        parse(&bytes).map(AgentBody)
    }
}

/// `3.0` is a whole number in JSON (and to the schema): made `3`, so Rust's integer fields
/// take it.
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *v = serde_json::Value::from(f as i64);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(m) => m.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Syntax errors (and non-UTF-8) are `malformed_json`; well-formed JSON of the wrong shape
/// (missing field, wrong type, unknown field) is `invalid_field`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError(ErrorCode::InvalidField),
            _ => ApiError(ErrorCode::MalformedJson),
        }
    })
}
