use serde::{Deserialize, Serialize};

/// Built-in roles. Finer permission checks come with the policy layer; for now a role
/// either may change configuration (administrator, operator) or only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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

    /// May manage enrollment tokens.
    pub fn can_manage_enrollment(self) -> bool {
        matches!(self, Role::Administrator | Role::Operator)
    }

    /// May create API tokens.
    pub fn can_manage_tokens(self) -> bool {
        self == Role::Administrator
    }

    /// May read devices and enrollment attempts.
    pub fn can_read_devices(self) -> bool {
        true
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
        assert!(!Role::Helpdesk.can_manage_enrollment());
        assert!(Role::Operator.can_manage_enrollment());
        assert!(!Role::Operator.can_manage_tokens());
    }
}
