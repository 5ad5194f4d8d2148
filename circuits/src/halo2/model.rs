//! The model's halo2 circuit as a type: halo2-base's flex gate and lookup range chip plus the
//! packed dot-product gate ([`super::dot`]) and the function-table lookups
//! ([`super::lookup`]). This part needs no ONNX: the verifier builds the same constraint
//! system from [`ModelCircuitParams`] alone to read a verifying key.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, BaseConfig};
use halo2_base::halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Selector};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use serde::{Deserialize, Serialize};

use super::dot::{DotConfig, DotTable, DotWeights};
use super::lookup::{LookupConfig, LookupTable};
use super::poseidon::{PoseidonConfig, PoseidonTable};

/// Column configuration of a [`ModelCircuit`]. As JSON: halo2-base's `BaseCircuitParams`
/// fields plus `dot_columns` and `lookup_groups` (absent = 0, the circuits of settings written
/// before these existed; `lookup_groups = 0` is also left out when written, so such
/// configurations serialize as before). With `num_instance_columns = 0` the circuit has its
/// own instance column bound by a gate (see `PublicConfig`); with 1 it uses halo2-base's,
/// bound by copy constraints.
///
/// `public_rows` is the number of public cells the circuit constrains to the instance column
/// (rows `0..public_rows` under the gate, or the cells copied to halo2-base's column). It does
/// not change the constraint system (the gate's selector rows are fixed columns the key
/// commits to), but a verifying key records it next to its instance count, and a verifier
/// insists that the two agree.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModelCircuitParams {
    /// halo2-base's flex gate, range lookup and instance columns.
    #[serde(flatten)]
    pub base: BaseCircuitParams,
    /// Terms per row of the packed dot-product gate (0: no such gate).
    #[serde(default)]
    pub dot_columns: usize,
    /// Groups of function-table lookup columns, each with its own lookup argument (0: no
    /// table lookups, no table, no columns).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub lookup_groups: usize,
    /// Public cells the circuit constrains: the statement's instance count.
    #[serde(default)]
    pub public_rows: usize,
    /// Where the packed gate's weights live (left out when fixed, the circuits from before
    /// parameter visibility, so their keys are unchanged).
    #[serde(default, skip_serializing_if = "DotWeights::is_fixed")]
    pub dot_weights: DotWeights,
    /// The first 12 instances are a KZG accumulator (lhs.x, lhs.y, rhs.x, rhs.y, each 3
    /// little-endian limbs of 88 bits) that a verifier must decide with a pairing after the
    /// proof verifies; set only for aggregation keys. `configure` ignores it (left out when
    /// false, so other keys serialize as before).
    #[serde(default, skip_serializing_if = "is_false")]
    pub kzg_accumulator: bool,
    /// Lanes of the dedicated Poseidon gate ([`super::poseidon`]; 0: hashing on the flex
    /// gate, and left out when written, so such configurations serialize as before).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub poseidon_lanes: usize,
}

/// Indices of the advice columns whose commitments a verifier checks: the packed gate's
/// weight columns when they are [`DotWeights::Committed`], else none.
pub fn committed_columns(p: &ModelCircuitParams) -> Vec<usize> {
    if p.dot_weights != DotWeights::Committed {
        return Vec::new();
    }
    let mut meta = ConstraintSystem::<Fr>::default();
    let config = ModelCircuit::configure_with_params(&mut meta, p.clone());
    config
        .dot
        .map(|d| d.weight_columns().iter().map(|c| c.index()).collect())
        .unwrap_or_default()
}

/// Columns of a [`ModelCircuit`].
#[derive(Clone, Debug)]
pub struct ModelConfig {
    base: BaseConfig<Fr>,
    dot: Option<DotConfig>,
    public: Option<PublicConfig>,
    lookup: Option<LookupConfig>,
    poseidon: Option<PoseidonConfig>,
}

/// The public values by a gate instead of copy constraints: with halo2-base's instance
/// column switched off (`num_instance_columns = 0`), the circuit has its own instance column,
/// outside the permutation argument, and
///
/// ```text
///   q_pub · (a − instance) = 0
/// ```
///
/// on rows `0..N`, where `a` is the first flex-gate advice column, which the layout starts
/// with the `N` public values in instance order. The permutation then spans one column fewer
/// (one commitment and its evaluations fewer for every verifier, on chain above all) at the
/// price of one selector.
#[derive(Clone, Debug)]
struct PublicConfig {
    q: Selector,
}

impl PublicConfig {
    fn configure(meta: &mut ConstraintSystem<Fr>, value: Column<Advice>) -> Self {
        let q = meta.selector();
        let instance = meta.instance_column();
        meta.create_gate("public value", |vc| {
            let q = vc.query_selector(q);
            let a = vc.query_advice(value, Rotation::cur());
            let i = vc.query_instance(instance, Rotation::cur());
            // q_pub · (a − instance)
            vec![q * (a - i)]
        });
        Self { q }
    }
}

/// The model's halo2 circuit: halo2-base's flex gate and range chip plus the packed
/// dot-product gate and the table lookups, tied together by halo2-base's copy manager.
pub struct ModelCircuit {
    /// Everything but the packed products.
    pub builder: BaseCircuitBuilder<Fr>,
    /// The packed products.
    pub dots: DotTable,
    /// Terms per row of the packed gate.
    pub dot_columns: usize,
    /// Rows of public values at the top of the first advice column (used when halo2-base's
    /// instance column is off; see [`ModelCircuitParams`]).
    pub public_rows: usize,
    /// The function tables and the lookups into them.
    pub lookups: LookupTable,
    /// Groups of lookup columns.
    pub lookup_groups: usize,
    /// Where the packed gate's weights live.
    pub dot_weights: DotWeights,
    /// The permutations of the Poseidon gate (empty when hashing is on the flex gate).
    pub poseidon: PoseidonTable,
    /// Lanes of the Poseidon gate.
    pub poseidon_lanes: usize,
}

impl ModelCircuit {
    /// A copy with its own copy manager, so the copy can be changed independently (tests).
    pub fn deep_clone(&self) -> Self {
        Self {
            builder: self.builder.deep_clone(),
            dots: self.dots.clone(),
            dot_columns: self.dot_columns,
            public_rows: self.public_rows,
            lookups: self.lookups.clone(),
            lookup_groups: self.lookup_groups,
            dot_weights: self.dot_weights,
            poseidon: self.poseidon.clone(),
            poseidon_lanes: self.poseidon_lanes,
        }
    }
}

impl ModelCircuit {
    /// Runs `f` with halo2-base's copy manager, so a custom region can register where its
    /// named cells landed; with `None` when only the witness is generated (proving), where
    /// copy constraints are not laid out.
    fn with_copies<R>(
        &self,
        f: impl FnOnce(Option<&mut CopyConstraintManager<Fr>>) -> std::result::Result<R, Error>,
    ) -> std::result::Result<R, Error> {
        if self.builder.witness_gen_only() {
            return f(None);
        }
        let mut cm = self
            .builder
            .core()
            .copy_manager
            .lock()
            .map_err(|_| Error::Synthesis)?;
        f(Some(&mut cm))
    }
}

impl ModelCircuit {
    /// Lays out one custom gate's region (`assign` with its config and the copy manager);
    /// without the gate configured, records for it are an error (they would be unconstrained).
    fn custom_region<C>(
        &self,
        layouter: &mut impl Layouter<Fr>,
        name: &'static str,
        config: Option<&C>,
        recorded: bool,
        assign: impl Fn(
            &C,
            &mut Region<'_, Fr>,
            Option<&mut CopyConstraintManager<Fr>>,
        ) -> std::result::Result<(), Error>,
    ) -> std::result::Result<(), Error> {
        let Some(c) = config else {
            return if recorded {
                Err(Error::Synthesis)
            } else {
                Ok(())
            };
        };
        layouter.assign_region(
            || name,
            |mut region| self.with_copies(|cm| assign(c, &mut region, cm)),
        )
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ModelCircuitParams;

    fn params(&self) -> ModelCircuitParams {
        let base = self.builder.params();
        // With its own instance column the gate binds `public_rows` rows; with halo2-base's,
        // every assigned instance cell is copied to it.
        let public_rows = if base.num_instance_columns == 0 {
            self.public_rows
        } else {
            self.builder.assigned_instances.iter().map(Vec::len).sum()
        };
        ModelCircuitParams {
            base,
            dot_columns: self.dot_columns,
            lookup_groups: self.lookup_groups,
            public_rows,
            dot_weights: self.dot_weights,
            kzg_accumulator: false,
            poseidon_lanes: self.poseidon_lanes,
        }
    }

    fn without_witnesses(&self) -> Self {
        // Key generation always runs on a fully laid-out circuit; halo2 never calls this.
        Self {
            builder: BaseCircuitBuilder::new(false).use_params(self.builder.params()),
            dots: DotTable::default(),
            dot_columns: self.dot_columns,
            public_rows: self.public_rows,
            // The tables and tags are fixed columns: keep them.
            lookups: self.lookups.clone(),
            lookup_groups: self.lookup_groups,
            dot_weights: self.dot_weights,
            poseidon: PoseidonTable::default(),
            poseidon_lanes: self.poseidon_lanes,
        }
    }

    fn configure_with_params(
        meta: &mut ConstraintSystem<Fr>,
        p: ModelCircuitParams,
    ) -> ModelConfig {
        let own_instance = p.base.num_instance_columns == 0;
        let k = p.base.k;
        let mut base = BaseCircuitBuilder::configure_with_params(meta, p.base);
        let dot = DotConfig::configure(meta, p.dot_columns, p.dot_weights);
        let public = match base.gate().basic_gates.first().and_then(|g| g.first()) {
            Some(g) if own_instance => Some(PublicConfig::configure(meta, g.value)),
            _ => None,
        };
        // Last, so that without lookups the constraint system is the one from before them.
        let lookup = LookupConfig::configure(meta, p.lookup_groups);
        // After the lookups, for the same reason.
        let poseidon = PoseidonConfig::configure(meta, p.poseidon_lanes);
        if poseidon.is_some() {
            // Its 18 rotations raise halo2's blinding rows after halo2-base read them: the
            // flex gate must stop above the new ones.
            base.set_usable_rows((1usize << k) - meta.minimum_rows());
        }
        ModelConfig {
            base,
            dot,
            public,
            lookup,
            poseidon,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        Self::configure_with_params(meta, ModelCircuitParams::default())
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> std::result::Result<(), Error> {
        self.custom_region(
            &mut layouter,
            "packed dot products",
            config.dot.as_ref(),
            !self.dots.dots.is_empty(),
            |dot, region, cm| self.dots.assign(dot, region, cm),
        )?;
        if let Some(lookup) = &config.lookup {
            if !self.builder.witness_gen_only() {
                // Fixed columns: only key generation and mock proving read them.
                self.lookups.assign_table(lookup, &mut layouter)?;
            }
        }
        self.custom_region(
            &mut layouter,
            "table lookups",
            config.lookup.as_ref(),
            !self.lookups.records.is_empty(),
            |lookup, region, cm| self.lookups.assign(lookup, region, cm),
        )?;
        self.custom_region(
            &mut layouter,
            "poseidon permutations",
            config.poseidon.as_ref(),
            !self.poseidon.inputs.is_empty(),
            |poseidon, region, cm| self.poseidon.assign(poseidon, region, cm),
        )?;
        if let Some(public) = &config.public {
            if !self.builder.witness_gen_only() {
                layouter.assign_region(
                    || "public values",
                    |mut region| {
                        for row in 0..self.public_rows {
                            public.q.enable(&mut region, row)?;
                        }
                        Ok(())
                    },
                )?;
            }
        } else if self.public_rows > 0 && self.builder.assigned_instances.is_empty() {
            return Err(Error::Synthesis);
        }
        self.builder.synthesize(config.base, layouter)
    }
}

/// Serde: leaves out a zero count, so configurations without the feature serialize exactly
/// as before it existed (keys and settings stay byte-identical).
pub(crate) fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Serde: leaves out a false flag, so configurations without the feature serialize exactly
/// as before it existed.
pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kzg_accumulator_is_left_out_when_false() {
        let plain = ModelCircuitParams::default();
        let json = serde_json::to_string(&plain).unwrap();
        assert!(!json.contains("kzg_accumulator"), "{json}");
        let agg = ModelCircuitParams {
            kzg_accumulator: true,
            ..Default::default()
        };
        let json = serde_json::to_string(&agg).unwrap();
        assert!(json.ends_with(r#","kzg_accumulator":true}"#), "{json}");
        let back: ModelCircuitParams = serde_json::from_str(&json).unwrap();
        assert!(back.kzg_accumulator);
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
    }
}
