//! Model parameters in the circuit, by [`ParamVisibility`]:
//!
//! - `fixed`: constants. `dot_params` is `dot_const` (packed gate with fixed weights, or the
//!   flex gate), `param_cell` a constant cell: exactly the circuit from before visibility.
//! - `private`, `hashed`: each parameter is loaded once as an advice witness cell. A packed
//!   product copies every weight from its cell into the gate's advice weight column
//!   ([`DotWeights::Copied`]); a short one uses the flex gate's inner product over the cells.
//!   For `hashed`, [`Halo2Backend::hash_params`] range-checks every cell and hashes them.
//! - `committed`: parameters get no cells of their own. Every use is a packed product whose
//!   weights are written straight into the gate's weight columns ([`DotWeights::Committed`]),
//!   which the prover leaves unblinded: the columns' commitments are then a function of the
//!   parameters (and the architecture), and the verifier compares them with the model's.
//!   A bias is the term `1·b` (the activation cell a copy of the constant 1); a parameter
//!   used as a value is the one-term product `1·p`.

use std::collections::BTreeMap;

use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::AssignedValue;
use halo2_base::QuantumCell::Existing;

use super::backend::Halo2Backend;
use super::dot::DOT_MIN_LEN;
use super::field::i128_to_fe;
use crate::backend::{Backend, ParamRole, ParamStore};
use crate::error::{CircuitError, Result};
use crate::visibility::ParamVisibility;

/// The parameters a layout has loaded and how they are laid out.
#[derive(Clone, Debug, Default)]
pub struct ParamLayout {
    /// The visibility chosen at compile time.
    pub mode: ParamVisibility,
    /// Every loaded value, in load order.
    pub store: ParamStore,
    /// One advice cell per parameter (`private`, `hashed`).
    cells: Vec<AssignedValue<Fr>>,
    /// `committed`: the one-term products standing for parameters used as values.
    as_value: BTreeMap<usize, AssignedValue<Fr>>,
    /// `committed`: the constant 1, the activation of every bias term.
    one: Option<AssignedValue<Fr>>,
}

impl ParamLayout {
    /// Whether the packed gate's weights are copies of parameter cells (`private`,
    /// `hashed`), so only parameters may enter it.
    pub fn copies_weights(&self) -> bool {
        matches!(
            self.mode,
            ParamVisibility::Private | ParamVisibility::Hashed
        )
    }
}

impl Halo2Backend<'_> {
    pub(super) fn load_params_impl(&mut self, values: &[i128], role: ParamRole) -> Result<usize> {
        let base = self.params.store.push(values, role);
        if matches!(
            self.params.mode,
            ParamVisibility::Private | ParamVisibility::Hashed
        ) {
            for v in values {
                let c = self.ctx.load_witness(i128_to_fe(*v));
                self.params.cells.push(c);
            }
        }
        Ok(base)
    }

    fn param_cells_of(&self, idx: &[usize]) -> Result<Vec<AssignedValue<Fr>>> {
        idx.iter()
            .map(|i| {
                self.params
                    .cells
                    .get(*i)
                    .copied()
                    .ok_or_else(|| CircuitError::unsupported(format!("parameter {i} has no cell")))
            })
            .collect()
    }

    fn one(&mut self) -> AssignedValue<Fr> {
        if let Some(one) = self.params.one {
            return one;
        }
        let one = self.ctx.load_constant(Fr::one());
        self.params.one = Some(one);
        one
    }

    pub(super) fn dot_params_impl(
        &mut self,
        xs: &[AssignedValue<Fr>],
        ws: &[usize],
        bias: Option<usize>,
    ) -> Result<AssignedValue<Fr>> {
        if xs.len() != ws.len() {
            return Err(CircuitError::unsupported(format!(
                "{} activations against {} weights",
                xs.len(),
                ws.len()
            )));
        }
        let values = |s: &Self, idx: &[usize]| -> Result<Vec<i128>> {
            idx.iter().map(|i| s.params.store.get(*i)).collect()
        };
        match self.params.mode {
            ParamVisibility::Fixed => {
                let w = values(self, ws)?;
                let b = bias.map(|i| self.params.store.get(i)).transpose()?;
                self.dot_const(xs, &w, b.unwrap_or(0))
            }
            ParamVisibility::Private | ParamVisibility::Hashed => {
                let wc = self.param_cells_of(ws)?;
                let acc = if xs.is_empty() {
                    None
                } else if xs.len() >= DOT_MIN_LEN && self.dots.is_some() {
                    // Packed: acc = Σ w·x with every w copied from its parameter cell.
                    let wv: Vec<Fr> = wc.iter().map(|c| *c.value()).collect();
                    Some(self.record_dot(xs, &wv, Some(&wc), Fr::zero())?)
                } else {
                    // acc_{i+1} = acc_i + x_i·w_i over the cells
                    Some(self.range.gate().inner_product(
                        self.ctx,
                        xs.iter().map(|x| Existing(*x)),
                        wc.iter().map(|w| Existing(*w)),
                    ))
                };
                let b = bias.map(|i| self.param_cells_of(&[i])).transpose()?;
                match (acc, b) {
                    (Some(a), Some(b)) => self.add(&a, &b[0]),
                    (Some(a), None) => Ok(a),
                    (None, Some(b)) => Ok(b[0]),
                    (None, None) => self.constant(0),
                }
            }
            ParamVisibility::Committed => {
                // acc = Σ w·x (+ b·1), the weights written into the committed columns.
                let mut xs = xs.to_vec();
                let mut idx = ws.to_vec();
                if let Some(b) = bias {
                    xs.push(self.one());
                    idx.push(b);
                }
                if xs.is_empty() {
                    return self.constant(0);
                }
                if self.dots.is_none() {
                    return Err(CircuitError::unsupported(
                        "committed parameters need the packed dot gate, which this circuit \
                         shape lacks: compile the model again",
                    ));
                }
                let wv: Vec<Fr> = values(self, &idx)?.into_iter().map(i128_to_fe).collect();
                self.record_dot(&xs, &wv, None, Fr::zero())
            }
        }
    }

    pub(super) fn param_cell_impl(&mut self, i: usize) -> Result<AssignedValue<Fr>> {
        match self.params.mode {
            ParamVisibility::Fixed => {
                let v = self.params.store.get(i)?;
                self.constant(v)
            }
            ParamVisibility::Private | ParamVisibility::Hashed => Ok(self.param_cells_of(&[i])?[0]),
            ParamVisibility::Committed => {
                if let Some(c) = self.params.as_value.get(&i) {
                    return Ok(*c);
                }
                // p = 1·p, one term of the packed gate
                let c = self.dot_params_impl(&[], &[], Some(i))?;
                self.params.as_value.insert(i, c);
                Ok(c)
            }
        }
    }

    /// Loads a field element as a witness cell.
    pub fn load_fe(&mut self, v: Fr) -> AssignedValue<Fr> {
        self.ctx.load_witness(v)
    }

    /// The Poseidon hash of `cells` without range checks: the caller guarantees each lies in
    /// `[-2^(w-1), 2^(w-1))` (graph inputs are range-checked on entry).
    pub fn hash_in_range(
        &mut self,
        cells: &[AssignedValue<Fr>],
        w: u32,
    ) -> Result<AssignedValue<Fr>> {
        match self.poseidon.as_mut() {
            Some(table) => {
                let elements = crate::hash::element_cells(self.ctx, self.range.gate(), cells, w);
                table.sponge(self.ctx, self.range.gate(), &elements)
            }
            None => Ok(crate::hash::hash_cells(
                self.ctx,
                self.range.gate(),
                cells,
                w,
            )),
        }
    }

    /// The parameters loaded so far, in load order.
    pub fn param_values(&self) -> &[i128] {
        &self.params.store.values
    }

    /// Constrains `a ∈ [-2^(w-1), 2^(w-1))`: `a + 2^(w-1) ∈ [0, 2^w)`.
    pub fn range_signed(&mut self, a: &AssignedValue<Fr>, w: u32) -> Result<()> {
        if w == 0 || w > 126 {
            return Err(CircuitError::unsupported(format!("range of {w} bits")));
        }
        let shifted = self.range.gate().add(
            self.ctx,
            *a,
            halo2_base::QuantumCell::Constant(i128_to_fe(1i128 << (w - 1))),
        );
        self.bits_check(shifted, w as usize);
        Ok(())
    }

    /// The Poseidon hash ([`crate::hash`]) of `cells`, each first range-checked to
    /// `[-2^(w-1), 2^(w-1))` (so the packing before the hash is injective).
    pub fn hash_checked(
        &mut self,
        cells: &[AssignedValue<Fr>],
        w: u32,
    ) -> Result<AssignedValue<Fr>> {
        for c in cells {
            self.range_signed(c, w)?;
        }
        self.hash_in_range(cells, w)
    }

    /// `hashed` parameters: the weights and the biases, each cell range-checked to its
    /// role's width, hashed as two parts ([`crate::hash::hash_parts_cells`]; natively
    /// [`crate::visibility::param_hash`]).
    pub fn hash_params(&mut self, param_scale: u32) -> Result<AssignedValue<Fr>> {
        if self.params.mode != ParamVisibility::Hashed {
            return Err(CircuitError::unsupported("parameters are not hashed"));
        }
        let mut parts = Vec::new();
        for role in [ParamRole::Weight, ParamRole::Bias] {
            let w = role.hash_bits(self.bits(), param_scale);
            let cells: Vec<_> = self
                .params
                .cells
                .iter()
                .zip(&self.params.store.roles)
                .filter(|(_, r)| **r == role)
                .map(|(c, _)| *c)
                .collect();
            for c in &cells {
                self.range_signed(c, w)?;
            }
            parts.push((cells, w));
        }
        let refs: Vec<(&[AssignedValue<Fr>], u32)> =
            parts.iter().map(|(c, w)| (c.as_slice(), *w)).collect();
        match self.poseidon.as_mut() {
            Some(table) => {
                let elements = crate::hash::parts_element_cells(self.ctx, self.range.gate(), &refs);
                table.sponge(self.ctx, self.range.gate(), &elements)
            }
            None => Ok(crate::hash::hash_parts_cells(
                self.ctx,
                self.range.gate(),
                &refs,
            )),
        }
    }
}
