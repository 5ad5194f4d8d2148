//! What a circuit shape costs: the gas of its generated Solidity verifier and the time to
//! prove it, both predicted from the shape alone (no keys), so the planner can compare
//! layouts before anyone waits for key generation.
//!
//! **Gas.** The verifier snark-verifier generates for a halo2 proof (SHPLONK, Keccak
//! transcript) does, for a constraint system with `P` preprocessed commitments (fixed and
//! selector columns, permutation sigmas), `W` commitments in the proof (advice columns,
//! lookup permuted columns and grand products, permutation grand products, the vanishing
//! argument's random polynomial and `degree − 1` quotient pieces), `E` evaluations in the
//! proof and `I` public instances:
//!
//! * one `ecMul` (6,000 gas) and `ecAdd` (150) per commitment in the final multi-scalar
//!   multiplication, plus the scalar bookkeeping of SHPLONK's batching; a commitment in the
//!   proof also costs 64 bytes of calldata, its on-curve check and its transcript absorption;
//! * per evaluation: 32 bytes of calldata and its share of the linearisation;
//! * per instance: 32 bytes of calldata and a Lagrange basis evaluation (batch inversion);
//! * per operation of the gate polynomials (the quotient's numerator, evaluated at one
//!   point): a few `mulmod`/`addmod`;
//! * once: the 21,000 of a transaction, the pairing check (113,000) and the rest of the
//!   transcript.
//!
//! [`GasModel::FITTED`] holds the coefficients, fitted by least squares on `verifyProof`
//! transactions measured in revm (see its docs) and checked against measured gas by
//! `tests/evm_gas_model.rs` and the anvil tests. The counts come from the circuit's own
//! `configure` ([`ProtocolCounts::of_shape`]), the way snark-verifier's `compile` counts
//! them from a verifying key.
//!
//! **Time.** A linear model of the prover's CPU seconds in the committed and preprocessed
//! cells, `CPU = base + 2^k × (w·W + p·P)` (every commitment in the proof is an FFT and an
//! MSM of size `2^k`; every column, fixed ones included, is evaluated on the extended
//! domain for the quotient), fitted on the same 30 proofs as the gas (release build, 2-core
//! AMD EPYC, shapes from k = 8 to 19; mean error 10%, largest 25% over the 24 proofs at
//! k ≥ 11), and turned into wall seconds on two cores by [`TWO_CORE_SPEEDUP`]. It is an
//! order of magnitude for machines like that one, not a promise; what the planner needs is
//! the ratio between layouts, which it gets right where the old cell-count model was off by
//! 3× for narrow ones.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{Circuit, ConstraintSystem, Expression};
use serde::{Deserialize, Serialize};

use super::circuit::CircuitShape;
use super::model::ModelCircuit;

/// Fitted CPU seconds of a proof, fixed part (process start, reading the keys).
pub const CPU_BASE_SECONDS: f64 = 0.366;
/// Fitted CPU seconds per row of each commitment in the proof (`W`).
pub const CPU_SECONDS_PER_WITNESS_CELL: f64 = 1.15e-5;
/// Fitted CPU seconds per row of each preprocessed column (`P`).
pub const CPU_SECONDS_PER_PREPROCESSED_CELL: f64 = 8.86e-6;
/// Wall time on two cores is CPU time divided by this (measured 1.8 on the larger proofs).
pub const TWO_CORE_SPEEDUP: f64 = 1.8;
/// The wall-clock part of [`predicted_prove_seconds`] that does not grow with the rows.
pub const BASE_SECONDS: f64 = CPU_BASE_SECONDS / TWO_CORE_SPEEDUP;

/// Committed columns of a planned circuit: flex-gate and range-lookup advice, three per
/// function-table group, the packed gate's columns (twice with parameters in advice), and
/// the constants column.
pub fn columns(shape: &CircuitShape) -> usize {
    shape.config.num_advice_per_phase.iter().sum::<usize>()
        + shape
            .config
            .num_lookup_advice_per_phase
            .iter()
            .sum::<usize>()
        + 3 * shape.lookup_groups
        + shape.dot_columns
        + 1
        // Parameters in advice: the packed gate's weight columns are advice too.
        + if shape.visibility.params.is_advice() {
            shape.dot_columns
        } else {
            0
        }
}

/// Predicted CPU seconds of proving `shape` (see the module docs).
pub fn predicted_prove_cpu_seconds(shape: &CircuitShape) -> f64 {
    let c = ProtocolCounts::of_shape(shape, 0, 0);
    CPU_BASE_SECONDS
        + (1u64 << shape.k) as f64
            * (CPU_SECONDS_PER_WITNESS_CELL * c.witness as f64
                + CPU_SECONDS_PER_PREPROCESSED_CELL * c.preprocessed as f64)
}

/// Predicted wall seconds of proving `shape` on two cores (see the module docs).
pub fn predicted_prove_seconds(shape: &CircuitShape) -> f64 {
    predicted_prove_cpu_seconds(shape) / TWO_CORE_SPEEDUP
}

/// Fitted peak resident memory of a proving process, fixed part (binary, runtime, keys'
/// headers).
pub const MEM_BASE_BYTES: f64 = 32.45e6;
/// Fitted peak memory per row of the circuit (SRS points, the vanishing argument's and the
/// lookup tables' per-row buffers).
pub const MEM_BYTES_PER_ROW: f64 = 979.0;
/// Fitted peak memory per row of each committed or preprocessed column (`W + P`): the
/// column in Lagrange and coefficient form, and its share of the extended-domain evaluation.
pub const MEM_BYTES_PER_CELL: f64 = 91.25;

/// Predicted peak resident memory of `zkinfer prove` (or `prove-segment`) on `shape`, in
/// bytes: `base + 2^k × (r + c·(W + P))`, fitted by least squares on the peak RSS of four
/// release-build proofs on the 2-core machine (LeNet-5 whole, k = 15, 122 columns' worth
/// of commitments: 411 MiB; three of its segments at k = 14 and 16: 251 to 441 MiB; all
/// within 1%). Like the time model it is an order of magnitude, good for comparing circuits
/// of one model, not a promise.
pub fn predicted_prove_peak_bytes(shape: &CircuitShape) -> u64 {
    let c = ProtocolCounts::of_shape(shape, 0, 0);
    let rows = (1u64 << shape.k) as f64;
    (MEM_BASE_BYTES
        + rows * (MEM_BYTES_PER_ROW + MEM_BYTES_PER_CELL * (c.witness + c.preprocessed) as f64))
        as u64
}

/// What the verifier of a shape has to process (see the module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolCounts {
    /// Advice columns.
    pub advice: usize,
    /// Fixed columns, selectors included (each selector counted as its own column).
    pub fixed: usize,
    /// Columns in the permutation argument.
    pub permutation: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Degree of the constraint system.
    pub degree: usize,
    /// Public instances.
    pub instances: usize,
    /// `P`: commitments the verifier holds (fixed, selectors, permutation sigmas).
    pub preprocessed: usize,
    /// `W`: commitments in the proof.
    pub witness: usize,
    /// `E`: evaluations in the proof.
    pub evaluations: usize,
    /// Operations (sums, products, scalings) of the gate polynomials.
    pub gate_ops: usize,
}

fn ops(e: &Expression<Fr>) -> usize {
    e.evaluate(
        &|_| 0,
        &|_| 0,
        &|_| 0,
        &|_| 0,
        &|_| 0,
        &|_| 0,
        &|a| a + 1,
        &|a, b| a + b + 1,
        &|a, b| a + b + 1,
        &|a, _| a + 1,
    )
}

impl ProtocolCounts {
    /// Counts of the constraint system `configure` builds for `shape` with `public_rows`
    /// public cells, verified with `instances` instances.
    pub fn of_shape(shape: &CircuitShape, public_rows: usize, instances: usize) -> Self {
        let mut cs = ConstraintSystem::<Fr>::default();
        let _ = ModelCircuit::configure_with_params(&mut cs, shape.circuit_params(public_rows));
        Self::of_cs(&cs, instances)
    }

    /// Counts of `cs` as snark-verifier's `compile` would see it after key generation
    /// (selectors turned into fixed columns), verified with `instances` instances.
    pub fn of_cs(cs: &ConstraintSystem<Fr>, instances: usize) -> Self {
        let degree = cs.degree().max(3);
        let advice = cs.num_advice_columns();
        let fixed = cs.num_fixed_columns() + cs.num_selectors();
        let permutation = cs.permutation().get_columns().len();
        let lookups = cs.lookups().len();
        // Zero knowledge: chunks of degree − 2 columns per permutation grand product.
        let chunk = degree - 2;
        let perm_z = permutation.div_ceil(chunk);
        let witness = advice + 2 * lookups + perm_z + lookups + 1 + (degree - 1);
        let evaluations = cs.advice_queries().len()
            + cs.fixed_queries().len()
            + cs.num_selectors()
            + 1
            + permutation
            + (3 * perm_z).saturating_sub(1)
            + 5 * lookups;
        let mut gate_ops: usize = cs
            .gates()
            .iter()
            .flat_map(|g| g.polynomials())
            .map(ops)
            .sum();
        for l in cs.lookups() {
            gate_ops += l
                .input_expressions()
                .iter()
                .chain(l.table_expressions())
                .map(ops)
                .sum::<usize>();
        }
        Self {
            advice,
            fixed,
            permutation,
            lookups,
            degree,
            instances,
            preprocessed: fixed + permutation,
            witness,
            evaluations,
            gate_ops,
        }
    }

    /// Bytes of a proof with these counts: a point (64 bytes) per commitment in the proof
    /// and the SHPLONK opening, a scalar (32 bytes) per evaluation.
    pub fn proof_bytes(&self) -> usize {
        64 * (self.witness + 2) + 32 * self.evaluations
    }
}

/// A linear model of a verifier's gas (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GasModel {
    /// Once per call: transaction, pairing, transcript set-up.
    pub base: f64,
    /// Per preprocessed commitment (`P`: a constant in the code, one `ecMul`/`ecAdd`).
    pub per_preprocessed: f64,
    /// Per commitment in the proof (`W`: 64 bytes of calldata, the on-curve check, the
    /// transcript, one `ecMul`/`ecAdd`).
    pub per_witness: f64,
    /// Per evaluation (`E`).
    pub per_evaluation: f64,
    /// Per instance (`I`).
    pub per_instance: f64,
    /// Per gate-polynomial operation.
    pub per_gate_op: f64,
}

impl GasModel {
    /// Least-squares fit on 24 `verifyProof` transactions measured in revm (Prague rules,
    /// whole transaction): digits_mlp16 (public and hashed inputs), op_sigmoid and
    /// digits_conv, each in six shapes from one flex column without lookups (k = 14–17) to
    /// 16 columns with a 32-wide packed gate (k = 8–11), 263k–1.02M gas. Largest error
    /// 3.6%. The gate-polynomial term did not improve the fit and is 0. Rows:
    /// `ZKINFER_GAS_FIT=1 cargo test -p zkinfer --test evm_gas_model fit_rows -- --nocapture`.
    pub const FITTED: GasModel = GasModel {
        base: 141_605.0,
        per_preprocessed: 4_781.0,
        per_witness: 11_250.0,
        per_evaluation: 876.0,
        per_instance: 676.0,
        per_gate_op: 0.0,
    };

    /// The predicted gas of one `verifyProof` transaction.
    pub fn predict(&self, c: &ProtocolCounts) -> u64 {
        let g = self.base
            + self.per_preprocessed * c.preprocessed as f64
            + self.per_witness * c.witness as f64
            + self.per_evaluation * c.evaluations as f64
            + self.per_instance * c.instances as f64
            + self.per_gate_op * c.gate_ops as f64;
        g.round().max(0.0) as u64
    }
}

/// The predicted gas of verifying a proof of `shape` on chain (one `verifyProof`
/// transaction, 21,000 and calldata included) with [`GasModel::FITTED`].
/// (A `Result` so that later models may refuse shapes they cannot price.)
pub fn evm_gas(
    shape: &CircuitShape,
    public_rows: usize,
    num_instances: usize,
) -> crate::error::Result<u64> {
    Ok(GasModel::FITTED.predict(&ProtocolCounts::of_shape(shape, public_rows, num_instances)))
}
