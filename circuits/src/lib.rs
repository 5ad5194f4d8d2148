//! zkinfer circuits: quantization, calibration, the fixed-point operators and their halo2
//! layouts, and the model circuit.
//!
//! Every operator lives in [`ops`], one module per op family, written once over the
//! [`backend::Backend`] trait. Run on [`native::NativeBackend`] it is the fixed-point
//! reference evaluator ([`fixed::eval_fixed`]); run on the halo2 backend it lays out the
//! constraints that force the same integers.
//!
//! Without the default `model` feature only the circuit's column configuration and gates
//! are built (no ONNX import): what a verifier needs to read a verifying key.

pub mod backend;
#[cfg(feature = "model")]
pub mod calibrate;
pub mod error;
#[cfg(feature = "model")]
pub mod fixed;
pub mod halo2;
pub mod hash;
pub mod native;
#[cfg(feature = "model")]
pub mod ops;
pub mod quant;
pub mod visibility;

pub use error::{CircuitError, Result};
pub use quant::QuantParams;
