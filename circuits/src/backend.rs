//! The arithmetic interface every fixed-point op is written against.
//!
//! Each op in [`crate::ops`] is written once, generically over [`Backend`]. Two backends
//! implement it: [`crate::native::NativeBackend`] computes plain integers (the fixed-point
//! reference evaluator), and the halo2 backend assigns cells and lays out the constraints that
//! force exactly those integers. The primitive methods below are therefore the *only* place
//! where the native function and its constraints must agree, and each primitive has a
//! native-vs-circuit test.
//!
//! Conventions: values are signed integers embedded in the field (`-x` is `p - x`). `bits()`
//! is the activation bound `B`: every range-checked value must lie in `[-2^B, 2^B)`.

use std::fmt;
use std::sync::Arc;

use crate::error::Result;

/// A function table fixed in the circuit: the rows `(i, f(i).0, f(i).1)` for every integer
/// `i` in `lo..=hi`. Tables with the same `key` are one table (several uses share its rows),
/// so the key must name the function *and* everything its values depend on (scales,
/// domain, step).
#[derive(Clone)]
pub struct Table {
    /// Identity of the table's contents.
    pub key: String,
    /// Smallest input.
    pub lo: i128,
    /// Largest input.
    pub hi: i128,
    /// The two outputs of input `i` (e.g. a value and the difference to the next one).
    pub f: Arc<dyn Fn(i128) -> (i128, i128) + Send + Sync>,
}

impl Table {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        usize::try_from(self.hi - self.lo + 1).unwrap_or(0)
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({} over [{}, {}])", self.key, self.lo, self.hi)
    }
}

/// What a parameter is, which bounds its range when it is hashed (see
/// [`crate::visibility::ParamRole::hash_bits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamRole {
    /// A weight (at the parameter scale) or a constant operand at the activation scale.
    Weight,
    /// A bias, at the accumulator scale `s_a + s_p`.
    Bias,
}

/// The quantized model parameters an evaluation has loaded, in load order (see
/// [`Backend::load_params`]): the lists hashed parameters hash.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParamStore {
    /// Every parameter, in load order.
    pub values: Vec<i128>,
    /// The role of each, parallel to `values`.
    pub roles: Vec<ParamRole>,
}

impl ParamStore {
    /// Appends a block of one role; returns the index of its first value.
    pub fn push(&mut self, values: &[i128], role: ParamRole) -> usize {
        let base = self.values.len();
        self.values.extend_from_slice(values);
        self.roles.extend(std::iter::repeat_n(role, values.len()));
        base
    }

    /// The values of one role, in load order.
    pub fn of_role(&self, role: ParamRole) -> Vec<i128> {
        self.values
            .iter()
            .zip(&self.roles)
            .filter(|(_, r)| **r == role)
            .map(|(v, _)| *v)
            .collect()
    }

    /// Parameter `i`.
    pub fn get(&self, i: usize) -> crate::Result<i128> {
        self.values.get(i).copied().ok_or_else(|| {
            crate::CircuitError::unsupported(format!("parameter {i} was never loaded"))
        })
    }
}

/// Fixed-point arithmetic over some cell type.
pub trait Backend {
    /// A value: an `i128` natively, an assigned cell in a circuit.
    type Cell: Clone;

    /// The activation bound `B` (values checked by range checks lie in `[-2^B, 2^B)`).
    fn bits(&self) -> u32;

    /// Called before each node is laid out (the circuit backend records region boundaries).
    fn begin_node(&mut self, _index: usize) {}

    /// A constant baked into the circuit (a fixed-column value).
    fn constant(&mut self, v: i128) -> Result<Self::Cell>;
    /// `a + b`.
    fn add(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell>;
    /// `a - b`.
    fn sub(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell>;
    /// `-a`.
    fn neg(&mut self, a: &Self::Cell) -> Result<Self::Cell>;
    /// `a + c` for a constant `c`.
    fn add_const(&mut self, a: &Self::Cell, c: i128) -> Result<Self::Cell>;
    /// `a * b`.
    fn mul(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell>;
    /// `a * c` for a constant `c`.
    fn mul_const(&mut self, a: &Self::Cell, c: i128) -> Result<Self::Cell>;
    /// `Σ xs[i] * ws[i] + bias` with constant weights and bias (`xs.len() == ws.len()`).
    fn dot_const(&mut self, xs: &[Self::Cell], ws: &[i128], bias: i128) -> Result<Self::Cell>;
    /// `Σ xs[i] * ys[i]` of two runtime vectors.
    fn dot(&mut self, xs: &[Self::Cell], ys: &[Self::Cell]) -> Result<Self::Cell>;
    /// `Σ xs[i]`.
    fn sum(&mut self, xs: &[Self::Cell]) -> Result<Self::Cell>;
    /// Rounded division by a positive constant: `floor((a + floor(d/2)) / d)` (round half
    /// up). The quotient is range-checked to `[-2^B, 2^B)` and the remainder to `[0, d)`.
    fn div_round(&mut self, a: &Self::Cell, d: u64) -> Result<Self::Cell>;
    /// `1` if `a < 0`, else `0`; requires `a ∈ [-2^B, 2^B)`.
    fn is_negative(&mut self, a: &Self::Cell) -> Result<Self::Cell>;
    /// `bit ? a : b` for a boolean cell `bit`.
    fn select(&mut self, bit: &Self::Cell, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell>;
    /// `(1 - bit) * a` for a boolean cell `bit`.
    fn mul_not(&mut self, bit: &Self::Cell, a: &Self::Cell) -> Result<Self::Cell>;
    /// Constrains `a ∈ [-2^B, 2^B)`.
    fn range_check(&mut self, a: &Self::Cell) -> Result<()>;
    /// Constrains `a = 0`.
    fn assert_zero(&mut self, a: &Self::Cell) -> Result<()>;
    /// Constrains `a ∈ [0, 2^n)` (`n ≤ B + 1`).
    fn range_bits(&mut self, a: &Self::Cell, n: u32) -> Result<()>;
    /// `(y, z) = table.f(x)`: constrains `(x, y, z)` to be a row of `table`. Natively an `x`
    /// outside `[table.lo, table.hi]` is [`crate::error::CircuitError::TableRange`].
    fn lookup(&mut self, table: &Table, x: &Self::Cell) -> Result<(Self::Cell, Self::Cell)>;
    /// `floor(a / d)` for a runtime divisor `d ∈ [1, 2^B]`: a witness `q` with
    /// `r = a − q·d ∈ [0, 2^B)`, `d − 1 − r ∈ [0, 2^B)` (so `0 ≤ r < d`), `d − 1 ∈ [0, 2^B)`
    /// and `q` range-checked. Natively `d ≤ 0` is
    /// [`crate::error::CircuitError::DivisionByZero`].
    fn div_floor_var(&mut self, a: &Self::Cell, d: &Self::Cell) -> Result<Self::Cell>;
    /// `floor(sqrt(a))` for `a ≥ 0`: a witness `y ∈ [0, 2^B)` with `r = a − y² ∈ [0, 2^(B+1))`
    /// and `2y − r ∈ [0, 2^(B+1))` (so `y² ≤ a < (y + 1)²`). Natively `a < 0` is
    /// [`crate::error::CircuitError::NegativeSqrt`].
    fn sqrt_floor(&mut self, a: &Self::Cell) -> Result<Self::Cell>;
    /// Declares a block of quantized model parameters (weights, biases: see
    /// [`crate::visibility`]); returns the index of its first value. Ops call it once per
    /// constant tensor and role, and use the parameters only through
    /// [`dot_params`](Self::dot_params) and [`param_cell`](Self::param_cell), so how they are
    /// laid out (fixed columns, advice, committed columns) is the backend's choice.
    fn load_params(&mut self, values: &[i128], role: ParamRole) -> Result<usize>;
    /// The value of parameter `i`.
    fn param_value(&self, i: usize) -> Result<i128>;
    /// Whether parameters are constants of the circuit (fixed visibility), so an op may use
    /// [`param_value`](Self::param_value) with the constant primitives.
    fn fixed_params(&self) -> bool;
    /// `Σ xs[k]·p[ws[k]] + p[bias]` (no bias: `+ 0`).
    fn dot_params(
        &mut self,
        xs: &[Self::Cell],
        ws: &[usize],
        bias: Option<usize>,
    ) -> Result<Self::Cell>;
    /// A cell holding parameter `i`.
    fn param_cell(&mut self, i: usize) -> Result<Self::Cell>;

    /// Records the value `v` of use `slot` of the current node's table inputs for
    /// calibration (no constraint; the native evaluator keeps the range seen).
    fn observe(&mut self, _slot: usize, _v: &Self::Cell) {}

    /// `max(a, 0)`.
    fn relu(&mut self, a: &Self::Cell) -> Result<Self::Cell> {
        let n = self.is_negative(a)?;
        self.mul_not(&n, a)
    }

    /// `max(a, b)`; requires `a - b ∈ [-2^B, 2^B)`.
    fn max(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        let d = self.sub(a, b)?;
        let n = self.is_negative(&d)?;
        self.select(&n, b, a)
    }

    /// `min(a, b)`; requires `a - b ∈ [-2^B, 2^B)`.
    fn min(&mut self, a: &Self::Cell, b: &Self::Cell) -> Result<Self::Cell> {
        let d = self.sub(a, b)?;
        let n = self.is_negative(&d)?;
        self.select(&n, a, b)
    }
}
