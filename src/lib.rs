//! presence-stack: synthesize and check CloudFormation stacks for the AWS IoT presence pipeline.

pub mod config;
pub mod events;
pub mod model;
pub mod sql;
