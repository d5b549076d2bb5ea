//! pz-apply: declarative Amazon Personalize campaigns.
//!
//! The engine behind the `pz-apply` binary: loading and validating campaign files (`load`, `validate`),
//! the desired-state model and its JSON Schema (`spec`), and the renderers for problems (`report`).

pub mod apply;
pub mod arn;
pub mod cli;
pub mod commands;
pub mod diagnostic;
pub mod error;
pub mod import;
pub mod live;
pub mod load;
pub mod local;
pub mod logging;
pub mod plan;
pub mod render;
pub mod report;
pub mod spec;
pub mod validate;
pub mod yaml;

pub use error::Error;
