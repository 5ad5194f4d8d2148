//! The halo2 side: the [`Backend`](crate::backend::Backend) primitives laid out on
//! halo2-base, and the whole-model circuit.

pub mod backend;
pub mod circuit;
pub mod field;

pub use backend::Halo2Backend;
pub use circuit::{build, plan, BuiltCircuit, CircuitShape};
