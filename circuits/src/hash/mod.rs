//! Poseidon hashing of fixed-point values (inputs, outputs, model weights), natively and in
//! the circuit, for visibilities whose public instance is a hash.
//!
//! What is hashed for a list of `len` values of width `w` ([`pack`]): the length tag `len`,
//! then the values packed `floor(253 / w)` per field element. The sponge is halo2-base
//! 0.5.5's fixed-length Poseidon hash (`PoseidonHasher::hash_fix_len_array`, capacity tag
//! `2^64`, padding `1, 0, …`) with width [`POSEIDON_T`], [`R_F`] full and [`R_P`] partial
//! rounds; [`native`] reimplements it independently (reference Grain constants, textbook
//! permutation) and `tests/hash.rs` checks it against the reference's published vectors and
//! against the circuit.
//!
//! The in-circuit values must be range-checked to `[-2^(w-1), 2^(w-1))` by the caller;
//! hashing adds no range check.
//!
//! Width choice (advice cells per hashed value, from the context's advice length, packing
//! included, measured by `tests/hash.rs::width_choice_cost_table`):
//!
//! | 4,096 values               | T=3 (rate 2)     | T=5 (rate 4)     | T=9 (rate 8)     |
//! |----------------------------|------------------|------------------|------------------|
//! | w=21 (12/element, 343 el.) | 404,417 (98.73)  | 342,499 (83.62)  | 337,859 (82.49)  |
//! | w=37 (6/element, 684 el.)  | 790,190 (192.92) | 668,602 (163.23) | 659,318 (160.97) |
//!
//! (total advice cells, per value in parentheses; the element counts include the length
//! tag; packing is 4 cells per value of that). So the width is `T = 9` (rate 8): one
//! permutation costs about 7,476 cells against about 3,792 at `T = 5` (2,256 at `T = 3`)
//! but absorbs twice the elements.
//!
//! The memory layout hashes with a dedicated gate instead ([`crate::halo2::poseidon`]): the
//! same sponge and textbook permutation, one lane row per state element and round.

pub mod native;
pub mod pack;

use std::sync::OnceLock;

use halo2_base::gates::GateInstructions;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use halo2_base::poseidon::hasher::spec::OptimizedPoseidonSpec;
use halo2_base::poseidon::hasher::PoseidonSponge;
use halo2_base::{AssignedValue, Context};

use crate::error::{CircuitError, Result};

/// Poseidon state width used for hashing values.
pub const POSEIDON_T: usize = 9;
/// Sponge rate (`POSEIDON_T - 1`: one capacity element).
pub const POSEIDON_RATE: usize = POSEIDON_T - 1;
/// Full rounds.
pub const R_F: usize = native::FULL_ROUNDS;
/// Partial rounds of width [`POSEIDON_T`] (the reference's count).
pub const R_P: usize = native::PARTIAL_ROUNDS_T9;

/// The native parameters of the chosen width.
fn chosen_params() -> &'static native::PoseidonParams<POSEIDON_T> {
    native::params_t9()
}

/// The field elements hashed for `values` of width `w`: length tag, then the packing.
pub fn hash_elements(values: &[i128], w: u32) -> Vec<Fr> {
    pack::with_length_tag(values.len(), pack::pack(values, w))
}

/// The hash of `values` (each in `[-2^(w-1), 2^(w-1))`) of width `w`, computed natively;
/// equal to [`hash_cells`] on cells holding the same integers.
pub fn hash_values(values: &[i128], w: u32) -> Fr {
    chosen_params().sponge(&hash_elements(values, w))
}

/// In-circuit hash of the values in `cells` (range-checked by the caller to width `w`):
/// the length tag (a constant: the length is fixed by the circuit), the packed elements of
/// [`pack::pack_cells`], then halo2-base's Poseidon sponge over them. Returns the hash cell,
/// to be made a public instance.
pub fn hash_cells(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    cells: &[AssignedValue<Fr>],
    w: u32,
) -> AssignedValue<Fr> {
    static SPEC: OnceLock<OptimizedPoseidonSpec<Fr, POSEIDON_T, POSEIDON_RATE>> = OnceLock::new();
    let elements = element_cells(ctx, gate, cells, w);
    let spec = SPEC
        .get_or_init(OptimizedPoseidonSpec::new::<R_F, R_P, 0>)
        .clone();
    sponge_with_spec(ctx, gate, &elements, spec)
}

/// In-circuit [`hash_elements`]: the length tag (a constant: the length is fixed by the
/// circuit), then [`pack::pack_cells`] of `cells` (range-checked by the caller to width `w`).
pub fn element_cells(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    cells: &[AssignedValue<Fr>],
    w: u32,
) -> Vec<AssignedValue<Fr>> {
    let mut elements = vec![ctx.load_constant(Fr::from(cells.len() as u64))];
    elements.extend(pack::pack_cells(ctx, gate, cells, w));
    elements
}

/// halo2-base's fixed-length Poseidon hash of `elements` for any width (`RATE = T - 1`,
/// `RF`/`RP` rounds, first MDS matrix): the same value as
/// `PoseidonHasher::hash_fix_len_array`, without the hasher's precomputed empty hash (one
/// permutation fewer). Exposed to compare widths.
pub fn sponge_cells<const T: usize, const RATE: usize, const RF: usize, const RP: usize>(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    elements: &[AssignedValue<Fr>],
) -> AssignedValue<Fr> {
    sponge_with_spec(
        ctx,
        gate,
        elements,
        OptimizedPoseidonSpec::<Fr, T, RATE>::new::<RF, RP, 0>(),
    )
}

fn sponge_with_spec<const T: usize, const RATE: usize>(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    elements: &[AssignedValue<Fr>],
    spec: OptimizedPoseidonSpec<Fr, T, RATE>,
) -> AssignedValue<Fr> {
    let mut sponge = PoseidonSponge::<Fr, T, RATE>::from_spec(ctx, spec);
    sponge.update(elements);
    sponge.squeeze(ctx, gate)
}

/// The hash of several lists at once, each with its own width: the sponge over the
/// concatenation of each list's [`hash_elements`] (its length tag, then its packing), in
/// order. Natively; equal to [`hash_parts_cells`].
pub fn hash_parts_values(parts: &[(&[i128], u32)]) -> Fr {
    let elements: Vec<Fr> = parts
        .iter()
        .flat_map(|(v, w)| hash_elements(v, *w))
        .collect();
    chosen_params().sponge(&elements)
}

/// In-circuit [`hash_parts_values`]: per part its length tag (a constant) and
/// [`pack::pack_cells`], then one sponge over all of them. The caller range-checks each
/// part's cells to its width.
pub fn hash_parts_cells(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    parts: &[(&[AssignedValue<Fr>], u32)],
) -> AssignedValue<Fr> {
    static SPEC: OnceLock<OptimizedPoseidonSpec<Fr, POSEIDON_T, POSEIDON_RATE>> = OnceLock::new();
    let elements = parts_element_cells(ctx, gate, parts);
    let spec = SPEC
        .get_or_init(OptimizedPoseidonSpec::new::<R_F, R_P, 0>)
        .clone();
    sponge_with_spec(ctx, gate, &elements, spec)
}

/// In-circuit elements of [`hash_parts_values`]: each part's [`element_cells`], in order.
pub fn parts_element_cells(
    ctx: &mut Context<Fr>,
    gate: &impl GateInstructions<Fr>,
    parts: &[(&[AssignedValue<Fr>], u32)],
) -> Vec<AssignedValue<Fr>> {
    parts
        .iter()
        .flat_map(|(cells, w)| element_cells(ctx, gate, cells, *w))
        .collect()
}

/// `x` as `0x` and 64 lowercase hex digits, big-endian (the canonical integer `< p`).
pub fn fr_to_hex(x: &Fr) -> String {
    let mut be = x.to_repr();
    be.reverse();
    format!("0x{}", hex::encode(be))
}

/// Parses [`fr_to_hex`]'s format: `0x` (or `0X`) and exactly 64 hex digits (either case)
/// of an integer below the field modulus. Errors are [`CircuitError::Settings`].
pub fn fr_from_hex(s: &str) -> Result<Fr> {
    let bad = |why: &str| CircuitError::Settings {
        message: format!("field element {s:?}: {why}"),
    };
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or_else(|| bad("expected a 0x prefix"))?;
    if digits.len() != 64 {
        return Err(bad("expected exactly 64 hex digits"));
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(digits, &mut bytes).map_err(|e| bad(&e.to_string()))?;
    bytes.reverse();
    Option::from(Fr::from_repr(bytes)).ok_or_else(|| bad("not below the BN254 scalar modulus"))
}
