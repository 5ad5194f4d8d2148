//! The model's halo2 circuit as a type: halo2-base's flex gate and lookup range chip plus the
//! packed dot-product gate ([`super::dot`]). This part needs no ONNX: the verifier builds the
//! same constraint system from [`ModelCircuitParams`] alone to read a verifying key.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, BaseConfig};
use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{Circuit, ConstraintSystem, Error};
use serde::{Deserialize, Serialize};

use super::dot::{DotConfig, DotTable};

/// Column configuration of a [`ModelCircuit`]. As JSON: halo2-base's `BaseCircuitParams`
/// fields plus `dot_columns` (absent = 0).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModelCircuitParams {
    /// halo2-base's flex gate, range lookup and instance columns.
    #[serde(flatten)]
    pub base: BaseCircuitParams,
    /// Terms per row of the packed dot-product gate (0: no such gate).
    #[serde(default)]
    pub dot_columns: usize,
}

/// Columns of a [`ModelCircuit`].
#[derive(Clone, Debug)]
pub struct ModelConfig {
    base: BaseConfig<Fr>,
    dot: Option<DotConfig>,
}

/// The model's halo2 circuit: halo2-base's flex gate and range chip plus the packed
/// dot-product gate, tied together by halo2-base's copy manager.
pub struct ModelCircuit {
    /// Everything but the packed products.
    pub builder: BaseCircuitBuilder<Fr>,
    /// The packed products.
    pub dots: DotTable,
    /// Terms per row of the packed gate.
    pub dot_columns: usize,
}

impl ModelCircuit {
    /// A copy with its own copy manager, so the copy can be changed independently (tests).
    pub fn deep_clone(&self) -> Self {
        Self {
            builder: self.builder.deep_clone(),
            dots: self.dots.clone(),
            dot_columns: self.dot_columns,
        }
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ModelCircuitParams;

    fn params(&self) -> ModelCircuitParams {
        ModelCircuitParams {
            base: self.builder.params(),
            dot_columns: self.dot_columns,
        }
    }

    fn without_witnesses(&self) -> Self {
        // Key generation always runs on a fully laid-out circuit; halo2 never calls this.
        Self {
            builder: BaseCircuitBuilder::new(false).use_params(self.builder.params()),
            dots: DotTable::default(),
            dot_columns: self.dot_columns,
        }
    }

    fn configure_with_params(
        meta: &mut ConstraintSystem<Fr>,
        p: ModelCircuitParams,
    ) -> ModelConfig {
        let base = BaseCircuitBuilder::configure_with_params(meta, p.base);
        let dot = DotConfig::configure(meta, p.dot_columns);
        ModelConfig { base, dot }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        Self::configure_with_params(meta, ModelCircuitParams::default())
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> std::result::Result<(), Error> {
        match &config.dot {
            Some(dot) => {
                layouter.assign_region(
                    || "packed dot products",
                    |mut region| {
                        if self.builder.witness_gen_only() {
                            self.dots.assign(dot, &mut region, None)
                        } else {
                            let mut cm = self
                                .builder
                                .core()
                                .copy_manager
                                .lock()
                                .map_err(|_| Error::Synthesis)?;
                            self.dots.assign(dot, &mut region, Some(&mut cm))
                        }
                    },
                )?;
            }
            None if !self.dots.dots.is_empty() => return Err(Error::Synthesis),
            None => {}
        }
        self.builder.synthesize(config.base, layouter)
    }
}
