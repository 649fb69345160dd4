use serde::{Deserialize, Serialize};

/// Built-in roles; what each may do is in [`crate::policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Administrator,
    Operator,
    Helpdesk,
    Readonly,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Operator,
        Role::Helpdesk,
        Role::Readonly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Operator => "operator",
            Role::Helpdesk => "helpdesk",
            Role::Readonly => "readonly",
        }
    }

    /// Accepts the role names and the short forms `admin`, `ops`, `help-desk`, `read-only`.
    pub fn parse(s: &str) -> Option<Role> {
        match s.to_ascii_lowercase().as_str() {
            "administrator" | "admin" => Some(Role::Administrator),
            "operator" | "ops" => Some(Role::Operator),
            "helpdesk" | "help-desk" => Some(Role::Helpdesk),
            "readonly" | "read-only" => Some(Role::Readonly),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_aliases_and_rejects_others() {
        assert_eq!(Role::parse("admin"), Some(Role::Administrator));
        assert_eq!(Role::parse("Operator"), Some(Role::Operator));
        assert_eq!(Role::parse("read-only"), Some(Role::Readonly));
        assert_eq!(Role::parse("root"), None);
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
