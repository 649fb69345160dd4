//! Steward's domain logic. No I/O: time is always a parameter (`now_ms`), so tests control it.

pub mod alerting;
pub mod apps;
pub mod awareness;
pub mod compliance;
pub mod deb;
pub mod enrollment;
pub mod health;
pub mod history;
pub mod i18n;
pub mod kb;
pub mod limits;
pub mod load;
pub mod notify;
pub mod policy;
pub mod remediation;
pub mod reports;
pub mod role;
pub mod secret;
pub mod time;
pub mod training;

pub use i18n::{t, t_args, Lang};
pub use role::Role;
