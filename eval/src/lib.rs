//! The scoring evaluation: a labelled set of postings and profiles (`eval/`), the figures
//! that say how well a scorer's order agrees with a careful reader's, and a runner that
//! scores the set through the same scorer configuration the worker builds.

pub mod metrics;
pub mod report;
pub mod run;
pub mod set;

pub use run::{Candidate, Figures, Run, ScorerRun, run};
pub use set::{EvalSet, Split};
