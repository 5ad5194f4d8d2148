//! Committed (unblinded) advice columns.
//!
//! halo2's KZG `commit_lagrange` ignores its `Blind`: an advice column is hidden only by
//! its *blinding rows*, the last `blinding_factors + 1` rows of the domain, which the prover
//! fills with random field elements before committing. A column whose blinding rows are
//! zero instead has a commitment that is a deterministic function of its values, so a
//! verifier can compare the commitment in a proof (read with
//! [`verifier::committed::advice_commitments`]) with [`column_commitment`] of known values,
//! e.g. a model's weights.
//!
//! [`UnblindingRng`] does this without patching halo2: it wraps the prover's RNG and
//! answers the draws that fill the chosen columns' blinding rows with zeros.
//!
//! # The draw order it relies on
//!
//! Checked in halo2-axiom 0.5.3 (`plonk/witness.rs`, `WitnessCollection::next_phase`) and
//! halo2curves-axiom 0.7.3 (`bn256/fr.rs`), and pinned by `tests/committed_columns.rs`:
//!
//! 1. `create_proof` draws nothing from its RNG before committing to the phase-0 advice
//!    (the key and the instances are absorbed into the transcript, which is not the RNG);
//! 2. for phase 0, for each phase-0 advice column in column-index order, rows
//!    `n − (blinding_factors + 1) .. n` are set to `Fr::random(rng)`, in row order;
//! 3. then one `Blind(Fr::random(rng))` per column is drawn (unused by KZG), and the rest of
//!    the proof draws what it needs;
//! 4. `Fr::random` calls `rng.next_u64()` exactly 8 times (a 512-bit reduction).
//!
//! So the first `8 · (blinding_factors + 1) · num_advice` `next_u64` calls fill the
//! blinding rows, column after column. [`UnblindingRng`] counts `next_u64` calls only;
//! `next_u32`, `fill_bytes` and `try_fill_bytes` pass through uncounted (halo2 does not use
//! them in step 2). Only one circuit per proof and single-phase circuits are supported
//! (a later phase's columns would be drawn after phase 0's blinds, and multi-circuit proofs
//! repeat the draws per circuit).
//!
//! # Privacy
//!
//! An unblinded column is not hidden: its commitment is a deterministic function of its
//! values, and every proof also opens the column at the circuit's query points, revealing a
//! linear combination of its values per opening. Enough proofs reveal the column. Leave
//! unblinded only data the verifier may learn or is committed to, not secrets.

use std::collections::BTreeSet;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::group::Curve;
use halo2_base::halo2_proofs::plonk::{ConstraintSystem, VerifyingKey};
use halo2_base::halo2_proofs::poly::commitment::{Blind, Params};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::poly::{LagrangeCoeff, Polynomial};
use rand_chacha::rand_core::{Error as RandError, RngCore};

use crate::error::{guard, ProverError, Result};

/// `next_u64` calls per `Fr::random` (halo2curves-axiom 0.7.3 draws 512 bits).
const DRAWS_PER_SCALAR: u64 = 8;

/// An RNG for `create_proof` that leaves some phase-0 advice columns unblinded: it returns
/// `0` for the `next_u64` draws that fill those columns' blinding rows (so they hold
/// `Fr::zero()`), and passes every other call to the wrapped RNG. The zeroed draws are still
/// taken from the wrapped RNG and discarded, so the rest of the proof sees the same stream
/// as without the wrapper. See the module docs for the draw order this relies on.
#[derive(Clone, Debug)]
pub struct UnblindingRng<R> {
    /// The prover's real RNG.
    inner: R,
    /// `unblinded[c]`: column `c`'s blinding rows are zeroed.
    unblinded: Vec<bool>,
    /// `next_u64` draws that fill one column's blinding rows: `rows · 8`.
    draws_per_column: u64,
    /// `next_u64` draws made so far (saturating).
    draws: u64,
}

impl<R: RngCore> UnblindingRng<R> {
    /// Wraps `inner` for a circuit with `num_advice` phase-0 advice columns and
    /// `blinding_rows` (`cs.blinding_factors() + 1`) blinding rows per column, leaving the
    /// columns `unblinded` (indices below `num_advice`; repeats are ignored) unblinded.
    pub fn new(
        inner: R,
        num_advice: usize,
        blinding_rows: usize,
        unblinded: &[usize],
    ) -> Result<Self> {
        let mut set = vec![false; num_advice];
        for &column in unblinded {
            *set.get_mut(column)
                .ok_or(ProverError::UnblindedColumn { column, num_advice })? = true;
        }
        Ok(Self {
            inner,
            unblinded: set,
            draws_per_column: (blinding_rows as u64).saturating_mul(DRAWS_PER_SCALAR),
            draws: 0,
        })
    }

    /// [`UnblindingRng::new`] with the column count and blinding rows of `cs`, which must be
    /// single-phase ([`ProverError::MultiPhaseCommitted`] otherwise).
    pub fn for_constraint_system(
        inner: R,
        cs: &ConstraintSystem<Fr>,
        unblinded: &[usize],
    ) -> Result<Self> {
        let phases = cs.advice_column_phase();
        if let Some(&phase) = phases.iter().find(|&&p| p != 0) {
            return Err(ProverError::MultiPhaseCommitted {
                phase,
                phases: phases.iter().copied().collect::<BTreeSet<_>>().len(),
            });
        }
        Self::new(inner, cs.num_advice_columns(), blinding_rows(cs), unblinded)
    }

    /// [`UnblindingRng::for_constraint_system`] with the key's constraint system.
    pub fn for_verifying_key(
        inner: R,
        vk: &VerifyingKey<G1Affine>,
        unblinded: &[usize],
    ) -> Result<Self> {
        Self::for_constraint_system(inner, vk.cs(), unblinded)
    }

    /// Whether every blinding-row draw has been made (the wrapper now only passes through).
    pub fn past_blinding_rows(&self) -> bool {
        self.draws >= self.tail_draws()
    }

    /// The wrapped RNG.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// `next_u64` draws that fill all phase-0 blinding rows.
    fn tail_draws(&self) -> u64 {
        self.draws_per_column
            .saturating_mul(self.unblinded.len() as u64)
    }

    /// Whether draw number `d` fills a blinding row of an unblinded column.
    fn zeroed(&self, d: u64) -> bool {
        if self.draws_per_column == 0 || d >= self.tail_draws() {
            return false;
        }
        let column = d / self.draws_per_column;
        usize::try_from(column)
            .ok()
            .and_then(|c| self.unblinded.get(c).copied())
            .unwrap_or(false)
    }
}

impl<R: RngCore> RngCore for UnblindingRng<R> {
    fn next_u64(&mut self) -> u64 {
        let d = self.draws;
        self.draws = self.draws.saturating_add(1);
        // Always advance the inner stream, so that later draws match an unwrapped run.
        let x = self.inner.next_u64();
        if self.zeroed(d) {
            0
        } else {
            x
        }
    }

    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest)
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), RandError> {
        self.inner.try_fill_bytes(dest)
    }
}

/// Blinding rows per advice column of `cs`: `blinding_factors + 1` (the last rows of the
/// domain, which halo2 fills with random values).
pub fn blinding_rows(cs: &ConstraintSystem<Fr>) -> usize {
    cs.blinding_factors() + 1
}

/// Rows of a circuit with key `vk` that hold values: `2^k − blinding_rows`.
pub fn usable_rows(vk: &VerifyingKey<G1Affine>) -> usize {
    (1usize << vk.get_domain().k()).saturating_sub(blinding_rows(vk.cs()))
}

/// The KZG commitment of an advice column of the circuit with key `vk` that holds `values`
/// at rows `0..values.len()` and zero everywhere else, blinding rows included: what a proof
/// made with [`UnblindingRng`] commits to for that column. `params` must be for the
/// circuit's `k` ([`ProverError::CommittedK`]), and `values` must fit in the usable rows
/// ([`ProverError::CommittedColumnTooLong`]). All-zero values commit to the identity (both
/// transcripts encode it: Blake2b as `0…0 0x80`, Keccak as 64 zero bytes).
pub fn column_commitment(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    values: &[Fr],
) -> Result<G1Affine> {
    let circuit_k = vk.get_domain().k();
    if params.k() != circuit_k {
        return Err(ProverError::CommittedK {
            params_k: params.k(),
            circuit_k,
        });
    }
    let usable = usable_rows(vk);
    if values.len() > usable {
        return Err(ProverError::CommittedColumnTooLong {
            len: values.len(),
            usable_rows: usable,
        });
    }
    // The rows past `values` are zero and add nothing to the multi-exponentiation, so the
    // commitment over the first `values.len()` Lagrange points equals the full column's.
    let poly: Polynomial<Fr, LagrangeCoeff> = Polynomial::new(values.to_vec());
    guard("committing to a column", || {
        params.commit_lagrange(&poly, Blind::default()).to_affine()
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn zeroes_exactly_the_chosen_columns_draws_and_keeps_the_stream() {
        // 3 columns, 2 blinding rows each (16 draws per column), column 1 unblinded.
        let mut plain = ChaCha20Rng::from_seed([1; 32]);
        let mut rng = UnblindingRng::new(ChaCha20Rng::from_seed([1; 32]), 3, 2, &[1, 1]).unwrap();
        for d in 0..60 {
            let (x, y) = (plain.next_u64(), rng.next_u64());
            if (16..32).contains(&d) {
                assert_eq!(y, 0, "draw {d}");
            } else {
                assert_eq!(y, x, "draw {d}");
            }
            assert_eq!(rng.past_blinding_rows(), d + 1 >= 48);
        }
        // Uncounted calls pass through.
        assert_eq!(rng.next_u32(), plain.next_u32());
        let (mut a, mut b) = ([0u8; 7], [0u8; 7]);
        rng.fill_bytes(&mut a);
        plain.fill_bytes(&mut b);
        assert_eq!(a, b);
        assert!(matches!(
            UnblindingRng::new(plain, 3, 2, &[3]),
            Err(ProverError::UnblindedColumn {
                column: 3,
                num_advice: 3
            })
        ));
    }
}
