//! A native Poseidon permutation and sponge over the BN254 scalar field, written
//! independently of halo2-base's Poseidon code so that the two check each other.
//!
//! The parameters follow the Poseidon reference implementation
//! (`generate_parameters_grain.sage` of <https://extgit.iaik.tugraz.at/krypto/hadeshash>):
//! prime field, S-box `x^5`, field size `n = 254`, `R_F = 8` full rounds and the partial
//! rounds of [`PARTIAL_ROUNDS_T3`], [`PARTIAL_ROUNDS_T5`] and [`PARTIAL_ROUNDS_T9`]. Round constants and the Cauchy MDS matrix come from the
//! Grain LFSR seeded with those parameters, in the reference's order (all round constants,
//! then the matrix). The permutation is the textbook one: no optimized constants, no sparse
//! matrices.
//!
//! MDS security: the reference script rejects a matrix that fails its security algorithms
//! and samples another one; like halo2-base (`SECURE_MDS = 0`) this module takes the first
//! matrix the stream gives. Published vectors (`tests/hash.rs`: hadeshash's for t=3 and
//! t=5, circomlib-compatible ones for t=9) confirm that this gives the reference's
//! permutation at all three widths.

use std::sync::OnceLock;

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// Number of full rounds (`R_F`) of every width.
pub const FULL_ROUNDS: usize = 8;

/// Bit size `n` of the BN254 scalar field, as the reference's Grain seed encodes it.
const FIELD_BITS: usize = 254;

/// `R_P` of width 3 (BN254, 128-bit security, `x^5`), as in the reference and halo2-base.
pub const PARTIAL_ROUNDS_T3: usize = 57;
/// `R_P` of width 5.
pub const PARTIAL_ROUNDS_T5: usize = 60;
/// `R_P` of width 9.
pub const PARTIAL_ROUNDS_T9: usize = 63;

/// The Grain LFSR of the Poseidon reference, in self-shrinking mode.
struct Grain {
    /// The 80-bit register as a ring buffer; logical bit `k` is `bits[(head + k) % 80]`.
    bits: [bool; 80],
    head: usize,
}

impl Grain {
    /// Seeds the register with the reference's 80-bit header (field type 1 = prime field,
    /// S-box 0 = `x^alpha`, n, t, R_F, R_P, then thirty 1s, each field MSB first) and
    /// discards the first 160 output bits.
    fn new(t: usize, r_f: usize, r_p: usize) -> Self {
        let mut bits = [true; 80];
        let mut pos = 0;
        for (value, width) in [
            (1, 2),
            (0, 4),
            (FIELD_BITS, 12),
            (t, 12),
            (r_f, 10),
            (r_p, 10),
        ] {
            for i in (0..width).rev() {
                bits[pos] = (value >> i) & 1 == 1;
                pos += 1;
            }
        }
        let mut grain = Grain { bits, head: 0 };
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    /// One LFSR step: `b_80 = b_62 ^ b_51 ^ b_38 ^ b_23 ^ b_13 ^ b_0`, shifting `b_0` out.
    fn step(&mut self) -> bool {
        let b = |k: usize| self.bits[(self.head + k) % 80];
        let new = b(62) ^ b(51) ^ b(38) ^ b(23) ^ b(13) ^ b(0);
        // The slot of the outgoing b_0 becomes logical position 79.
        self.bits[self.head] = new;
        self.head = (self.head + 1) % 80;
        new
    }

    /// The next output bit: bits are drawn in pairs and the second is output when the
    /// first is 1 (both are discarded otherwise).
    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// `n` output bits read as an integer, first bit most significant, as 32 big-endian
    /// bytes.
    fn next_be_bytes(&mut self) -> [u8; 32] {
        let mut be = [0u8; 32];
        for i in (0..FIELD_BITS).rev() {
            if self.next_bit() {
                be[31 - i / 8] |= 1 << (i % 8);
            }
        }
        be
    }

    /// A field element by rejection sampling (the round constants): integers `>= p` are
    /// discarded.
    fn field_rejection(&mut self) -> Fr {
        loop {
            let mut le = self.next_be_bytes();
            le.reverse();
            if let Some(x) = Option::<Fr>::from(Fr::from_repr(le)) {
                return x;
            }
        }
    }

    /// A field element without rejection (the MDS points): the integer reduced mod `p`,
    /// as the reference's `F(grain_random_bits(n))` does.
    fn field_reduced(&mut self) -> Fr {
        let be = self.next_be_bytes();
        let two_8 = Fr::from(256u64);
        be.iter().fold(Fr::ZERO, |acc, byte| {
            acc * two_8 + Fr::from(u64::from(*byte))
        })
    }
}

/// Poseidon parameters of width `T`: round constants and MDS matrix.
#[derive(Clone, Debug)]
pub struct PoseidonParams<const T: usize> {
    /// Number of full rounds.
    pub r_f: usize,
    /// Number of partial rounds.
    pub r_p: usize,
    /// One row of `T` constants per round, `R_F + R_P` rows.
    pub round_constants: Vec<[Fr; T]>,
    /// The Cauchy matrix `M[i][j] = 1 / (x_i + y_j)`.
    pub mds: [[Fr; T]; T],
}

impl<const T: usize> PoseidonParams<T> {
    /// Generates the reference's constants and matrix for width `T` with `r_f` full (even)
    /// and `r_p` partial rounds.
    pub fn generate(r_f: usize, r_p: usize) -> Self {
        let mut grain = Grain::new(T, r_f, r_p);
        let round_constants = (0..r_f + r_p)
            .map(|_| std::array::from_fn(|_| grain.field_rejection()))
            .collect();
        let mds = loop {
            // 2T distinct points; the reference draws all 2T again on a duplicate.
            let points: Vec<Fr> = (0..2 * T).map(|_| grain.field_reduced()).collect();
            let distinct = points
                .iter()
                .enumerate()
                .all(|(i, a)| points[i + 1..].iter().all(|b| a != b));
            if !distinct {
                continue;
            }
            let (xs, ys) = points.split_at(T);
            // Every x_i + y_j must be invertible, otherwise the reference draws again.
            let mut mds = [[Fr::ZERO; T]; T];
            let mut ok = true;
            for (row, x) in mds.iter_mut().zip(xs) {
                for (entry, y) in row.iter_mut().zip(ys) {
                    match Option::<Fr>::from((*x + y).invert()) {
                        Some(inv) => *entry = inv,
                        None => ok = false,
                    }
                }
            }
            if ok {
                break mds;
            }
        };
        PoseidonParams {
            r_f,
            r_p,
            round_constants,
            mds,
        }
    }

    /// The Poseidon permutation, in place: each round adds its constants, applies `x^5` to
    /// every element (full rounds: the first and last `R_F / 2`) or to element 0 (partial
    /// rounds), then multiplies by the MDS matrix.
    pub fn permute(&self, state: &mut [Fr; T]) {
        let half = self.r_f / 2;
        for (round, constants) in self.round_constants.iter().enumerate() {
            for (x, c) in state.iter_mut().zip(constants) {
                *x += c;
            }
            let full = round < half || round >= half + self.r_p;
            for x in state.iter_mut().take(if full { T } else { 1 }) {
                let x2 = x.square();
                *x *= x2.square();
            }
            let old = *state;
            for (x, row) in state.iter_mut().zip(&self.mds) {
                *x = row.iter().zip(&old).map(|(m, s)| *m * s).sum();
            }
        }
    }

    /// The sponge halo2-base 0.5.5's `PoseidonHasher::hash_fix_len_array` (and
    /// `PoseidonSponge::squeeze`) computes with `RATE = T - 1`: the state starts as
    /// `[2^64, 0, …, 0]` (capacity tag of variable-length hashing, one output); each chunk
    /// of up to `RATE` elements is added to `state[1..]`, a chunk shorter than `RATE` gets
    /// a 1 added right after its last element, then the state is permuted; when the input
    /// length is a multiple of `RATE` (0 included) one more permutation absorbs the padding
    /// `[1, 0, …]`. The hash is `state[1]`.
    pub fn sponge(&self, elements: &[Fr]) -> Fr {
        let rate = T - 1;
        let mut state = [Fr::ZERO; T];
        state[0] = Fr::from_u128(1u128 << 64);
        let absorb = |state: &mut [Fr; T], chunk: &[Fr]| {
            for (x, e) in state[1..].iter_mut().zip(chunk) {
                *x += e;
            }
            if let Some(x) = state.get_mut(1 + chunk.len()) {
                *x += Fr::ONE;
            }
            self.permute(state);
        };
        for chunk in elements.chunks(rate) {
            absorb(&mut state, chunk);
        }
        if elements.len().is_multiple_of(rate) {
            absorb(&mut state, &[]);
        }
        state[1]
    }
}

/// The width-3 parameters ([`FULL_ROUNDS`], [`PARTIAL_ROUNDS_T3`]), generated once.
pub fn params_t3() -> &'static PoseidonParams<3> {
    static P: OnceLock<PoseidonParams<3>> = OnceLock::new();
    P.get_or_init(|| PoseidonParams::generate(FULL_ROUNDS, PARTIAL_ROUNDS_T3))
}

/// The width-5 parameters ([`FULL_ROUNDS`], [`PARTIAL_ROUNDS_T5`]), generated once.
pub fn params_t5() -> &'static PoseidonParams<5> {
    static P: OnceLock<PoseidonParams<5>> = OnceLock::new();
    P.get_or_init(|| PoseidonParams::generate(FULL_ROUNDS, PARTIAL_ROUNDS_T5))
}

/// The width-9 parameters ([`FULL_ROUNDS`], [`PARTIAL_ROUNDS_T9`]), generated once.
pub fn params_t9() -> &'static PoseidonParams<9> {
    static P: OnceLock<PoseidonParams<9>> = OnceLock::new();
    P.get_or_init(|| PoseidonParams::generate(FULL_ROUNDS, PARTIAL_ROUNDS_T9))
}
