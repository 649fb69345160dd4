use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. The string form is part of the API contract:
/// codes are only ever added, never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedJson,
    InvalidField,
    PayloadTooLarge,
    BadCompression,
    UnsupportedMediaType,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    InvalidCursor,
    InvalidQuery,
    // Enrollment failure reasons (also recorded on enrollment attempts).
    UnknownToken,
    TokenExpired,
    TokenExhausted,
    TokenRevoked,
    PlatformNotAllowed,
    MalformedRequest,
    DuplicateDevice,
    // Users and sessions.
    InvalidCredentials,
    AccountLocked,
    CsrfMismatch,
    Conflict,
    /// E-mail was asked for and no SMTP server is configured.
    MailNotConfigured,
    // Check-in.
    DeviceRetired,
    Overloaded,
    Internal,
    // Limits and hostile input.
    /// A text field is longer than its limit (the error names the field).
    FieldTooLong,
    /// A list or map has more entries (or nests deeper) than its limit.
    TooManyEntries,
    /// Too many failed attempts from this address: wait (`Retry-After`) and try again.
    TooManyAttempts,
    /// The database cannot be reached right now.
    Unavailable,
    /// An outbound address (webhook, feed) is refused: not http(s), or a private, loopback or
    /// link-local address that `outbound.allow` does not name.
    OutboundRefused,
    /// The request names an object (a channel, rule, feature, notice …) that does not exist
    /// or cannot be used there.
    UnknownReference,
    /// A period (a silence's) ends before it starts or is already over.
    InvalidPeriod,
    /// An administrator tried to approve (or refuse) their own request.
    OwnRequest,
    /// The approval was decided before.
    AlreadyDecided,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 35] = [
        ErrorCode::MalformedJson,
        ErrorCode::InvalidField,
        ErrorCode::PayloadTooLarge,
        ErrorCode::BadCompression,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidCursor,
        ErrorCode::InvalidQuery,
        ErrorCode::UnknownToken,
        ErrorCode::TokenExpired,
        ErrorCode::TokenExhausted,
        ErrorCode::TokenRevoked,
        ErrorCode::PlatformNotAllowed,
        ErrorCode::MalformedRequest,
        ErrorCode::DuplicateDevice,
        ErrorCode::InvalidCredentials,
        ErrorCode::AccountLocked,
        ErrorCode::CsrfMismatch,
        ErrorCode::Conflict,
        ErrorCode::MailNotConfigured,
        ErrorCode::DeviceRetired,
        ErrorCode::Overloaded,
        ErrorCode::Internal,
        ErrorCode::FieldTooLong,
        ErrorCode::TooManyEntries,
        ErrorCode::TooManyAttempts,
        ErrorCode::Unavailable,
        ErrorCode::OutboundRefused,
        ErrorCode::UnknownReference,
        ErrorCode::InvalidPeriod,
        ErrorCode::OwnRequest,
        ErrorCode::AlreadyDecided,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidField => "invalid_field",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::BadCompression => "bad_compression",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::UnknownToken => "unknown_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenExhausted => "token_exhausted",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::PlatformNotAllowed => "platform_not_allowed",
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::DuplicateDevice => "duplicate_device",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::CsrfMismatch => "csrf_mismatch",
            ErrorCode::Conflict => "conflict",
            ErrorCode::MailNotConfigured => "mail_not_configured",
            ErrorCode::DeviceRetired => "device_retired",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Internal => "internal",
            ErrorCode::FieldTooLong => "field_too_long",
            ErrorCode::TooManyEntries => "too_many_entries",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::OutboundRefused => "outbound_refused",
            ErrorCode::UnknownReference => "unknown_reference",
            ErrorCode::InvalidPeriod => "invalid_period",
            ErrorCode::OwnRequest => "own_request",
            ErrorCode::AlreadyDecided => "already_decided",
        }
    }

    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// HTTP status that goes with the code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedJson
            | ErrorCode::InvalidField
            | ErrorCode::BadCompression
            | ErrorCode::InvalidCursor
            | ErrorCode::InvalidQuery
            | ErrorCode::MalformedRequest
            | ErrorCode::FieldTooLong
            | ErrorCode::TooManyEntries => 400,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::Unauthorized | ErrorCode::DeviceRetired | ErrorCode::InvalidCredentials => {
                401
            }
            ErrorCode::AccountLocked | ErrorCode::TooManyAttempts => 429,
            ErrorCode::Forbidden
            | ErrorCode::OutboundRefused
            | ErrorCode::CsrfMismatch
            | ErrorCode::UnknownToken
            | ErrorCode::TokenExpired
            | ErrorCode::TokenExhausted
            | ErrorCode::TokenRevoked
            | ErrorCode::PlatformNotAllowed
            | ErrorCode::OwnRequest => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::DuplicateDevice
            | ErrorCode::Conflict
            | ErrorCode::MailNotConfigured
            | ErrorCode::UnknownReference
            | ErrorCode::InvalidPeriod
            | ErrorCode::AlreadyDecided => 409,
            ErrorCode::Overloaded | ErrorCode::Unavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// The field a refusal is about (`os.locale`, `protection.detections[3].threat_name`),
    /// when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
