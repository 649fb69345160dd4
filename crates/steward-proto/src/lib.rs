//! Wire types shared by the Steward server, the agent, the CLI and the tests.
//!
//! Everything that crosses the network is defined here once, so the agent, the simulator
//! and the integration tests speak exactly what the server parses.

pub mod agent;
pub mod api;
pub mod apps;
pub mod error;
pub mod remediation;
pub mod reports;
pub mod text;

pub use agent::*;
pub use api::*;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
