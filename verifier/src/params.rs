//! The KZG parameters a verifier needs, in a compact file (`srs-verifier.bin`).
//!
//! halo2's verifier reads only a few parts of the full parameter set: `n = 2^k`, the first
//! G1 power `g[0]`, the G2 points `g2` and `s·g2`, and the Lagrange-basis commitments
//! `g_lagrange[i]` for the rows holding public instances (all other instance rows are zero,
//! so their bases never contribute). The full set for `k = 17` is 16 MiB; this file is
//! `32·(instances+1) + 128` bytes plus headers. Payload (after the [`crate::container`]
//! header, kind [`ArtifactKind::VerifierParams`]):
//!
//! ```text
//! k u32 LE | m u32 LE | g[0] (32, compressed) | g2 (64) | s_g2 (64) | g_lagrange[0..m] (32 each)
//! ```
//!
//! The file is not self-authenticating: `vk.bin` records its sha256, so a verifier detects
//! a substituted file. Whoever produced the SRS must be trusted (a locally generated test
//! SRS is insecure).

use std::io;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_base::halo2_proofs::halo2curves::serde::SerdeObject;
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_base::halo2_proofs::SerdeFormat;

use crate::container::{self, ArtifactKind, Reader};
use crate::error::{guard, VerifyError};

/// Format version of `srs-verifier.bin`.
pub const PARAMS_FORMAT_VERSION: u32 = 1;
/// Largest circuit size the verifier accepts (rows = 2^k). Verification memory and time grow
/// as `2^k` (halo2 commits to the instance column over the whole domain).
pub const MAX_K: u32 = 24;

const G1_RAW: usize = 64;
const G1_COMPRESSED: usize = 32;
const G2_COMPRESSED: usize = 64;

/// Collects the bytes `[start, end)` of everything written to it, discarding the rest.
struct Window {
    pos: usize,
    start: usize,
    end: usize,
    buf: Vec<u8>,
}

impl io::Write for Window {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let (from, to) = (self.pos, self.pos + data.len());
        let (lo, hi) = (from.max(self.start), to.min(self.end));
        if lo < hi {
            self.buf.extend_from_slice(&data[lo - from..hi - from]);
        }
        self.pos = to;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serializes the verifier's part of `params` for a circuit with `num_instances` public
/// instances (in one column): the bytes of `srs-verifier.bin`.
pub fn encode_verifier_params(
    params: &ParamsKZG<Bn256>,
    num_instances: usize,
) -> Result<Vec<u8>, VerifyError> {
    let n = params.n() as usize;
    if num_instances > n {
        return Err(VerifyError::BadParams(format!(
            "{num_instances} instances do not fit in 2^{} rows",
            params.k()
        )));
    }
    // `write_custom` lays out k (4 bytes), g (n raw points), g_lagrange (n raw points), g2, s_g2.
    let start = 4 + n * G1_RAW;
    let mut window = Window { pos: 0, start, end: start + num_instances * G1_RAW, buf: Vec::new() };
    params
        .write_custom(&mut window, SerdeFormat::RawBytes)
        .map_err(|e| VerifyError::BadParams(e.to_string()))?;
    if window.pos != 4 + 2 * n * G1_RAW + 2 * 2 * G1_RAW {
        return Err(VerifyError::BadParams("unexpected KZG parameter layout".into()));
    }
    let g0 = params
        .get_g()
        .first()
        .copied()
        .ok_or_else(|| VerifyError::BadParams("empty parameter set".into()))?;
    let mut payload = Vec::with_capacity(8 + 160 + num_instances * G1_COMPRESSED);
    payload.extend_from_slice(&params.k().to_le_bytes());
    payload.extend_from_slice(&(num_instances as u32).to_le_bytes());
    payload.extend_from_slice(g0.to_bytes().as_ref());
    payload.extend_from_slice(params.g2().to_bytes().as_ref());
    payload.extend_from_slice(params.s_g2().to_bytes().as_ref());
    for raw in window.buf.chunks_exact(G1_RAW) {
        let p = G1Affine::from_raw_bytes(raw)
            .ok_or_else(|| VerifyError::BadParams("a Lagrange basis point is not on the curve".into()))?;
        payload.extend_from_slice(p.to_bytes().as_ref());
    }
    Ok(container::encode(ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION, &payload))
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

/// Decoded verifier parameters.
#[derive(Debug)]
pub(crate) struct VerifierParams {
    /// Parameters usable by halo2's KZG verifier (only `g[0]` and the first `m` Lagrange
    /// bases are real; the other bases are the identity and are only ever multiplied by 0).
    pub(crate) params: ParamsKZG<Bn256>,
    /// Number of Lagrange bases stored (= public instances).
    pub(crate) num_bases: usize,
}

impl VerifierParams {
    /// The `k` the parameters are for.
    pub(crate) fn params_k(&self) -> usize {
        self.params.k() as usize
    }
}

/// Parses `srs-verifier.bin`, checking every point.
pub(crate) fn decode_verifier_params(bytes: &[u8]) -> Result<VerifierParams, VerifyError> {
    let payload = container::decode(bytes, ArtifactKind::VerifierParams, PARAMS_FORMAT_VERSION)
        .map_err(VerifyError::params)?;
    let bad = |m: &str| VerifyError::BadParams(m.to_string());
    let mut r = Reader::new(payload);
    let k = r.u32().ok_or_else(|| bad("truncated"))?;
    if !(1..=MAX_K).contains(&k) {
        return Err(bad(&format!("k = {k} is outside 1..={MAX_K}")));
    }
    let m = r.u32().ok_or_else(|| bad("truncated"))? as usize;
    if m > (1usize << k) {
        return Err(bad(&format!("{m} Lagrange bases exceed 2^{k} rows")));
    }
    let g0 = r.take(G1_COMPRESSED).and_then(g1).ok_or_else(|| bad("invalid g[0]"))?;
    let g2_ = r.take(G2_COMPRESSED).and_then(g2).ok_or_else(|| bad("invalid g2"))?;
    let s_g2 = r.take(G2_COMPRESSED).and_then(g2).ok_or_else(|| bad("invalid s·g2"))?;
    if r.rest().len() != m * G1_COMPRESSED {
        return Err(bad(&format!(
            "expected {} bytes of Lagrange bases, found {}",
            m * G1_COMPRESSED,
            r.rest().len()
        )));
    }
    let mut lagrange = Vec::with_capacity(1usize << k);
    for (i, chunk) in r.rest().chunks_exact(G1_COMPRESSED).enumerate() {
        lagrange.push(g1(chunk).ok_or_else(|| bad(&format!("invalid Lagrange basis point {i}")))?);
    }
    lagrange.resize(1usize << k, G1Affine::identity());
    let params = guard("building KZG parameters", || {
        seed_params().map(|seed| seed.from_parts(k, vec![g0], Some(lagrange), g2_, s_g2))
    })?
    .map_err(|e| VerifyError::BadParams(e.to_string()))?;
    Ok(VerifierParams { params, num_bases: m })
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
