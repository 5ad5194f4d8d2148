//! The halo2 layout of the [`Backend`] primitives, on halo2-base's flex gate
//! (`a + b·c = d` per gate) and its lookup-based range chip.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::Assigned;
use halo2_base::QuantumCell::{Constant, Existing};
use halo2_base::{AssignedValue, Context, ContextCell};

use super::dot::{DotTable, DOT_IN, DOT_MIN_LEN, DOT_OUT};
use super::field::{fe_to_i128, i128_to_fe};
use super::lookup::{LookupTable, LOOKUP_X, LOOKUP_Y, LOOKUP_Z};
use super::poseidon::PoseidonTable;
use crate::backend::{Backend, Table};
use crate::error::{CircuitError, Result};

/// Lays out fixed-point arithmetic in one halo2-base context.
pub struct Halo2Backend<'a> {
    pub(super) ctx: &'a mut Context<Fr>,
    pub(super) range: &'a RangeChip<Fr>,
    bits: u32,
    /// Advice offset at which each node's region starts, in node order.
    pub node_starts: Vec<usize>,
    /// Number of packed products recorded before each node, in node order.
    pub node_dot_starts: Vec<usize>,
    /// Activation × constant products for the packed dot gate; `None` keeps them on the
    /// flex gate.
    pub(super) dots: Option<DotTable>,
    /// Poseidon permutations for the dedicated gate; `None` hashes on the flex gate.
    pub(super) poseidon: Option<PoseidonTable>,
    /// Range checks by table lookup (true) or by bit decomposition on the flex gate (false:
    /// more cells, but no lookup argument for the verifier to check).
    lookups: bool,
    /// Function-table lookups, laid out by [`super::lookup`]; collect them with
    /// [`take_lookups`](Self::take_lookups).
    tables: LookupTable,
    /// Model parameters and how they are laid out (see [`super::params`]).
    pub(super) params: super::params::ParamLayout,
}

impl<'a> Halo2Backend<'a> {
    /// A backend writing into `ctx` with activation bound `bits`.
    pub fn new(ctx: &'a mut Context<Fr>, range: &'a RangeChip<Fr>, bits: u32) -> Self {
        Self {
            ctx,
            range,
            bits,
            node_starts: Vec::new(),
            node_dot_starts: Vec::new(),
            dots: None,
            poseidon: None,
            lookups: true,
            tables: LookupTable::default(),
            params: super::params::ParamLayout::default(),
        }
    }

    /// Lays out model parameters as `mode` says (the default is fixed columns).
    pub fn with_param_visibility(mut self, mode: crate::visibility::ParamVisibility) -> Self {
        self.params.mode = mode;
        self
    }

    /// Range checks by bit decomposition instead of the lookup table: each checked bit costs
    /// about 7 flex-gate cells instead of a share of a lookup, and the circuit then has no
    /// range lookup argument (fewer commitments for a verifier, on chain above all).
    /// Function-table lookups ([`Backend::lookup`]) are unaffected.
    pub fn without_lookups(mut self) -> Self {
        self.lookups = false;
        self
    }

    /// Routes activation × constant products of length ≥ [`DOT_MIN_LEN`] to the packed
    /// dot-product gate ([`super::dot`]); collect them with [`take_dots`](Self::take_dots).
    pub fn with_dot_gate(mut self) -> Self {
        self.dots = Some(DotTable::default());
        self
    }

    /// The recorded packed products (empty without [`with_dot_gate`](Self::with_dot_gate)).
    pub fn take_dots(&mut self) -> DotTable {
        self.dots.take().unwrap_or_default()
    }

    /// Hashes with the dedicated Poseidon gate ([`super::poseidon`]); collect its
    /// permutations with [`take_poseidon`](Self::take_poseidon).
    pub fn with_poseidon_gate(mut self) -> Self {
        self.poseidon = Some(PoseidonTable::default());
        self
    }

    /// The recorded Poseidon permutations (empty without
    /// [`with_poseidon_gate`](Self::with_poseidon_gate)).
    pub fn take_poseidon(&mut self) -> PoseidonTable {
        self.poseidon.take().unwrap_or_default()
    }

    /// The recorded function-table lookups ([`Backend::lookup`]): the circuit must lay them
    /// out (`ModelCircuit::lookups`), or the cells named for them are never assigned.
    pub fn take_lookups(&mut self) -> LookupTable {
        std::mem::take(&mut self.tables)
    }

    /// Current number of advice cells in the context.
    pub fn offset(&self) -> usize {
        self.ctx.advice.len()
    }

    /// Constrains two cells to be equal (a copy constraint).
    pub fn constrain_equal(&mut self, a: &AssignedValue<Fr>, b: &AssignedValue<Fr>) {
        self.ctx.constrain_equal(a, b);
    }

    /// Loads a private witness (used for graph inputs, which the caller makes public).
    pub fn load(&mut self, v: i128) -> AssignedValue<Fr> {
        self.ctx.load_witness(i128_to_fe(v))
    }

    pub(super) fn value(a: &AssignedValue<Fr>) -> Result<i128> {
        fe_to_i128(a.value()).ok_or(CircuitError::Overflow {
            value_bits: 254,
            limit_bits: 127,
        })
    }

    /// Constrains `a ∈ [0, 2^n)`; `n = 0` forces `a = 0`.
    pub(super) fn bits_check(&mut self, a: AssignedValue<Fr>, n: usize) {
        if n == 0 {
            self.range.gate().assert_is_const(self.ctx, &a, &Fr::zero());
        } else if self.lookups {
            self.range.range_check(self.ctx, a, n);
        } else {
            // a = Σ_i b_i·2^i with every b_i·(b_i − 1) = 0 (halo2-base's num_to_bits).
            self.range.gate().num_to_bits(self.ctx, a, n);
        }
    }

    /// Constrains `a ∈ [0, d)` for `d ≥ 1`.
    fn less_than(&mut self, a: AssignedValue<Fr>, d: u64) {
        if self.lookups {
            self.range.check_less_than_safe(self.ctx, a, d);
        } else {
            // a ∈ [0, 2^n) and (d − 1 − a) ∈ [0, 2^n) with 2^n ≥ d: no wrap-around in the field.
            let n = (u64::BITS - (d - 1).leading_zeros()) as usize;
            self.bits_check(a, n);
            let rest = self
                .range
                .gate()
                .sub(self.ctx, Constant(Fr::from(d - 1)), a);
            self.bits_check(rest, n);
        }
    }
    /// Records `bias + Σ w·x` for the packed gate, each `x` copied in; with `w_cells` (copied
    /// weights) each weight is copied in from its cell too.
    pub(super) fn record_dot(
        &mut self,
        xs: &[AssignedValue<Fr>],
        wv: &[Fr],
        w_cells: Option<&[AssignedValue<Fr>]>,
        bias: Fr,
    ) -> Result<AssignedValue<Fr>> {
        let table = self
            .dots
            .as_mut()
            .ok_or_else(|| CircuitError::unsupported("the packed dot gate is not enabled"))?;
        // Recorded for the packed gate: acc = bias + Σ w·x there.
        let start = table.terms();
        let xv: Vec<Fr> = xs.iter().map(|x| *x.value()).collect();
        let (value, d) = table.record(&xv, wv, bias);
        if !self.ctx.witness_gen_only() {
            let mut cm = self.ctx.copy_manager.lock().map_err(|_| {
                CircuitError::unsupported("the copy-constraint manager lock is poisoned")
            })?;
            let named = |a: &AssignedValue<Fr>| {
                // Every term must be copied in; a cell without a place would be free.
                a.cell.ok_or_else(|| {
                    CircuitError::unsupported("a dot-product term has no assigned cell")
                })
            };
            for (i, x) in xs.iter().enumerate() {
                cm.advice_equalities
                    .push((named(x)?, ContextCell::new(DOT_IN, 0, start + i)));
            }
            for (i, w) in w_cells.unwrap_or_default().iter().enumerate() {
                cm.advice_equalities
                    .push((named(w)?, ContextCell::new(super::dot::DOT_W, 0, start + i)));
            }
        }
        Ok(AssignedValue {
            value: Assigned::Trivial(value),
            cell: Some(ContextCell::new(DOT_OUT, 0, d)),
        })
    }

    /// [`Backend::div_floor_var`]'s constraints around the quotient witness `qv` (the
    /// primitive passes the honest `floor(a / d)`; tests pass wrong ones, which must fail).
    pub fn div_floor_var_with(
        &mut self,
        a: &AssignedValue<Fr>,
        d: &AssignedValue<Fr>,
        qv: i128,
    ) -> Result<AssignedValue<Fr>> {
        let q = self.ctx.load_witness(i128_to_fe(qv));
        let b = self.bits as usize;
        // r = a − q·d
        let qd = self.range.gate().mul(self.ctx, q, *d);
        let r = self.range.gate().sub(self.ctx, *a, qd);
        // r ∈ [0, 2^B)
        self.bits_check(r, b);
        // d − 1 − r ∈ [0, 2^B), i.e. r < d
        let dm1 = self.range.gate().sub(self.ctx, *d, Constant(Fr::one()));
        let slack = self.range.gate().sub(self.ctx, dm1, r);
        self.bits_check(slack, b);
        // d − 1 ∈ [0, 2^B), i.e. d ≥ 1 (and d ≤ 2^B, so q·d cannot wrap)
        self.bits_check(dm1, b);
        self.range_check(&q)?;
        Ok(q)
    }

    /// [`Backend::sqrt_floor`]'s constraints around the root witness `yv` (the primitive
    /// passes the honest `floor(sqrt(a))`; tests pass wrong ones, which must fail).
    pub fn sqrt_floor_with(
        &mut self,
        a: &AssignedValue<Fr>,
        yv: i128,
    ) -> Result<AssignedValue<Fr>> {
        let y = self.ctx.load_witness(i128_to_fe(yv));
        let b = self.bits as usize;
        // y ∈ [0, 2^B)
        self.bits_check(y, b);
        // r = a − y² ∈ [0, 2^(B+1))
        let yy = self.range.gate().mul(self.ctx, y, y);
        let r = self.range.gate().sub(self.ctx, *a, yy);
        self.bits_check(r, b + 1);
        // 2y − r ∈ [0, 2^(B+1)), i.e. a < (y + 1)²
        let two_y = self.range.gate().add(self.ctx, y, y);
        let slack = self.range.gate().sub(self.ctx, two_y, r);
        self.bits_check(slack, b + 1);
        Ok(y)
    }
}

impl Backend for Halo2Backend<'_> {
    type Cell = AssignedValue<Fr>;

    fn bits(&self) -> u32 {
        self.bits
    }

    fn begin_node(&mut self, _index: usize) {
        self.node_starts.push(self.ctx.advice.len());
        self.node_dot_starts
            .push(self.dots.as_ref().map_or(0, |t| t.dots.len()));
    }

    fn constant(&mut self, v: i128) -> Result<Self::Cell> {
        Ok(self.ctx.load_constant(i128_to_fe(v)))
    }
    // out = a + 1·b
    fn add(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().add(self.ctx, *a, *b))
    }
    // out = a + (-1)·b
    fn sub(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().sub(self.ctx, *a, *b))
    }
    // 0 = a + 1·out
    fn neg(&mut self, a: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().neg(self.ctx, *a))
    }
    // out = a + 1·c
    fn add_const(&mut self, a: &Self::Cell, c: i128) -> Result<Self::Cell> {
        Ok(self.range.gate().add(self.ctx, *a, Constant(i128_to_fe(c))))
    }
    // out = 0 + a·b
    fn mul(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().mul(self.ctx, *a, *b))
    }
    // out = 0 + a·c
    fn mul_const(&mut self, a: &Self::Cell, c: i128) -> Result<Self::Cell> {
        Ok(self.range.gate().mul(self.ctx, *a, Constant(i128_to_fe(c))))
    }
    // acc_{i+1} = acc_i + x_i·w_i (one gate per term, w_i from the fixed column), then + bias.
    fn dot_const(&mut self, xs: &[Self::Cell], ws: &[i128], bias: i128) -> Result<Self::Cell> {
        if xs.is_empty() {
            return self.constant(bias);
        }
        // With copied (advice) weight columns a constant weight would be a free witness
        // there: constant products then stay on the flex gate. Committed columns are pinned
        // by their commitment, constants included.
        if xs.len() >= DOT_MIN_LEN && self.dots.is_some() && !self.params.copies_weights() {
            let wv: Vec<Fr> = ws.iter().map(|w| i128_to_fe(*w)).collect();
            return self.record_dot(xs, &wv, None, i128_to_fe(bias));
        }
        let ws = ws.iter().map(|w| Constant(i128_to_fe(*w)));
        let acc = self
            .range
            .gate()
            .inner_product(self.ctx, xs.iter().map(|x| Existing(*x)), ws);
        if bias == 0 {
            Ok(acc)
        } else {
            self.add_const(&acc, bias)
        }
    }
    // acc_{i+1} = acc_i + x_i·y_i
    fn dot(&mut self, xs: &[Self::Cell], ys: &[Self::Cell]) -> Result<Self::Cell> {
        if xs.is_empty() {
            return self.constant(0);
        }
        let ys = ys.iter().map(|y| Existing(*y));
        Ok(self
            .range
            .gate()
            .inner_product(self.ctx, xs.iter().map(|x| Existing(*x)), ys))
    }
    // acc_{i+1} = acc_i + 1·x_i
    fn sum(&mut self, xs: &[Self::Cell]) -> Result<Self::Cell> {
        if xs.is_empty() {
            return self.constant(0);
        }
        Ok(self
            .range
            .gate()
            .sum(self.ctx, xs.iter().map(|x| Existing(*x))))
    }

    fn div_round(&mut self, a: &Self::Cell, d: u64) -> Result<Self::Cell> {
        if d == 0 {
            return Err(CircuitError::unsupported("division by zero in a rescale"));
        }
        let (di, h) = (i128::from(d), i128::from(d / 2));
        let av = Self::value(a)?;
        let shifted = av.checked_add(h).ok_or(CircuitError::Overflow {
            value_bits: 128,
            limit_bits: 127,
        })?;
        let qv = shifted.div_euclid(di);
        let q = self.ctx.load_witness(i128_to_fe(qv));
        // r = a - q·d + h, the remainder; then r ∈ [0, d) and q ∈ [-2^B, 2^B) force
        // q = floor((a + h) / d) because no term is large enough to wrap the field.
        let a_minus_qd = self
            .range
            .gate()
            .mul_add(self.ctx, q, Constant(-i128_to_fe(di)), *a);
        let r = if h == 0 {
            a_minus_qd
        } else {
            self.add_const(&a_minus_qd, h)?
        };
        if d.is_power_of_two() {
            self.bits_check(r, d.trailing_zeros() as usize);
        } else {
            self.less_than(r, d);
        }
        self.range_check(&q)?;
        Ok(q)
    }

    fn is_negative(&mut self, a: &Self::Cell) -> Result<Self::Cell> {
        let av = Self::value(a)?;
        let n = self.ctx.load_witness(i128_to_fe(i128::from(av < 0)));
        // n·(n - 1) = 0
        self.range.gate().assert_bit(self.ctx, n);
        // u = a + n·2^B ∈ [0, 2^B): n = 0 needs a ∈ [0, 2^B), n = 1 needs a ∈ [-2^B, 0).
        let u =
            self.range
                .gate()
                .mul_add(self.ctx, n, Constant(i128_to_fe(1i128 << self.bits)), *a);
        self.bits_check(u, self.bits as usize);
        Ok(n)
    }

    // out = b + bit·(a - b)
    fn select(&mut self, bit: &Self::Cell, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().select(self.ctx, *a, *b, *bit))
    }

    // out = a - bit·a
    fn mul_not(&mut self, bit: &Self::Cell, a: &Self::Cell) -> Result<Self::Cell> {
        Ok(self.range.gate().mul_not(self.ctx, *bit, *a))
    }

    // a + 2^B ∈ [0, 2^(B+1))
    fn range_check(&mut self, a: &Self::Cell) -> Result<()> {
        let shifted = self.add_const(a, 1i128 << self.bits)?;
        self.bits_check(shifted, self.bits as usize + 1);
        Ok(())
    }

    // a ∈ [0, 2^n)
    fn range_bits(&mut self, a: &Self::Cell, n: u32) -> Result<()> {
        self.bits_check(*a, n as usize);
        Ok(())
    }

    // (tag, x, y, z) is a row of the fixed table, x copied in (see `super::lookup`).
    fn lookup(&mut self, table: &Table, x: &Self::Cell) -> Result<(Self::Cell, Self::Cell)> {
        let tag = self.tables.tag_of(table)?;
        // On placeholder inputs (key generation) x may lie outside the table; the witness
        // is then just some value and the lookup argument rejects it. Real inputs outside the
        // table fail native evaluation first, with `CircuitError::TableRange`.
        let (y, z) = match fe_to_i128(x.value()) {
            Some(v) if table.lo <= table.hi => (table.f)(v.clamp(table.lo, table.hi)),
            _ => (0, 0),
        };
        let (y, z) = (i128_to_fe(y), i128_to_fe(z));
        let i = self.tables.record(tag, *x.value(), y, z);
        if !self.ctx.witness_gen_only() {
            let mut cm = self.ctx.copy_manager.lock().map_err(|_| {
                CircuitError::unsupported("the copy-constraint manager lock is poisoned")
            })?;
            // Without a cell the looked-up x would be free.
            let cell = x
                .cell
                .ok_or_else(|| CircuitError::unsupported("a table input has no assigned cell"))?;
            cm.advice_equalities
                .push((cell, ContextCell::new(LOOKUP_X, 0, i)));
        }
        let out = |value, name| AssignedValue {
            value: Assigned::Trivial(value),
            cell: Some(ContextCell::new(name, 0, i)),
        };
        Ok((out(y, LOOKUP_Y), out(z, LOOKUP_Z)))
    }

    fn div_floor_var(&mut self, a: &Self::Cell, d: &Self::Cell) -> Result<Self::Cell> {
        let (av, dv) = (Self::value(a)?, Self::value(d)?);
        // A placeholder witness where the divisor is not positive (key generation on zero
        // inputs): the constraints then fail, as they must.
        let qv = if dv > 0 { av.div_euclid(dv) } else { 0 };
        self.div_floor_var_with(a, d, qv)
    }

    fn sqrt_floor(&mut self, a: &Self::Cell) -> Result<Self::Cell> {
        let av = Self::value(a)?;
        self.sqrt_floor_with(a, crate::native::isqrt(av.max(0)))
    }

    fn load_params(&mut self, values: &[i128], role: crate::backend::ParamRole) -> Result<usize> {
        self.load_params_impl(values, role)
    }
    fn param_value(&self, i: usize) -> Result<i128> {
        self.params.store.get(i)
    }
    fn fixed_params(&self) -> bool {
        !self.params.mode.is_advice()
    }
    fn dot_params(
        &mut self,
        xs: &[Self::Cell],
        ws: &[usize],
        bias: Option<usize>,
    ) -> Result<Self::Cell> {
        self.dot_params_impl(xs, ws, bias)
    }
    fn param_cell(&mut self, i: usize) -> Result<Self::Cell> {
        self.param_cell_impl(i)
    }

    // a = 0 (a copy constraint to the fixed constant 0)
    fn assert_zero(&mut self, a: &Self::Cell) -> Result<()> {
        self.range.gate().assert_is_const(self.ctx, a, &Fr::zero());
        Ok(())
    }
}
