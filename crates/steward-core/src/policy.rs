//! Who may do what: every admin API endpoint names one [`Permission`], and this table is the
//! only place that says which roles hold it.

use crate::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Devices, their inventory and history, enrollment attempts.
    ReadDevices,
    /// Actions that change a device's standing (retire).
    ManageDevices,
    /// Compliance policies: create, change, delete.
    ManagePolicies,
    /// Enrollment tokens: create, list, revoke.
    ManageEnrollment,
    /// API tokens: create, list, revoke.
    ManageTokens,
    /// Users: list and look up.
    ReadUsers,
    /// Users: create, change roles and scope, disable, reset passwords.
    ManageUsers,
    /// The audit log.
    ReadAudit,
    /// Helping device users: the troubleshooting view, the knowledge base and its feedback,
    /// requests to devices (check in now, full scan, definition update), notes on a device's
    /// timeline, enrollment invitations.
    AssistUsers,
    /// Writing and reviewing knowledge-base articles.
    ManageArticles,
    /// The app catalog, uploads and assignments: create, change, pause, retry, delete.
    ManageApps,
    /// Another install attempt of an app on one device (the help desk's "retry install").
    RetryInstalls,
    /// Fleet figures and reports (counts, trends, exports), within the caller's groups: every
    /// role, stakeholders included.
    ReadReports,
    /// Scheduled reports: create, change, delete, send now.
    ManageReports,
    /// Scripts and remediations: write, change, assign, run again.
    ManageScripts,
    /// Running a script an administrator cleared, or collecting diagnostics, on one device.
    RunScripts,
    /// Approving or refusing another administrator's risky request (wipe, restart of many
    /// devices, a script version reaching many devices), and clearing scripts for the help
    /// desk.
    ApproveRequests,
}

impl Permission {
    pub const ALL: [Permission; 17] = [
        Permission::ReadDevices,
        Permission::ManageDevices,
        Permission::ManagePolicies,
        Permission::ManageEnrollment,
        Permission::ManageTokens,
        Permission::ReadUsers,
        Permission::ManageUsers,
        Permission::ReadAudit,
        Permission::AssistUsers,
        Permission::ManageArticles,
        Permission::ManageApps,
        Permission::RetryInstalls,
        Permission::ReadReports,
        Permission::ManageReports,
        Permission::ManageScripts,
        Permission::RunScripts,
        Permission::ApproveRequests,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::ReadDevices => "read devices",
            Permission::ManageDevices => "manage devices",
            Permission::ManagePolicies => "manage policies",
            Permission::ManageEnrollment => "manage enrollment",
            Permission::ManageTokens => "manage API tokens",
            Permission::ReadUsers => "read users",
            Permission::ManageUsers => "manage users",
            Permission::ReadAudit => "read the audit log",
            Permission::AssistUsers => "assist users",
            Permission::ManageArticles => "manage articles",
            Permission::ManageApps => "manage apps",
            Permission::RetryInstalls => "retry installs",
            Permission::ReadReports => "read reports",
            Permission::ManageReports => "manage reports",
            Permission::ManageScripts => "manage scripts",
            Permission::RunScripts => "run scripts",
            Permission::ApproveRequests => "approve requests",
        }
    }

    /// Whether `role` holds this permission.
    pub fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            // The help desk looks devices and failed enrollments up; stakeholders (read-only)
            // see dashboards and reports, not the device list.
            // The help desk also helps users and keeps its troubleshooting articles.
            Permission::ReadDevices
            | Permission::AssistUsers
            | Permission::ManageArticles
            | Permission::RetryInstalls
            | Permission::RunScripts => {
                matches!(role, Administrator | Operator | Helpdesk)
            }
            Permission::ReadReports => true,
            Permission::ManageDevices
            | Permission::ManagePolicies
            | Permission::ManageApps
            | Permission::ManageReports
            | Permission::ManageScripts => {
                matches!(role, Administrator | Operator)
            }
            Permission::ReadUsers => matches!(role, Administrator | Helpdesk),
            Permission::ManageEnrollment
            | Permission::ManageTokens
            | Permission::ManageUsers
            | Permission::ReadAudit
            | Permission::ApproveRequests => role == Administrator,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn administrators_hold_everything_and_readonly_only_reports() {
        for p in Permission::ALL {
            assert!(p.allows(Role::Administrator), "{p:?}");
            assert_eq!(
                p.allows(Role::Readonly),
                p == Permission::ReadReports,
                "{p:?}"
            );
        }
        assert!(Permission::ManageReports.allows(Role::Operator));
        assert!(!Permission::ManageReports.allows(Role::Helpdesk));
        assert!(Permission::ReadDevices.allows(Role::Helpdesk));
        assert!(!Permission::ManageDevices.allows(Role::Helpdesk));
        assert!(!Permission::ManageEnrollment.allows(Role::Operator));
        assert!(!Permission::ManageTokens.allows(Role::Helpdesk));
        assert!(Permission::ReadUsers.allows(Role::Helpdesk));
        assert!(!Permission::ManageUsers.allows(Role::Operator));
        assert!(Permission::AssistUsers.allows(Role::Helpdesk));
        assert!(Permission::ManageArticles.allows(Role::Helpdesk));
        assert!(Permission::ManageScripts.allows(Role::Operator));
        assert!(!Permission::ManageScripts.allows(Role::Helpdesk));
        assert!(Permission::RunScripts.allows(Role::Helpdesk));
        assert!(!Permission::ApproveRequests.allows(Role::Operator));
    }
}
