//! The verifying key file (`vk.bin`) and proof verification.
//!
//! Payload of `vk.bin` (after the [`crate::container`] header, kind
//! [`ArtifactKind::VerifyingKey`], format version 3):
//!
//! ```text
//! num_instances u32 LE | srs_origin u8 | sha256(srs-verifier.bin) (32) | config_len u32 LE |
//! config (JSON of circuits' ModelCircuitParams: halo2-base's BaseCircuitParams fields plus
//! `dot_columns`, `lookup_groups` where non-zero, and `public_rows`) | metadata_len u32 LE |
//! metadata | halo2 VerifyingKey (SerdeFormat::RawBytes)
//! ```
//!
//! `srs_origin` ([`SrsOrigin`]) says where the SRS came from: 0 = an SRS file given by the
//! user (checked by the prover's loader), 1 = zkinfer's INSECURE local generator (its secret
//! is public: anyone can forge proofs for the key). `public_rows` must equal
//! `num_instances`: the statement a proof is checked against is exactly the cells the
//! circuit binds to its instance column.
//!
//! The key therefore pins everything verification depends on: the circuit (fixed columns
//! hold the model's weights), its column configuration, the number of public instances, the
//! verifier parameters and their origin, and the caller's metadata (opaque here; zkinfer
//! stores what the instances mean: tensor names, shapes and the fixed-point scale). Its
//! sha256 ([`vk_digest`]) identifies the model.
//!
//! Everything except the metadata and the origin also constrains the proof itself. Those two
//! are bound only by the digest: two keys that differ only in them accept the same proofs,
//! so a verifier must pin the digest (the model commitment), not just the halo2 key.
//!
//! # Insecure keys
//!
//! [`VerifierKey::from_bytes`] refuses ([`VerifyError::InsecureSrs`]) a key marked as made
//! with the local SRS, and, independently of the marker, any key whose parameters are the
//! local SRS (recognized by its `s·g2`, see [`crate::params::INSECURE_LOCAL_S_G2`]). Tests
//! and demos opt in with [`VerifierKey::from_bytes_with`] and
//! [`KeyOptions::allow_insecure_srs`]; [`VerifierKey::is_insecure_srs`] then says so.
//!
//! Version history: 2 had no `srs_origin` and no `public_rows`; it is no longer read (re-run
//! `setup`).

use circuits::halo2::{ModelCircuit, ModelCircuitParams};
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::halo2curves::CurveAffine;
use halo2_base::halo2_proofs::plonk::{
    verify_proof, Circuit, ConstraintSystem, Error, VerifyingKey,
};
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{
    Blake2bRead, Challenge255, EncodedChallenge, TranscriptRead, TranscriptReadBuffer,
};
use halo2_base::halo2_proofs::SerdeFormat;
use sha2::{Digest, Sha256};

use crate::container::{self, ArtifactKind, Reader};
use crate::error::{guard, VerifyError};
use crate::params::{decode_verifier_params, is_insecure_local_srs, MAX_K};
use crate::transcript::TranscriptKind;

/// Format version of `vk.bin` (3: the SRS origin byte and the circuit's public rows).
pub const VK_FORMAT_VERSION: u32 = 3;
/// Most columns of any one type a key may declare (≥ the memory layout's 96: root crate asserts).
pub const MAX_COLUMNS: usize = 128;
/// Most function-table lookup groups in a configuration zkinfer produces (it uses at most 4).
const MAX_LOOKUP_GROUPS: usize = 16;
/// halo2's own version byte at the start of a serialized verifying key.
const HALO2_VK_VERSION: u8 = 0x02;
const G1_RAW: usize = 64;

/// The model commitment: sha256 of the whole `vk.bin` file.
pub fn vk_digest(vk_file: &[u8]) -> [u8; 32] {
    Sha256::digest(vk_file).into()
}

/// Most bytes of metadata a key may carry.
pub const MAX_METADATA_LEN: usize = 1 << 20;

/// Where the SRS of a key came from, as recorded in `vk.bin` (covered by its digest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SrsOrigin {
    /// An SRS file given by the user (e.g. converted from a ceremony), checked when loaded.
    File,
    /// zkinfer's INSECURE local generator: its secret is public, anyone can forge proofs.
    InsecureLocal,
}

impl SrsOrigin {
    /// The byte stored in the key.
    pub fn code(self) -> u8 {
        match self {
            SrsOrigin::File => 0,
            SrsOrigin::InsecureLocal => 1,
        }
    }

    /// The origin stored as `code`, if any.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(SrsOrigin::File),
            1 => Some(SrsOrigin::InsecureLocal),
            _ => None,
        }
    }
}

/// How [`VerifierKey::from_bytes_with`] treats keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyOptions {
    /// Accept keys made with zkinfer's insecure local SRS (tests and demos only: anyone can
    /// forge proofs for them). Default `false`: such keys are [`VerifyError::InsecureSrs`].
    pub allow_insecure_srs: bool,
}

/// Builds the bytes of `vk.bin` from a halo2 key, the circuit configuration it was made with,
/// the number of public instances, the bytes of the matching `srs-verifier.bin` and where
/// that SRS came from, and opaque `metadata` (at most [`MAX_METADATA_LEN`] bytes) that the
/// digest then covers. It encodes what it is given: [`VerifierKey::from_bytes`] is what
/// checks the result (e.g. that `num_instances` equals `config.public_rows`).
pub fn encode_verifying_key(
    vk: &VerifyingKey<G1Affine>,
    config: &ModelCircuitParams,
    num_instances: usize,
    verifier_params_file: &[u8],
    srs_origin: SrsOrigin,
    metadata: &[u8],
) -> Result<Vec<u8>, VerifyError> {
    if metadata.len() > MAX_METADATA_LEN {
        return Err(VerifyError::BadKey(format!(
            "metadata is {} bytes, over the {MAX_METADATA_LEN}-byte limit",
            metadata.len()
        )));
    }
    let config_json =
        serde_json::to_vec(config).map_err(|e| VerifyError::BadKey(format!("config: {e}")))?;
    let count = u32::try_from(num_instances)
        .map_err(|_| VerifyError::BadKey("too many public instances".into()))?;
    let mut payload = Vec::new();
    payload.extend_from_slice(&count.to_le_bytes());
    payload.push(srs_origin.code());
    payload.extend_from_slice(&Sha256::digest(verifier_params_file));
    payload.extend_from_slice(&(config_json.len() as u32).to_le_bytes());
    payload.extend_from_slice(&config_json);
    payload.extend_from_slice(&(metadata.len() as u32).to_le_bytes());
    payload.extend_from_slice(metadata);
    payload.extend_from_slice(&vk.to_bytes(SerdeFormat::RawBytes));
    Ok(container::encode(
        ArtifactKind::VerifyingKey,
        VK_FORMAT_VERSION,
        &payload,
    ))
}

/// Checks that a circuit configuration is one zkinfer produces, before halo2 sizes anything
/// from it.
fn validate_config(p: &ModelCircuitParams) -> Result<(), VerifyError> {
    let bad = |m: String| Err(VerifyError::BadKey(format!("circuit configuration: {m}")));
    if p.dot_columns > MAX_COLUMNS {
        return bad(format!(
            "{} dot-product columns is over the limit of {MAX_COLUMNS}",
            p.dot_columns
        ));
    }
    if p.lookup_groups > MAX_LOOKUP_GROUPS {
        return bad(format!(
            "{} lookup groups is over the limit of {MAX_LOOKUP_GROUPS}",
            p.lookup_groups
        ));
    }
    let c = &p.base;
    let k = c.k;
    if !(4..=MAX_K as usize).contains(&k) {
        return bad(format!("k = {k} is outside 4..={MAX_K}"));
    }
    if c.num_advice_per_phase.is_empty() || c.num_advice_per_phase.len() > 3 {
        return bad("expected 1 to 3 phases of advice columns".into());
    }
    // Later phases must be empty for lookup columns too: halo2's configure panics on lookup
    // advice in a phase without advice columns.
    let later = |counts: &[usize]| counts.iter().skip(1).any(|n| *n != 0);
    if c.num_lookup_advice_per_phase.len() > 3
        || later(&c.num_advice_per_phase)
        || later(&c.num_lookup_advice_per_phase)
    {
        return bad("only first-phase columns are supported".into());
    }
    // Only the first phase is non-zero, so these are not sums that could overflow.
    let advice = c.num_advice_per_phase[0];
    let lookup = c.num_lookup_advice_per_phase.first().copied().unwrap_or(0);
    if !(1..=MAX_COLUMNS).contains(&advice) || lookup > MAX_COLUMNS || c.num_fixed > MAX_COLUMNS {
        return bad(format!(
            "column counts out of range (advice {advice}, lookup {lookup}, fixed {})",
            c.num_fixed
        ));
    }
    if let Some(b) = c.lookup_bits {
        if b == 0 || b >= k {
            return bad(format!(
                "lookup_bits = {b} must be between 1 and k - 1 = {}",
                k - 1
            ));
        }
    }
    // 0: the model circuit's own instance column (bound by a gate); 1: halo2-base's.
    if c.num_instance_columns > 1 {
        return bad(format!(
            "expected at most 1 halo2-base instance column, found {}",
            c.num_instance_columns
        ));
    }
    Ok(())
}

/// Exact byte length of a RawBytes halo2 key for `config`, from the constraint system.
fn expected_halo2_len(
    config: &ModelCircuitParams,
    compress: bool,
    num_fixed: usize,
) -> Result<usize, VerifyError> {
    let (selectors, perm_cols) = guard("configuring the circuit", || {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelCircuit::configure_with_params(&mut cs, config.clone());
        (cs.num_selectors(), cs.permutation().get_columns().len())
    })?;
    let n = 1usize << config.base.k;
    let selector_bytes = if compress {
        selectors * n.div_ceil(8)
    } else {
        0
    };
    Ok(1 + 4 + 1 + 4 + (num_fixed + perm_cols) * G1_RAW + selector_bytes)
}

/// Reads halo2's key, checking every length up front so no allocation exceeds the input.
fn read_halo2_vk(
    bytes: &[u8],
    config: &ModelCircuitParams,
) -> Result<VerifyingKey<G1Affine>, VerifyError> {
    let bad = |m: String| VerifyError::BadKey(m);
    let mut r = Reader::new(bytes);
    let version = r.take(1).ok_or_else(|| bad("truncated halo2 key".into()))?[0];
    if version != HALO2_VK_VERSION {
        return Err(bad(format!(
            "unknown halo2 key version byte {version:#04x}"
        )));
    }
    let k = r.u32().ok_or_else(|| bad("truncated halo2 key".into()))?;
    if k as usize != config.base.k {
        return Err(bad(format!(
            "halo2 key has k = {k} but the configuration says k = {}",
            config.base.k
        )));
    }
    let compress = match r.take(1).ok_or_else(|| bad("truncated halo2 key".into()))?[0] {
        0 => false,
        1 => true,
        b => return Err(bad(format!("invalid selector-compression flag {b}"))),
    };
    let num_fixed = r.u32().ok_or_else(|| bad("truncated halo2 key".into()))? as usize;
    if num_fixed > 4 * MAX_COLUMNS {
        return Err(bad(format!("{num_fixed} fixed columns is implausible")));
    }
    let expected = expected_halo2_len(config, compress, num_fixed)?;
    if bytes.len() != expected {
        return Err(bad(format!(
            "halo2 key is {} bytes, expected {expected} for this configuration",
            bytes.len()
        )));
    }
    let vk = guard("reading the verifying key", || {
        let mut rest = bytes;
        VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut rest,
            SerdeFormat::RawBytes,
            config.clone(),
        )
        .map(|vk| (vk, rest.len()))
    })?;
    let (vk, left) = vk.map_err(|e| bad(format!("halo2 rejected the key: {e}")))?;
    if left != 0 {
        return Err(bad(format!("{left} unread bytes after the halo2 key")));
    }
    let points = vk
        .fixed_commitments()
        .iter()
        .chain(vk.permutation().commitments());
    if points.clone().any(|p| !bool::from(p.is_on_curve())) {
        return Err(bad("a commitment is not a point on BN254".into()));
    }
    let canonical = guard("re-encoding the verifying key", || {
        vk.to_bytes(SerdeFormat::RawBytes)
    })?;
    if canonical != bytes {
        return Err(bad("non-canonical encoding".into()));
    }
    Ok(vk)
}

/// Rejects alternative encodings of the same proof. Every item of a BN254 proof is 32 bytes:
/// a scalar (canonical below the modulus < 2^254, enforced by halo2) or a compressed G1
/// point, whose top bit is the infinity flag. The curve library ignores that flag on
/// non-identity points, so flipping it would give a second byte string for the same proof;
/// here a set top bit is only accepted in the exact identity encoding.
fn check_canonical_items(proof: &[u8]) -> Result<(), VerifyError> {
    const ITEM: usize = 32;
    if !proof.len().is_multiple_of(ITEM) {
        return Err(VerifyError::BadProof(format!(
            "length {} is not a multiple of {ITEM} bytes",
            proof.len()
        )));
    }
    for (i, item) in proof.chunks_exact(ITEM).enumerate() {
        let flagged = item[ITEM - 1] & 0x80 != 0;
        let identity = item[ITEM - 1] == 0x80 && item[..ITEM - 1].iter().all(|b| *b == 0);
        if flagged && !identity {
            return Err(VerifyError::BadProof(format!(
                "item {i} (bytes {}..{}) is a non-canonical encoding",
                i * ITEM,
                (i + 1) * ITEM
            )));
        }
    }
    Ok(())
}

/// A parsed, validated verifying key with its KZG verifier parameters: parse once, verify
/// many proofs. Verification is deterministic.
#[derive(Debug)]
pub struct VerifierKey {
    vk: VerifyingKey<G1Affine>,
    params: ParamsKZG<Bn256>,
    num_instances: usize,
    config: ModelCircuitParams,
    metadata: Vec<u8>,
    digest: [u8; 32],
    srs_origin: SrsOrigin,
    insecure_srs: bool,
}

/// The SRS origin recorded in the bytes of a `vk.bin`, read without parsing the rest of the
/// key (cheap: no halo2 work). For the full checks use [`VerifierKey::from_bytes`].
pub fn srs_origin(vk_file: &[u8]) -> Result<SrsOrigin, VerifyError> {
    let payload = container::decode(vk_file, ArtifactKind::VerifyingKey, VK_FORMAT_VERSION)
        .map_err(VerifyError::key)?;
    let code = *payload
        .get(4)
        .ok_or_else(|| VerifyError::BadKey("truncated key file".into()))?;
    SrsOrigin::from_code(code)
        .ok_or_else(|| VerifyError::BadKey(format!("unknown SRS origin byte {code}")))
}

impl VerifierKey {
    /// Parses the bytes of `vk.bin` and `srs-verifier.bin`, checking that they belong
    /// together, and refuses keys made with zkinfer's insecure local SRS
    /// ([`VerifyError::InsecureSrs`]; see [`VerifierKey::from_bytes_with`] for tests and
    /// demos). Never panics, whatever the bytes.
    pub fn from_bytes(vk_file: &[u8], verifier_params_file: &[u8]) -> Result<Self, VerifyError> {
        Self::from_bytes_with(vk_file, verifier_params_file, &KeyOptions::default())
    }

    /// [`VerifierKey::from_bytes`] with options: `allow_insecure_srs` accepts keys made with
    /// the insecure local SRS (then [`VerifierKey::is_insecure_srs`] is true).
    pub fn from_bytes_with(
        vk_file: &[u8],
        verifier_params_file: &[u8],
        options: &KeyOptions,
    ) -> Result<Self, VerifyError> {
        let payload = container::decode(vk_file, ArtifactKind::VerifyingKey, VK_FORMAT_VERSION)
            .map_err(VerifyError::key)?;
        let truncated = || VerifyError::BadKey("truncated key file".into());
        let mut r = Reader::new(payload);
        let num_instances = r.u32().ok_or_else(truncated)? as usize;
        let code = r.take(1).ok_or_else(truncated)?[0];
        let srs_origin = SrsOrigin::from_code(code)
            .ok_or_else(|| VerifyError::BadKey(format!("unknown SRS origin byte {code}")))?;
        let params_hash = r.take(32).ok_or_else(truncated)?;
        let config_len = r.u32().ok_or_else(truncated)? as usize;
        let config_json = r.take(config_len).ok_or_else(truncated)?;
        let config: ModelCircuitParams = serde_json::from_slice(config_json)
            .map_err(|e| VerifyError::BadKey(format!("circuit configuration: {e}")))?;
        // One encoding per key: unknown or reordered fields, spacing and defaults left out
        // would otherwise give other key files (other digests) that accept the same proofs.
        if serde_json::to_vec(&config).ok().as_deref() != Some(config_json) {
            return Err(VerifyError::BadKey(
                "circuit configuration: non-canonical encoding".into(),
            ));
        }
        validate_config(&config)?;
        if config.public_rows != num_instances {
            return Err(VerifyError::PublicRows {
                num_instances,
                public_rows: config.public_rows,
            });
        }
        let metadata_len = r.u32().ok_or_else(truncated)? as usize;
        if metadata_len > MAX_METADATA_LEN {
            return Err(VerifyError::BadKey(format!(
                "metadata of {metadata_len} bytes exceeds the {MAX_METADATA_LEN}-byte limit"
            )));
        }
        let metadata = r.take(metadata_len).ok_or_else(truncated)?.to_vec();
        if Sha256::digest(verifier_params_file).as_slice() != params_hash {
            return Err(VerifyError::ParamsMismatch);
        }
        let params = decode_verifier_params(verifier_params_file)?;
        if params.k() as usize != config.base.k {
            return Err(VerifyError::ParamsMismatch);
        }
        // The marker, and independently the well-known s·g2 (a key claiming a user's file
        // that is in fact the local SRS, or written by a build without the marker).
        let how = if srs_origin == SrsOrigin::InsecureLocal {
            Some("vk.bin marks it as zkinfer's local test SRS")
        } else if is_insecure_local_srs(&params) {
            Some("srs-verifier.bin holds the s·g2 of zkinfer's local test SRS")
        } else {
            None
        };
        if let (Some(how), false) = (how, options.allow_insecure_srs) {
            return Err(VerifyError::InsecureSrs { how });
        }
        let vk = read_halo2_vk(r.rest(), &config)?;
        if vk.cs().num_instance_columns() != 1 {
            return Err(VerifyError::BadKey(
                "the key must have exactly one instance column".into(),
            ));
        }
        let usable = (1usize << config.base.k).saturating_sub(vk.cs().blinding_factors() + 1);
        if num_instances > usable {
            return Err(VerifyError::BadKey(format!(
                "{num_instances} public instances exceed the {usable} usable rows"
            )));
        }
        Ok(Self {
            vk,
            params,
            num_instances,
            config,
            metadata,
            digest: vk_digest(vk_file),
            srs_origin,
            insecure_srs: how.is_some(),
        })
    }

    /// Whether the key was made with zkinfer's insecure local SRS (by its marker or by the
    /// known `s·g2`): anyone can forge proofs for it. Only keys parsed with
    /// [`KeyOptions::allow_insecure_srs`] can be insecure.
    pub fn is_insecure_srs(&self) -> bool {
        self.insecure_srs
    }

    /// The SRS origin recorded in the key.
    pub fn srs_origin(&self) -> SrsOrigin {
        self.srs_origin
    }

    /// Number of public instances a proof must come with.
    pub fn num_instances(&self) -> usize {
        self.num_instances
    }

    /// The circuit's size exponent (rows = 2^k).
    pub fn k(&self) -> u32 {
        self.config.base.k as u32
    }

    /// The circuit configuration recorded in the key.
    pub fn config(&self) -> &ModelCircuitParams {
        &self.config
    }

    /// The metadata stored with the key (covered by its digest).
    pub fn metadata(&self) -> &[u8] {
        &self.metadata
    }

    /// sha256 of the `vk.bin` bytes this key was parsed from (see [`vk_digest`]).
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The underlying halo2 verifying key.
    pub fn halo2_vk(&self) -> &VerifyingKey<G1Affine> {
        &self.vk
    }

    /// The KZG verifier parameters (`n`, `g[0]`, `g2`, `s·g2`; no other powers), e.g. for
    /// generating an EVM verifier.
    pub fn params(&self) -> &ParamsKZG<Bn256> {
        &self.params
    }

    /// Checks a SHPLONK proof made with `transcript` for these public instances. `Ok(())`
    /// means accepted; the error says whether the input was malformed or the proof false.
    pub fn verify(
        &self,
        transcript: TranscriptKind,
        proof: &[u8],
        instances: &[Fr],
    ) -> Result<(), VerifyError> {
        if instances.len() != self.num_instances {
            return Err(VerifyError::InstanceCount {
                expected: self.num_instances,
                found: instances.len(),
            });
        }
        verify_halo2_proof(&self.params, &self.vk, transcript, proof, instances)?;
        // An aggregation key: the aggregated proofs' pairings are deferred into the
        // accumulator in the first instances; the proof means nothing until it is decided.
        if self.config.kzg_accumulator {
            let limbs = instances
                .get(..crate::accumulator::ACCUMULATOR_LIMBS)
                .ok_or(VerifyError::InstanceCount {
                    expected: crate::accumulator::ACCUMULATOR_LIMBS,
                    found: instances.len(),
                })?;
            crate::accumulator::decide(&self.params, limbs)?;
        }
        Ok(())
    }
}

/// Checks a SHPLONK proof made with `transcript` against a halo2 verifying key and the
/// verifier's parameters: what [`VerifierKey::verify`] runs once the instance count is
/// checked, and what the prover runs on a fresh proof. Deterministic; never panics.
pub fn verify_halo2_proof(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    transcript: TranscriptKind,
    proof: &[u8],
    instances: &[Fr],
) -> Result<(), VerifyError> {
    if matches!(
        transcript,
        TranscriptKind::Blake2b | TranscriptKind::Poseidon
    ) {
        check_canonical_items(proof)?;
    }
    // Each arm reads the proof through its transcript; the slice left is what was not read.
    let outcome = guard("verifying the proof", || {
        let mut rest = proof;
        let res = match transcript {
            TranscriptKind::Blake2b => shplonk(
                params,
                vk,
                instances,
                &mut Blake2bRead::<_, G1Affine, Challenge255<G1Affine>>::init(&mut rest),
            ),
            TranscriptKind::Keccak => shplonk(
                params,
                vk,
                instances,
                &mut crate::keccak::KeccakReader::init(&mut rest),
            ),
            TranscriptKind::Poseidon => shplonk(
                params,
                vk,
                instances,
                &mut crate::poseidon::PoseidonTranscript::<&mut &[u8]>::init(&mut rest),
            ),
        };
        res.map(|()| rest.len())
    })?;
    match outcome {
        Ok(0) => Ok(()),
        Ok(left) => Err(VerifyError::BadProof(format!(
            "{left} trailing bytes after the proof"
        ))),
        Err(Error::Transcript(e)) => Err(VerifyError::BadProof(format!(
            "{e} (truncated or corrupted proof)"
        ))),
        // Through VerifierKey::verify the count is checked first (and bounded by the rows
        // when the key is read), so only direct callers can get here.
        Err(Error::InvalidInstances | Error::InstanceTooLarge) => Err(VerifyError::BadProof(
            format!("{} instances do not fit the circuit", instances.len()),
        )),
        Err(_) => Err(VerifyError::Rejected),
    }
}

/// halo2's SHPLONK verifier for one proof of one circuit with one instance column, reading
/// the proof through transcript `t` (Blake2b, Keccak or Poseidon).
fn shplonk<E, T>(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Fr],
    t: &mut T,
) -> Result<(), Error>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptRead<G1Affine, E>,
{
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, E, T, _>(
        params,
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        t,
    )
}
