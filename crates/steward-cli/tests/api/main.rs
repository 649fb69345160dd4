//! The integration suite: one test binary. Every test runs against the backend named by
//! `STEWARD_TEST_DATABASE_URL` (a PostgreSQL server URL; each test gets its own database) or,
//! when it is unset, against SQLite in a temporary directory.

mod helpers;

mod agent_api;
mod agent_binary;
mod agent_tls;
mod alerts_api;
mod apps_api;
mod audit;
mod awareness_api;
mod bad_input;
mod console;
mod crash;
mod demo;
mod devices_api;
mod fleet_api;
mod hardening;
mod helpdesk_api;
mod notify_api;
mod remediation;
mod replicas;
mod reports_api;
mod sessions;
mod tokens_api;
