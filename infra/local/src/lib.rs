//! The part of the local gateway other tools reuse: what a function's process sees in its
//! environment (the cold-start benchmark starts function binaries exactly as `make dev` does).

pub mod environment;
