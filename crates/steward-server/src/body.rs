//! `JsonBody<T>`: reads a (possibly gzip-compressed) body of at most 1 MiB and parses it,
//! with each failure mapped to a stable error code.

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use steward_proto::ErrorCode;

use crate::error::ApiError;

/// Largest accepted request body, after decompression.
pub const MAX_BODY: usize = 1024 * 1024;

pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // The decompression layer has already consumed `Content-Encoding`; a body that fails
        // to read for another reason than its length failed to decompress.
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
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
        })?;
        parse(&bytes).map(JsonBody)
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
