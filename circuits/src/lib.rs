//! zkinfer circuits: quantization, calibration, the fixed-point operators and their halo2
//! layouts, and the model circuit.
//!
//! Every operator lives in [`ops`], one module per op family, written once over the
//! [`backend::Backend`] trait. Run on [`native::NativeBackend`] it is the fixed-point
//! reference evaluator ([`fixed::eval_fixed`]); run on the halo2 backend it lays out the
//! constraints that force the same integers.

pub mod backend;
pub mod calibrate;
pub mod error;
pub mod fixed;
pub mod halo2;
pub mod native;
pub mod ops;
pub mod quant;

pub use error::{CircuitError, Result};
pub use quant::QuantParams;
