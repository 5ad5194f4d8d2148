//! ONNX → typed graph IR for zkinfer.
//!
//! [`ir`] holds the IR types. The importer, shape inference, model report and the float
//! reference evaluator are added beside it.

pub mod ir;
