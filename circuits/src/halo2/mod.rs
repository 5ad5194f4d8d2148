//! The halo2 side: the [`Backend`](crate::backend::Backend) primitives laid out on
//! halo2-base, and the whole-model circuit.

pub mod backend;
#[cfg(feature = "model")]
pub mod circuit;
pub mod dot;
#[cfg(feature = "model")]
pub mod evm_cost;
#[cfg(feature = "model")]
pub mod evm_plan;
pub mod field;
pub mod lookup;
#[cfg(feature = "model")]
pub mod mem_plan;
pub mod model;
pub mod params;
#[cfg(feature = "model")]
pub mod plan;
pub mod poseidon;

pub use backend::Halo2Backend;
#[cfg(feature = "model")]
pub use circuit::{build, dot_weights, BuiltCircuit, CircuitShape, Layout, PartHashes};
#[cfg(feature = "model")]
pub use evm_cost::{
    columns, evm_gas, predicted_prove_peak_bytes, predicted_prove_seconds, GasModel, ProtocolCounts,
};
#[cfg(feature = "model")]
pub use evm_plan::{plan_evm, EvmCandidate, EvmOptions, EvmPlan, DEFAULT_GAS_PER_SECOND};
pub use lookup::{LookupConfig, LookupRecord, LookupTable};
#[cfg(feature = "model")]
pub use mem_plan::{plan_memory, MEMORY_MAX_ADVICE};
pub use model::{committed_columns, ModelCircuit, ModelCircuitParams, ModelConfig};
#[cfg(feature = "model")]
pub use plan::{plan, plan_for, plan_limits, plan_with, LayoutLimits};
