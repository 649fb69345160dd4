//! Whether an enrollment may go ahead. The store supplies the token record; this module decides.

use steward_proto::{EnrollRequest, ErrorCode, Platform, MAX_FIELD_LEN};

/// What the store knows about an enrollment token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub expires_at: Option<i64>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub platforms: Vec<Platform>,
    pub revoked: bool,
    pub group: Option<String>,
}

/// Whether an identity field is acceptable: at most [`MAX_FIELD_LEN`] characters, no control
/// characters, and not blank when required.
pub fn valid_field(value: &str, required: bool) -> bool {
    !(required && steward_proto::text::is_blank(value))
        && value.chars().count() <= MAX_FIELD_LEN
        && !value.chars().any(char::is_control)
}

/// Checks the request's own fields (before any token look-up).
pub fn validate_request(req: &EnrollRequest) -> Result<(), ErrorCode> {
    let fields = [
        (&req.hostname, true),
        (&req.hardware_id, true),
        (&req.os_version, true),
        (&req.serial, false),
        (&req.owner, false),
        (&req.model, false),
    ];
    if !fields
        .iter()
        .all(|(value, required)| valid_field(value, *required))
    {
        return Err(ErrorCode::MalformedRequest);
    }
    if req.token.len() > MAX_FIELD_LEN {
        return Err(ErrorCode::UnknownToken);
    }
    Ok(())
}

/// Decides on a token: unknown, revoked, expired, exhausted, platform not allowed, or fine.
pub fn check_token(
    token: Option<&TokenRecord>,
    platform: Platform,
    now_ms: i64,
) -> Result<(), ErrorCode> {
    let token = token.ok_or(ErrorCode::UnknownToken)?;
    if token.revoked {
        return Err(ErrorCode::TokenRevoked);
    }
    if token.expires_at.is_some_and(|e| e <= now_ms) {
        return Err(ErrorCode::TokenExpired);
    }
    if token.max_uses.is_some_and(|m| token.uses >= m) {
        return Err(ErrorCode::TokenExhausted);
    }
    if !token.platforms.is_empty() && !token.platforms.contains(&platform) {
        return Err(ErrorCode::PlatformNotAllowed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> TokenRecord {
        TokenRecord {
            id: "t".into(),
            expires_at: Some(1_000),
            max_uses: Some(2),
            uses: 0,
            platforms: vec![Platform::Linux],
            revoked: false,
            group: None,
        }
    }

    #[test]
    fn each_reason_in_order() {
        let t = token();
        assert_eq!(
            check_token(None, Platform::Linux, 0),
            Err(ErrorCode::UnknownToken)
        );
        assert_eq!(check_token(Some(&t), Platform::Linux, 999), Ok(()));
        assert_eq!(
            check_token(Some(&t), Platform::Linux, 1_000),
            Err(ErrorCode::TokenExpired)
        );
        let used = TokenRecord {
            uses: 2,
            ..t.clone()
        };
        assert_eq!(
            check_token(Some(&used), Platform::Linux, 0),
            Err(ErrorCode::TokenExhausted)
        );
        assert_eq!(
            check_token(Some(&t), Platform::Ios, 0),
            Err(ErrorCode::PlatformNotAllowed)
        );
        let revoked = TokenRecord {
            revoked: true,
            uses: 5,
            ..t
        };
        assert_eq!(
            check_token(Some(&revoked), Platform::Ios, 5_000),
            Err(ErrorCode::TokenRevoked)
        );
    }

    #[test]
    fn request_fields_are_checked() {
        let mut req = EnrollRequest {
            token: "x".into(),
            hostname: "pc-1".into(),
            platform: Platform::Windows,
            os_version: "10.0.22631".into(),
            hardware_id: "hw".into(),
            serial: String::new(),
            owner: String::new(),
            model: String::new(),
        };
        assert_eq!(validate_request(&req), Ok(()));
        req.hostname = "a\u{0}b".into();
        assert_eq!(validate_request(&req), Err(ErrorCode::MalformedRequest));
        req.hostname = "h".repeat(MAX_FIELD_LEN + 1);
        assert_eq!(validate_request(&req), Err(ErrorCode::MalformedRequest));
        req.hostname = " ".into();
        assert_eq!(validate_request(&req), Err(ErrorCode::MalformedRequest));
    }
}
