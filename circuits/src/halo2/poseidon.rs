//! A dedicated Poseidon gate: the width-9 permutation of [`crate::hash`] (textbook rounds,
//! the reference constants of [`crate::hash::native`]) in about 6 columns per lane instead of
//! about 7,500 flex-gate cells per permutation.
//!
//! Each lane has an advice state column `s` (in the permutation argument), an advice square
//! column `u`, a fixed round-constant column `c` and three selectors. A permutation takes
//! [`ROWS_PER_PERM`] consecutive rows of one lane: round `t` (`R_F + R_P` rounds) occupies
//! rows `9t..9t+8`, which hold the state `x_0..x_8` before the round and its constants
//! `c_0..c_8`; rows `9(R_F+R_P)..+8` hold the output. With `y_j = x_j + c_j`:
//!
//! ```text
//!   q_sq · (u − (s + c)²) = 0                                  (per row: u_j = y_j²)
//!   q_full · (x'_i − Σ_j M_ij·y_j·u_j²) = 0          i = 0..8  (full round: y_j⁵ = y_j·u_j²)
//!   q_partial · (x'_i − M_i0·y_0·u_0² − Σ_{j≥1} M_ij·y_j) = 0  i = 0..8  (partial round)
//! ```
//!
//! where `x'_i` is the state cell 9 rows below `x_i` (the next round's input). `q_full` and
//! `q_partial` are on a round's first row; `q_sq` is on every row of a full round and on the
//! first row of a partial round (where only `x_0` goes through the S-box). The degree is 4
//! (selector, `y`, `u²`). The matrix `M` is a constant of the gate; the round constants are
//! fixed, so the verifying key commits to them.
//!
//! A permutation's input cells are copy-constrained to the cells the sponge computed in the
//! flex gate ([`POSEIDON_IN`]), and its output cells into whichever cells use them
//! ([`POSEIDON_OUT`]). Permutations are recorded during layout ([`PoseidonTable`]) and laid
//! out afterwards, round-robin over the lanes, from row 0.

use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::circuit::{Region, Value};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};
use halo2_base::halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector,
};
use halo2_base::halo2_proofs::poly::Rotation;
use halo2_base::utils::halo2::{raw_assign_advice, raw_assign_fixed};
use halo2_base::virtual_region::copy_constraints::CopyConstraintManager;
use halo2_base::QuantumCell::Constant;
use halo2_base::{AssignedValue, Context, ContextCell};

use crate::error::{CircuitError, Result};
use crate::hash::native::{self, PoseidonParams};
use crate::hash::POSEIDON_T as T;

/// Virtual-region name of a permutation's input cells (offset = `9·perm + i`).
pub const POSEIDON_IN: &str = "zkinfer:poseidon-in";
/// Virtual-region name of a permutation's output cells (offset = `9·perm + i`).
pub const POSEIDON_OUT: &str = "zkinfer:poseidon-out";

/// Rounds of the permutation.
const ROUNDS: usize = native::FULL_ROUNDS + native::PARTIAL_ROUNDS_T9;

/// Rows one permutation takes in its lane: one state of 9 rows per round, then the output.
pub const ROWS_PER_PERM: usize = T * (ROUNDS + 1);

fn params() -> &'static PoseidonParams<T> {
    native::params_t9()
}

/// Whether round `t` is a full round (the first and last `R_F / 2`).
fn is_full(t: usize) -> bool {
    let half = native::FULL_ROUNDS / 2;
    t < half || t >= half + native::PARTIAL_ROUNDS_T9
}

/// The columns of one lane.
#[derive(Clone, Debug)]
struct Lane {
    s: Column<Advice>,
    u: Column<Advice>,
    c: Column<Fixed>,
    q_sq: Selector,
    q_full: Selector,
    q_partial: Selector,
}

/// The columns and gates of the Poseidon gate: `lanes` independent lanes.
#[derive(Clone, Debug)]
pub struct PoseidonConfig {
    lanes: Vec<Lane>,
}

impl PoseidonConfig {
    /// Adds `lanes` lanes of the gate; `None` when `lanes = 0` (hashing stays on the flex
    /// gate).
    pub fn configure(meta: &mut ConstraintSystem<Fr>, lanes: usize) -> Option<Self> {
        if lanes == 0 {
            return None;
        }
        let mds = params().mds;
        let lanes = (0..lanes)
            .map(|_| {
                let lane = Lane {
                    s: meta.advice_column(),
                    u: meta.advice_column(),
                    c: meta.fixed_column(),
                    q_sq: meta.selector(),
                    q_full: meta.selector(),
                    q_partial: meta.selector(),
                };
                meta.enable_equality(lane.s);
                meta.create_gate("poseidon square", |vc| {
                    let q = vc.query_selector(lane.q_sq);
                    let s = vc.query_advice(lane.s, Rotation::cur());
                    let u = vc.query_advice(lane.u, Rotation::cur());
                    let c = vc.query_fixed(lane.c, Rotation::cur());
                    let y = s + c;
                    // q_sq · (u − (s + c)²)
                    vec![q * (u - y.clone() * y)]
                });
                // y_j = x_j + c_j and u_j on the round's rows 0..8; x'_i on rows 9..17.
                let round = |vc: &mut halo2_base::halo2_proofs::plonk::VirtualCells<'_, Fr>| {
                    let y: Vec<Expression<Fr>> = (0..T)
                        .map(|j| {
                            let r = Rotation(j as i32);
                            vc.query_advice(lane.s, r) + vc.query_fixed(lane.c, r)
                        })
                        .collect();
                    let u: Vec<Expression<Fr>> = (0..T)
                        .map(|j| vc.query_advice(lane.u, Rotation(j as i32)))
                        .collect();
                    let next: Vec<Expression<Fr>> = (0..T)
                        .map(|i| vc.query_advice(lane.s, Rotation((T + i) as i32)))
                        .collect();
                    (y, u, next)
                };
                meta.create_gate("poseidon full round", |vc| {
                    let q = vc.query_selector(lane.q_full);
                    let (y, u, next) = round(vc);
                    // q_full · (x'_i − Σ_j M_ij·y_j·u_j²)
                    (0..T)
                        .map(|i| {
                            let sum = (0..T)
                                .map(|j| {
                                    y[j].clone()
                                        * u[j].clone()
                                        * u[j].clone()
                                        * Expression::Constant(mds[i][j])
                                })
                                .reduce(|a, b| a + b)
                                .unwrap_or(Expression::Constant(Fr::ZERO));
                            q.clone() * (next[i].clone() - sum)
                        })
                        .collect::<Vec<_>>()
                });
                meta.create_gate("poseidon partial round", |vc| {
                    let q = vc.query_selector(lane.q_partial);
                    let (y, u, next) = round(vc);
                    let sbox = y[0].clone() * u[0].clone() * u[0].clone();
                    // q_partial · (x'_i − M_i0·y_0·u_0² − Σ_{j≥1} M_ij·y_j)
                    (0..T)
                        .map(|i| {
                            let mut sum = sbox.clone() * Expression::Constant(mds[i][0]);
                            for (j, yj) in y.iter().enumerate().skip(1) {
                                sum = sum + yj.clone() * Expression::Constant(mds[i][j]);
                            }
                            q.clone() * (next[i].clone() - sum)
                        })
                        .collect::<Vec<_>>()
                });
                lane
            })
            .collect();
        Some(Self { lanes })
    }

    /// Number of lanes.
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }
}

/// The states of one permutation as the gate lays it out: the input, the state after each
/// round (the last one is the output).
fn states(input: &[Fr; T]) -> Vec<[Fr; T]> {
    let p = params();
    let mut out = Vec::with_capacity(ROUNDS + 1);
    let mut x = *input;
    out.push(x);
    for (t, constants) in p.round_constants.iter().enumerate() {
        let y: [Fr; T] = std::array::from_fn(|j| x[j] + constants[j]);
        let sboxed: [Fr; T] = std::array::from_fn(|j| {
            if is_full(t) || j == 0 {
                y[j] * y[j].square().square()
            } else {
                y[j]
            }
        });
        x = std::array::from_fn(|i| (0..T).map(|j| p.mds[i][j] * sboxed[j]).sum());
        out.push(x);
    }
    out
}

/// A cell to change in tests: the state or the square on a lane-0 row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Perturb {
    /// Adds 1 to the state cell on this row.
    State(usize),
    /// Adds 1 to the square cell on this row.
    Square(usize),
    /// Adds 1 to the round constant on this row.
    Constant(usize),
}

/// Every permutation of a circuit, in layout order (inputs only: the rest follows).
#[derive(Clone, Debug, Default)]
pub struct PoseidonTable {
    /// Input state of each permutation.
    pub inputs: Vec<[Fr; T]>,
}

impl PoseidonTable {
    /// Rows each lane needs with `lanes` lanes (permutations go round-robin).
    pub fn rows(&self, lanes: usize) -> usize {
        if self.inputs.is_empty() {
            return 0;
        }
        if lanes == 0 {
            return usize::MAX;
        }
        self.inputs.len().div_ceil(lanes) * ROWS_PER_PERM
    }

    /// The fewest lanes whose rows fit in `usable` rows; `None` when not even one
    /// permutation fits. 0 without permutations.
    pub fn lanes_for(&self, usable: usize) -> Option<usize> {
        if self.inputs.is_empty() {
            return Some(0);
        }
        let per_lane = usable / ROWS_PER_PERM;
        (per_lane > 0).then(|| self.inputs.len().div_ceil(per_lane))
    }

    /// Records one permutation of `input` and returns its output cells (named
    /// [`POSEIDON_OUT`]); each input cell is copy-constrained into the gate.
    pub fn record(
        &mut self,
        ctx: &mut Context<Fr>,
        input: &[AssignedValue<Fr>; T],
    ) -> Result<[AssignedValue<Fr>; T]> {
        let p = self.inputs.len();
        let values: [Fr; T] = std::array::from_fn(|i| *input[i].value());
        let mut out = values;
        params().permute(&mut out);
        self.inputs.push(values);
        if !ctx.witness_gen_only() {
            let mut cm = ctx.copy_manager.lock().map_err(|_| {
                CircuitError::unsupported("the copy-constraint manager lock is poisoned")
            })?;
            for (i, x) in input.iter().enumerate() {
                // Every input must be copied in; a cell without a place would be free.
                let cell = x.cell.ok_or_else(|| {
                    CircuitError::unsupported("a Poseidon input has no assigned cell")
                })?;
                cm.advice_equalities
                    .push((cell, ContextCell::new(POSEIDON_IN, 0, T * p + i)));
            }
        }
        Ok(std::array::from_fn(|i| AssignedValue {
            value: halo2_base::halo2_proofs::plonk::Assigned::Trivial(out[i]),
            cell: Some(ContextCell::new(POSEIDON_OUT, 0, T * p + i)),
        }))
    }

    /// The sponge of [`native::PoseidonParams::sponge`] over `elements`: absorption on the
    /// flex gate, each permutation recorded here. Returns the hash cell.
    pub fn sponge(
        &mut self,
        ctx: &mut Context<Fr>,
        gate: &impl GateInstructions<Fr>,
        elements: &[AssignedValue<Fr>],
    ) -> Result<AssignedValue<Fr>> {
        let rate = T - 1;
        let mut state: [AssignedValue<Fr>; T] = std::array::from_fn(|i| {
            ctx.load_constant(if i == 0 {
                Fr::from_u128(1u128 << 64)
            } else {
                Fr::ZERO
            })
        });
        let mut chunks: Vec<&[AssignedValue<Fr>]> = elements.chunks(rate).collect();
        if elements.len().is_multiple_of(rate) {
            chunks.push(&[]);
        }
        for chunk in chunks {
            // state[1 + i] += e_i, then state[1 + len] += 1 for a short chunk.
            for (i, e) in chunk.iter().enumerate() {
                state[1 + i] = gate.add(ctx, state[1 + i], *e);
            }
            if chunk.len() < rate {
                state[1 + chunk.len()] = gate.add(ctx, state[1 + chunk.len()], Constant(Fr::ONE));
            }
            state = self.record(ctx, &state)?;
        }
        Ok(state[1])
    }

    /// Lays every permutation out. With `copy` (key generation and mock proving) it fills
    /// the fixed column and selectors and tells the copy manager where each
    /// [`POSEIDON_IN`]/[`POSEIDON_OUT`] cell landed; without it (proving) only advice is written.
    pub fn assign(
        &self,
        config: &PoseidonConfig,
        region: &mut Region<Fr>,
        copy: Option<&mut CopyConstraintManager<Fr>>,
    ) -> std::result::Result<(), Error> {
        self.assign_perturbed(config, region, copy, None)
    }

    /// [`assign`](Self::assign) with one cell of lane 0 changed (tests only).
    pub fn assign_perturbed(
        &self,
        config: &PoseidonConfig,
        region: &mut Region<Fr>,
        mut copy: Option<&mut CopyConstraintManager<Fr>>,
        perturb: Option<Perturb>,
    ) -> std::result::Result<(), Error> {
        let rc = &params().round_constants;
        let lanes = config.lanes.len();
        for (p, input) in self.inputs.iter().enumerate() {
            let lane = &config.lanes[p % lanes];
            let base = (p / lanes) * ROWS_PER_PERM;
            let bump = |kind: fn(usize) -> Perturb, row: usize| {
                if p % lanes == 0 && perturb == Some(kind(row)) {
                    Fr::ONE
                } else {
                    Fr::ZERO
                }
            };
            for (t, x) in states(input).iter().enumerate() {
                for (i, xi) in x.iter().enumerate() {
                    let row = base + T * t + i;
                    let cell = raw_assign_advice(
                        region,
                        lane.s,
                        row,
                        Value::known(*xi + bump(Perturb::State, row)),
                    )
                    .cell();
                    if t == ROUNDS {
                        if let Some(cm) = copy.as_deref_mut() {
                            cm.assigned_advices
                                .insert(ContextCell::new(POSEIDON_OUT, 0, T * p + i), cell);
                        }
                        continue;
                    }
                    let sboxed = is_full(t) || i == 0;
                    let y = *xi + rc[t][i];
                    let u = if sboxed { y.square() } else { Fr::ZERO };
                    raw_assign_advice(
                        region,
                        lane.u,
                        row,
                        Value::known(u + bump(Perturb::Square, row)),
                    );
                    if let Some(cm) = copy.as_deref_mut() {
                        raw_assign_fixed(
                            region,
                            lane.c,
                            row,
                            rc[t][i] + bump(Perturb::Constant, row),
                        );
                        if sboxed {
                            lane.q_sq.enable(region, row)?;
                        }
                        if i == 0 {
                            let q = if is_full(t) {
                                lane.q_full
                            } else {
                                lane.q_partial
                            };
                            q.enable(region, row)?;
                        }
                        if t == 0 {
                            cm.assigned_advices
                                .insert(ContextCell::new(POSEIDON_IN, 0, T * p + i), cell);
                        }
                    }
                }
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

    /// The gate alone: inputs free (no copies), output state unconstrained beyond the gate.
    struct Only {
        table: PoseidonTable,
        lanes: usize,
        perturb: Option<Perturb>,
    }

    impl Circuit<Fr> for Only {
        type Config = PoseidonConfig;
        type FloorPlanner = SimpleFloorPlanner;
        type Params = usize;
        fn params(&self) -> usize {
            self.lanes
        }
        fn without_witnesses(&self) -> Self {
            Self {
                table: self.table.clone(),
                lanes: self.lanes,
                perturb: None,
            }
        }
        fn configure_with_params(meta: &mut ConstraintSystem<Fr>, lanes: usize) -> PoseidonConfig {
            PoseidonConfig::configure(meta, lanes).unwrap()
        }
        fn configure(meta: &mut ConstraintSystem<Fr>) -> PoseidonConfig {
            PoseidonConfig::configure(meta, 1).unwrap()
        }
        fn synthesize(
            &self,
            c: PoseidonConfig,
            mut l: impl Layouter<Fr>,
        ) -> std::result::Result<(), Error> {
            let mut cm = CopyConstraintManager::default();
            l.assign_region(
                || "poseidon",
                |mut r| {
                    self.table
                        .assign_perturbed(&c, &mut r, Some(&mut cm), self.perturb)
                },
            )?;
            cm.clear();
            Ok(())
        }
    }

    fn table(n: u64) -> PoseidonTable {
        PoseidonTable {
            inputs: (0..n)
                .map(|p| std::array::from_fn(|i| Fr::from(p * 1000 + i as u64 * 7 + 3)))
                .collect(),
        }
    }

    fn run(lanes: usize, perturb: Option<Perturb>) -> bool {
        let c = Only {
            table: table(3),
            lanes,
            perturb,
        };
        MockProver::run(12, &c, vec![]).unwrap().verify().is_ok()
    }

    #[test]
    fn states_end_in_the_native_permutation() {
        for input in table(4).inputs {
            let mut expected = input;
            params().permute(&mut expected);
            assert_eq!(*states(&input).last().unwrap(), expected);
        }
        // [0; 9] permuted is not [0; 9]: the rounds do something.
        assert_ne!(*states(&[Fr::ZERO; T]).last().unwrap(), [Fr::ZERO; T]);
    }

    #[test]
    fn honest_layout_passes_with_one_and_two_lanes() {
        assert!(run(1, None));
        assert!(run(2, None));
    }

    #[test]
    fn rows_and_lanes() {
        let t = table(5);
        assert_eq!(t.rows(1), 5 * ROWS_PER_PERM);
        assert_eq!(t.rows(2), 3 * ROWS_PER_PERM);
        assert_eq!(t.lanes_for(2 * ROWS_PER_PERM + 10), Some(3));
        assert_eq!(t.lanes_for(ROWS_PER_PERM - 1), None);
        assert_eq!(PoseidonTable::default().lanes_for(5), Some(0));
        assert_eq!(PoseidonTable::default().rows(0), 0);
    }

    #[test]
    fn any_changed_cell_fails() {
        // Full round 0 (rows 0..8), partial round 4 (rows 36..44: the S-box row 36, a linear
        // row 40), the last full round (row 9·70 + 5) and the output row (9·71 + 3).
        let rows = [0, 4, 8, 36, 40, 9 * 70 + 5, 9 * 71 + 3];
        for row in rows {
            assert!(!run(1, Some(Perturb::State(row))), "state row {row}");
            assert!(
                !run(2, Some(Perturb::State(row))),
                "state row {row}, 2 lanes"
            );
        }
        for row in [0, 8, 36, 9 * 70 + 5] {
            assert!(!run(1, Some(Perturb::Square(row))), "square row {row}");
            assert!(!run(1, Some(Perturb::Constant(row))), "constant row {row}");
        }
        // Row 40's square is not used (a partial round's linear element): free, and harmless.
        assert!(run(1, Some(Perturb::Square(40))));
    }
}
