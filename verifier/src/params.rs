//! The KZG parameters a verifier needs, in a tiny file (`srs-verifier.bin`).
//!
//! With SHPLONK (and GWC) halo2's KZG verifier never commits to the instance column (the
//! instances are hashed into the transcript and evaluated directly), so of the whole
//! parameter set it reads only `n = 2^k`, the first G1 power `g[0]`, and the G2 points `g2`
//! and `s·g2`. The full set for `k = 17` is 16 MiB; this file is 213 bytes. Payload (after
//! the [`crate::container`] header, kind [`ArtifactKind::VerifierParams`]):
//!
//! ```text
//! k u32 LE | g[0] (32 bytes, compressed) | g2 (64, compressed) | s·g2 (64, compressed)
//! ```
//!
//! The file is not self-authenticating: `vk.bin` records its sha256, so a verifier detects
//! a substituted file. Whoever produced the SRS must be trusted. zkinfer's locally generated
//! test SRS is insecure: its secret `s` is derived from a public seed, so anyone can forge
//! proofs against it. Its `s·g2` ([`INSECURE_LOCAL_S_G2`]; the same for every `k`) is
//! recognized here ([`is_insecure_local_srs`]), and [`crate::VerifierKey::from_bytes`]
//! refuses keys made with it.
//!
//! Every coordinate is checked to be a canonical base-field element (below the modulus `p`)
//! before any point is decompressed.

use std::io;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fq, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;

use crate::container::{self, ArtifactKind, Reader};
use crate::error::{guard, VerifyError};

/// Format version of `srs-verifier.bin`.
pub const PARAMS_FORMAT_VERSION: u32 = 1;
/// Largest circuit size the verifier accepts (rows = 2^k). halo2 builds the evaluation
/// domain when it reads a key, so key parsing costs time and memory growing with `2^k`.
pub const MAX_K: u32 = 24;

const G1_COMPRESSED: usize = 32;
const G2_COMPRESSED: usize = 64;

/// `s·g2` (compressed) of zkinfer's INSECURE local SRS, whose secret `s` is the first draw
/// of `ChaCha20Rng::from_seed([0x5a; 32])`: public, so anyone can forge proofs for keys made
/// with it. The same for every `k` (`g2` is the generator). Pinned by a test that derives it
/// from the trapdoor and from the local SRS itself.
pub const INSECURE_LOCAL_S_G2: [u8; G2_COMPRESSED] = [
    0xb7, 0x5b, 0x1a, 0x5d, 0xc6, 0x9e, 0xf7, 0x8e, 0xc6, 0xea, 0x79, 0x1d, 0xe6, 0xcf, 0xda, 0xc9,
    0x96, 0x2a, 0x91, 0x79, 0x04, 0x67, 0xb5, 0x29, 0x89, 0x8f, 0x4a, 0x61, 0x9a, 0x52, 0x0d, 0x10,
    0xc9, 0x23, 0x9a, 0x57, 0xf7, 0xb3, 0x3e, 0x5c, 0x30, 0x52, 0x6a, 0x05, 0x5d, 0x6e, 0xef, 0x67,
    0x88, 0x05, 0x31, 0xd1, 0xeb, 0xda, 0xc5, 0xbb, 0xb4, 0xd6, 0x07, 0x44, 0xb7, 0xa3, 0xb7, 0x09,
];

/// Whether `params` is zkinfer's insecure local SRS (recognized by its `s·g2`), of any size.
pub fn is_insecure_local_srs(params: &ParamsKZG<Bn256>) -> bool {
    params.s_g2().to_bytes().as_ref() == INSECURE_LOCAL_S_G2
}

/// Checks that the 32-byte little-endian base-field limbs of a compressed point (the last
/// limb carrying the two flag bits) are below the modulus `p`: the curve library's G2
/// decompression panics on a non-canonical limb, so this runs before it.
fn check_canonical_limbs(what: &str, bytes: &[u8]) -> Result<(), VerifyError> {
    let limbs = bytes.len() / 32;
    for (i, chunk) in bytes.chunks_exact(32).enumerate() {
        let mut limb = [0u8; 32];
        limb.copy_from_slice(chunk);
        if i + 1 == limbs {
            limb[31] &= 0b0011_1111;
        }
        if bool::from(Fq::from_bytes(&limb).is_none()) {
            let name = match (limbs, i) {
                (1, _) => "x",
                (_, 0) => "x.c0",
                _ => "x.c1",
            };
            return Err(VerifyError::BadParams(format!(
                "{what}: coordinate {name} is not below the base-field modulus p \
                 (non-canonical encoding)"
            )));
        }
    }
    Ok(())
}

/// Serializes the verifier's part of `params` (the bytes of `srs-verifier.bin`).
pub fn encode_verifier_params(params: &ParamsKZG<Bn256>) -> Result<Vec<u8>, VerifyError> {
    let g0 = params
        .get_g()
        .first()
        .copied()
        .ok_or_else(|| VerifyError::BadParams("empty parameter set".into()))?;
    let mut payload = Vec::with_capacity(4 + G1_COMPRESSED + 2 * G2_COMPRESSED);
    payload.extend_from_slice(&params.k().to_le_bytes());
    payload.extend_from_slice(g0.to_bytes().as_ref());
    payload.extend_from_slice(params.g2().to_bytes().as_ref());
    payload.extend_from_slice(params.s_g2().to_bytes().as_ref());
    Ok(container::encode(
        ArtifactKind::VerifierParams,
        PARAMS_FORMAT_VERSION,
        &payload,
    ))
}

fn g1(bytes: &[u8]) -> Option<G1Affine> {
    let mut repr = <G1Affine as GroupEncoding>::Repr::default();
    repr.as_mut().copy_from_slice(bytes);
    Option::from(G1Affine::from_bytes(&repr))
}

fn g2(bytes: &[u8]) -> Option<G2Affine> {
    let mut repr = <G2Affine as GroupEncoding>::Repr::default();
    repr.as_mut().copy_from_slice(bytes);
    Option::from(G2Affine::from_bytes(&repr))
}

/// Parses `srs-verifier.bin`, checking every point, into parameters halo2's KZG verifier
/// accepts (`g` holds only `g[0]` and there are no Lagrange bases: the verifier reads
/// neither).
pub(crate) fn decode_verifier_params(bytes: &[u8]) -> Result<ParamsKZG<Bn256>, VerifyError> {
    let payload = container::decode(bytes, ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION)
        .map_err(VerifyError::params)?;
    let bad = |m: &str| VerifyError::BadParams(m.to_string());
    let mut r = Reader::new(payload);
    let k = r.u32().ok_or_else(|| bad("truncated"))?;
    if !(1..=MAX_K).contains(&k) {
        return Err(bad(&format!("k = {k} is outside 1..={MAX_K}")));
    }
    let (b0, b1, b2) = (
        r.take(G1_COMPRESSED),
        r.take(G2_COMPRESSED),
        r.take(G2_COMPRESSED),
    );
    let (Some(b0), Some(b1), Some(b2)) = (b0, b1, b2) else {
        return Err(bad("truncated"));
    };
    if !r.rest().is_empty() {
        return Err(bad(&format!(
            "{} unexpected trailing bytes",
            r.rest().len()
        )));
    }
    check_canonical_limbs("g[0]", b0)?;
    check_canonical_limbs("g2", b1)?;
    check_canonical_limbs("s·g2", b2)?;
    // Decompression of malformed points can trip debug assertions inside the curve library.
    let (g0, g2_, s_g2) = guard("decoding curve points", || (g1(b0), g2(b1), g2(b2)))?;
    let g0 = g0.ok_or_else(|| bad("invalid g[0]"))?;
    let g2_ = g2_.ok_or_else(|| bad("invalid g2"))?;
    let s_g2 = s_g2.ok_or_else(|| bad("invalid s·g2"))?;
    // The curve library ignores the infinity flag of finite points: insist on the canonical
    // encoding so one parameter set has exactly one file.
    let canonical = g0.to_bytes().as_ref() == b0
        && g2_.to_bytes().as_ref() == b1
        && s_g2.to_bytes().as_ref() == b2;
    if !canonical {
        return Err(bad("non-canonical point encoding"));
    }
    guard("building KZG parameters", || {
        seed_params().map(|seed| seed.from_parts(k, vec![g0], Some(Vec::new()), g2_, s_g2))
    })?
    .map_err(|e| VerifyError::BadParams(e.to_string()))
}

/// A one-row parameter set, only used as the receiver of `ParamsKZG::from_parts` (whose
/// fields are private); its values are never used.
fn seed_params() -> io::Result<ParamsKZG<Bn256>> {
    let mut bytes = 0u32.to_le_bytes().to_vec();
    let g = G1Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&g);
    bytes.extend_from_slice(&g);
    let h = G2Affine::generator().to_raw_bytes();
    bytes.extend_from_slice(&h);
    bytes.extend_from_slice(&h);
    ParamsKZG::read_custom(&mut bytes.as_slice(), SerdeFormat::RawBytes)
}
