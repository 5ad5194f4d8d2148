//! A packed dot-product gate for activation × constant products (Gemm, MatMul by a weight,
//! Conv), `m` multiply-adds per row instead of halo2-base's one `a + b·c` per row.
//!
//! Columns: `m` advice activations `x_j`, one advice running sum `acc`, `m` fixed weights
//! `w_j`, fixed `keep` and `bias`, and a selector `q`. The one constraint is
//!
//! ```text
//!   q · (acc − keep·acc[−1] − bias − Σ_j w_j·x_j) = 0
//! ```
//!
//! A dot product of length `L` takes `⌈L/m⌉` consecutive rows (from row 1 on): its first row has `keep = 0`
//! and carries the bias, later rows have `keep = 1` and `bias = 0`, unused slots of its last
//! row have `w_j = 0`. Its value is `acc` on its last row. Weights are fixed, so the
//! verifying key commits to them; each `x_j` is copy-constrained to the cell that computed
//! it, and the result is copy-constrained into whichever cells use it.
//!
//! With advice parameters ([`DotWeights`]) the `w_j` are advice columns instead: copied from
//! the parameter cells (`Copied`: private and hashed parameters, each weight loaded once and
//! copy-constrained into every term that uses it), or written directly and left unblinded by
//! the prover (`Committed`: their KZG commitments are a function of the weights and the
//! layout, which the verifier compares; no copies). The gate is the same, with `w_j` read
//! from advice.
//!
//! During layout the products are only recorded ([`DotTable`]): which rows they land on
//! depends on `m`, which the planner picks after one layout. Cells are named for
//! halo2-base's copy manager by [`DOT_IN`] (term index) and [`DOT_OUT`] (product index).

use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::ContextCell;

/// Virtual-region name of the `x` cells (offset = global term index).
pub const DOT_IN: &str = "zkinfer:dot-in";
/// Virtual-region name of the result cells (offset = product index).
pub const DOT_OUT: &str = "zkinfer:dot-out";
/// Virtual-region name of the `w` cells with copied weights (offset = global term index).
pub const DOT_W: &str = "zkinfer:dot-w";
/// Shortest dot product worth a row of the packed gate; shorter ones use the flex gate.
pub const DOT_MIN_LEN: usize = 4;

/// Where the packed gate's weights `w_j` live.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DotWeights {
    /// Fixed columns: the verifying key commits to the weights.
    #[default]
    Fixed,
    /// Advice columns in the permutation, each weight copied from its parameter cell.
    Copied,
    /// Advice columns written directly, unblinded; their commitments are checked.
    Committed,
}

impl DotWeights {
    /// True for the default (serde: left out).
    pub fn is_fixed(&self) -> bool {
        *self == DotWeights::Fixed
    }
}

/// The weight columns of the gate.
#[derive(Clone, Debug)]
enum WeightColumns {
    Fixed(Vec<Column<Fixed>>),
    Advice(Vec<Column<Advice>>),
}

/// The columns of the packed dot-product gate.
#[derive(Clone, Debug)]
pub struct DotConfig {
    q: Selector,
    xs: Vec<Column<Advice>>,
    acc: Column<Advice>,
    ws: WeightColumns,
    weights: DotWeights,
    keep: Column<Fixed>,
    bias: Column<Fixed>,
}

impl DotConfig {
    /// Adds the gate with `m` terms per row and weights in `weights`; `None` when `m = 0`
    /// (no packed products).
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        m: usize,
        weights: DotWeights,
    ) -> Option<Self> {
        if m == 0 {
            return None;
        }
        let q = meta.selector();
        let xs: Vec<_> = (0..m).map(|_| meta.advice_column()).collect();
        let acc = meta.advice_column();
        let ws = match weights {
            DotWeights::Fixed => {
                WeightColumns::Fixed((0..m).map(|_| meta.fixed_column()).collect())
            }
            DotWeights::Copied | DotWeights::Committed => {
                let cols: Vec<_> = (0..m).map(|_| meta.advice_column()).collect();
                if weights == DotWeights::Copied {
                    for c in &cols {
                        meta.enable_equality(*c);
                    }
                }
                WeightColumns::Advice(cols)
            }
        };
        let (keep, bias) = (meta.fixed_column(), meta.fixed_column());
        for x in &xs {
            meta.enable_equality(*x);
        }
        meta.enable_equality(acc);
        meta.create_gate("packed dot product", |vc| {
            let q = vc.query_selector(q);
            let acc_cur = vc.query_advice(acc, Rotation::cur());
            let acc_prev = vc.query_advice(acc, Rotation::prev());
            let keep = vc.query_fixed(keep, Rotation::cur());
            let bias = vc.query_fixed(bias, Rotation::cur());
            // acc − keep·acc[−1] − bias − Σ_j w_j·x_j
            let mut e = acc_cur - keep * acc_prev - bias;
            for (j, x) in xs.iter().enumerate() {
                let w = match &ws {
                    WeightColumns::Fixed(c) => vc.query_fixed(c[j], Rotation::cur()),
                    WeightColumns::Advice(c) => vc.query_advice(c[j], Rotation::cur()),
                };
                e = e - w * vc.query_advice(*x, Rotation::cur());
            }
            vec![q * e]
        });
        Some(Self {
            q,
            xs,
            acc,
            ws,
            weights,
            keep,
            bias,
        })
    }

    /// Where the weights live.
    pub fn weights(&self) -> DotWeights {
        self.weights
    }

    /// The advice weight columns (empty with fixed weights), in term order: with
    /// [`DotWeights::Committed`] the columns whose commitments a verifier checks.
    pub fn weight_columns(&self) -> Vec<Column<Advice>> {
        match &self.ws {
            WeightColumns::Fixed(_) => Vec::new(),
            WeightColumns::Advice(c) => c.clone(),
        }
    }

    /// Terms per row.
    pub fn width(&self) -> usize {
        self.xs.len()
    }
}

/// One recorded product: terms `start..start + len` of the table.
#[derive(Clone, Debug)]
pub struct DotRecord {
    /// First term index.
    pub start: usize,
    /// Number of terms.
    pub len: usize,
    /// Constant added once.
    pub bias: Fr,
    /// The result as computed at layout time; assigned to `acc` on the last row.
    pub value: Fr,
}

/// Every packed product of a circuit, in layout order.
#[derive(Clone, Debug, Default)]
pub struct DotTable {
    /// Activation values, one per term.
    pub xs: Vec<Fr>,
    /// Weights, one per term.
    pub ws: Vec<Fr>,
    /// The products.
    pub dots: Vec<DotRecord>,
}

impl DotTable {
    /// Records `Σ xs·ws + bias` and returns its value and product index.
    pub fn record(&mut self, xs: &[Fr], ws: &[Fr], bias: Fr) -> (Fr, usize) {
        let start = self.xs.len();
        let value = xs.iter().zip(ws).fold(bias, |acc, (x, w)| acc + *x * w);
        self.xs.extend_from_slice(xs);
        self.ws.extend_from_slice(ws);
        self.dots.push(DotRecord {
            start,
            len: xs.len(),
            bias,
            value,
        });
        (value, self.dots.len() - 1)
    }

    /// Rows the table needs with `m` terms per row (row 0 is left empty).
    pub fn rows(&self, m: usize) -> usize {
        if self.dots.is_empty() {
            return 0;
        }
        if m == 0 {
            return usize::MAX;
        }
        1 + self.dots.iter().map(|d| d.len.div_ceil(m)).sum::<usize>()
    }

    /// Total multiply-adds recorded.
    pub fn terms(&self) -> usize {
        self.xs.len()
    }

    /// The contents of the `m` weight columns as [`assign`](Self::assign) lays them out
    /// (row 0 empty, then each product's rows, unused slots 0), each `rows` long: what the
    /// commitments of [`DotWeights::Committed`] columns are computed from.
    pub fn weight_columns(&self, m: usize, rows: usize) -> Vec<Vec<Fr>> {
        let mut cols = vec![vec![Fr::zero(); rows]; m];
        if m == 0 {
            return cols;
        }
        let mut row = 1;
        for rec in &self.dots {
            for r in 0..rec.len.div_ceil(m) {
                for (j, col) in cols.iter_mut().enumerate() {
                    let t = r * m + j;
                    if t < rec.len {
                        if let Some(cell) = col.get_mut(row) {
                            *cell = self.ws[rec.start + t];
                        }
                    }
                }
                row += 1;
            }
        }
        cols
    }

    /// Assigns every product from row 0 down. With `copy` (key generation and mock proving)
    /// it fills the fixed columns and selector and tells the copy manager where each
    /// [`DOT_IN`]/[`DOT_OUT`] cell landed; without it (proving) only advice values are written.
    pub fn assign(
        &self,
        config: &DotConfig,
        region: &mut Region<Fr>,
        copy: Option<&mut CopyConstraintManager<Fr>>,
    ) -> Result<(), Error> {
        self.assign_perturbed(config, region, copy, None)
    }

    /// [`assign`](Self::assign), adding 1 to the running sum on row `perturb` (tests only).
    fn assign_perturbed(
        &self,
        config: &DotConfig,
        region: &mut Region<Fr>,
        mut copy: Option<&mut CopyConstraintManager<Fr>>,
        perturb: Option<usize>,
    ) -> Result<(), Error> {
        let m = config.width();
        // Row 0 stays empty so that no enabled row's acc[−1] wraps around to the last row.
        let mut row = 1;
        for (d, rec) in self.dots.iter().enumerate() {
            let mut acc = Fr::zero();
            let rows = rec.len.div_ceil(m);
            for r in 0..rows {
                let first = r == 0;
                let last = r + 1 == rows;
                acc = if first { rec.bias } else { acc };
                if copy.is_some() {
                    config.q.enable(region, row)?;
                    raw_assign_fixed(region, config.keep, row, Fr::from(u64::from(!first)));
                    raw_assign_fixed(
                        region,
                        config.bias,
                        row,
                        if first { rec.bias } else { Fr::zero() },
                    );
                }
                for j in 0..m {
                    let t = r * m + j;
                    if t >= rec.len {
                        raw_assign_advice(region, config.xs[j], row, Value::known(Fr::zero()));
                        if let WeightColumns::Advice(ws) = &config.ws {
                            raw_assign_advice(region, ws[j], row, Value::known(Fr::zero()));
                        }
                        continue;
                    }
                    let (x, w) = (self.xs[rec.start + t], self.ws[rec.start + t]);
                    acc += x * w;
                    let cell = raw_assign_advice(region, config.xs[j], row, Value::known(x)).cell();
                    let w_cell = match &config.ws {
                        WeightColumns::Advice(ws) => {
                            Some(raw_assign_advice(region, ws[j], row, Value::known(w)).cell())
                        }
                        WeightColumns::Fixed(ws) => {
                            if copy.is_some() {
                                raw_assign_fixed(region, ws[j], row, w);
                            }
                            None
                        }
                    };
                    if let Some(cm) = copy.as_deref_mut() {
                        cm.assigned_advices
                            .insert(ContextCell::new(DOT_IN, 0, rec.start + t), cell);
                        if let (Some(wc), DotWeights::Copied) = (w_cell, config.weights) {
                            cm.assigned_advices
                                .insert(ContextCell::new(DOT_W, 0, rec.start + t), wc);
                        }
                    }
                }
                let mut v = if last { rec.value } else { acc };
                if perturb == Some(row) {
                    v += Fr::one();
                }
                let cell = raw_assign_advice(region, config.acc, row, Value::known(v)).cell();
                if last {
                    if let Some(cm) = copy.as_deref_mut() {
                        cm.assigned_advices
                            .insert(ContextCell::new(DOT_OUT, 0, d), cell);
                    }
                }
                row += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use halo2_base::halo2_proofs::circuit::{Layouter, SimpleFloorPlanner};
    use halo2_base::halo2_proofs::dev::MockProver;
    use halo2_base::halo2_proofs::plonk::Circuit;

    /// The gate alone: every product's inputs and result are free advice (no copies).
    struct Only {
        table: DotTable,
        m: usize,
        weights: DotWeights,
        perturb: Option<usize>,
    }

    impl Circuit<Fr> for Only {
        type Config = DotConfig;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = (usize, DotWeights);
        fn params(&self) -> (usize, DotWeights) {
            (self.m, self.weights)
        }
        fn without_witnesses(&self) -> Self {
            Self {
                table: self.table.clone(),
                m: self.m,
                weights: self.weights,
                perturb: None,
            }
        }
        fn configure_with_params(
            meta: &mut ConstraintSystem<Fr>,
            (m, weights): (usize, DotWeights),
        ) -> DotConfig {
            DotConfig::configure(meta, m, weights).unwrap()
        }
        fn configure(meta: &mut ConstraintSystem<Fr>) -> DotConfig {
            DotConfig::configure(meta, 3, DotWeights::Fixed).unwrap()
        }
        fn synthesize(&self, c: DotConfig, mut l: impl Layouter<Fr>) -> Result<(), Error> {
            let mut cm = CopyConstraintManager::default();
            l.assign_region(
                || "dots",
                |mut r| {
                    self.table
                        .assign_perturbed(&c, &mut r, Some(&mut cm), self.perturb)
                },
            )?;
            cm.clear();
            Ok(())
        }
    }

    fn table() -> DotTable {
        let mut t = DotTable::default();
        let f = |v: &[i64]| -> Vec<Fr> {
            v.iter()
                .map(|x| {
                    if *x < 0 {
                        -Fr::from(x.unsigned_abs())
                    } else {
                        Fr::from(*x as u64)
                    }
                })
                .collect()
        };
        t.record(
            &f(&[1, -2, 3, 4, 5, 6, 7]),
            &f(&[3, 5, -7, 1, 0, 2, 9]),
            Fr::from(11),
        );
        t.record(&f(&[9, 8, 7, 6]), &f(&[-1, -1, 2, 2]), Fr::zero());
        t.record(&f(&[5, 5, 5]), &f(&[1, 2, 3]), -Fr::from(4));
        t
    }

    #[test]
    fn values_and_rows() {
        let t = table();
        let v: Vec<Fr> = t.dots.iter().map(|d| d.value).collect();
        // 3 − 10 − 21 + 4 + 0 + 12 + 63 + 11 = 62; −9 −8 +14 +12 = 9; 5+10+15−4 = 26
        assert_eq!(v, vec![Fr::from(62), Fr::from(9), Fr::from(26)]);
        assert_eq!(t.rows(3), 1 + 3 + 2 + 1);
        assert_eq!(t.rows(1), 1 + 14);
        assert_eq!(t.terms(), 14);
    }

    #[test]
    fn gate_accepts_honest_rows_and_rejects_each_changed_value() {
        let modes = [DotWeights::Fixed, DotWeights::Copied, DotWeights::Committed];
        for (m, weights) in [1, 2, 3, 5].into_iter().flat_map(|m| modes.map(|w| (m, w))) {
            let t = table();
            let rows = t.rows(m);
            let ok = |t: DotTable, perturb| {
                MockProver::run(
                    6,
                    &Only {
                        table: t,
                        m,
                        weights,
                        perturb,
                    },
                    vec![],
                )
                .unwrap()
                .verify()
                .is_ok()
            };
            // Every weight, the results unchanged (in the advice modes w is a witness the
            // gate must read).
            for i in 0..t.ws.len() {
                let mut bad = t.clone();
                bad.ws[i] += Fr::one();
                if bad.xs[i] != Fr::zero() {
                    assert!(
                        !ok(bad, None),
                        "m={m} {weights:?}: weight {i} unconstrained"
                    );
                }
            }
            assert!(ok(t.clone(), None), "m={m} {weights:?}");
            // Every running sum, including each product's result row.
            for r in 1..rows {
                assert!(
                    !ok(t.clone(), Some(r)),
                    "m={m}: acc on row {r} unconstrained"
                );
            }
            // Every result value.
            for d in 0..t.dots.len() {
                let mut bad = t.clone();
                bad.dots[d].value += Fr::one();
                assert!(!ok(bad, None), "m={m}: result {d} unconstrained");
            }
        }
    }
}
