//! The Steward agent: an HTTP client for the agent API and the collectors of basic OS facts.
//! The `steward` CLI's simulator and benchmark use this same client.

pub mod apps;
pub mod clamav;
pub mod client;
pub mod facts;
pub mod queue;
pub mod scripts;
pub mod security;
pub mod system;
pub mod tls;

pub use client::{AgentError, Client};
