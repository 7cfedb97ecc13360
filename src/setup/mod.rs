//! What the child does to build the container: the ordered [`step::Step`]s the plan prepares, the
//! container's file [`tree`] they work on (every path resolved from descriptors), and the minimal
//! [`dev`] they build.

pub mod dev;
pub mod step;
pub mod tree;
