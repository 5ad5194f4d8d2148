//! Key generation and the key files.
//!
//! `pk.bin` is a zkinfer container (see [`verifier::container`]; kind "proving key", version
//! [`PK_FORMAT_VERSION`]) whose payload is `len u32 LE | break points (JSON) | halo2
//! ProvingKey (SerdeFormat::RawBytes)`: the witness-only prover needs the advice break points
//! that key generation found, and they belong to exactly this key. The
//! verifying key and verifier parameters use the formats of the `verifier` crate, so both
//! sides share one definition.

use std::path::Path;

use circuits::halo2::{build, CircuitShape};
use circuits::halo2::{ModelCircuit, ModelCircuitParams};
use circuits::QuantParams;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::{keygen_pk, keygen_vk, Circuit, ProvingKey, VerifyingKey};
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::SerdeFormat;
use onnx_import::ir::Graph;
use verifier::container::{self, ArtifactKind};
use verifier::SrsOrigin;

use crate::error::{guard, ProverError, Result};
use crate::fsutil;
use crate::srs::Srs;
use crate::Stage;

/// Format version of `pk.bin`.
pub const PK_FORMAT_VERSION: u32 = 1;

/// Number of public instances of a model's circuit with visibility `vis`: the public
/// inputs' and outputs' elements, then one per hashed part (see
/// [`circuits::visibility::Visibilities::layout`]).
pub fn num_instances(graph: &Graph, vis: &circuits::visibility::Visibilities) -> usize {
    let count = |ids: &[usize]| -> usize {
        ids.iter()
            .map(|&id| graph.shape(id).iter().product::<usize>())
            .sum()
    };
    vis.layout(count(&graph.inputs), count(&graph.outputs)).len
}

/// The output of key generation.
pub struct Keys {
    /// The proving key.
    pub pk: ProvingKey<G1Affine>,
    /// The verifying key.
    pub vk: VerifyingKey<G1Affine>,
    /// Where each advice column's region breaks, found during key generation; the prover
    /// needs them (as `CircuitShape::break_points`).
    pub break_points: Vec<Vec<usize>>,
    /// The circuit's configuration, with its public rows (what `vk.bin` records).
    pub config: ModelCircuitParams,
}

/// Checks that the circuit binds exactly the model's declared public instances.
fn check_public_rows(public_rows: usize, declared: usize) -> Result<()> {
    if public_rows == declared {
        Ok(())
    } else {
        Err(ProverError::PublicRows {
            public_rows,
            declared,
        })
    }
}

/// Generates the proving and verifying keys of the model's circuit.
///
/// `srs` must be for exactly `shape.k` (see [`crate::srs::load_srs`]). The keys depend only
/// on the model, the quantization parameters and the shape, never on inputs, so the same
/// model always gives the same keys.
pub fn setup(
    graph: &Graph,
    params: &QuantParams,
    shape: &CircuitShape,
    srs: &Srs,
    progress: &dyn Fn(Stage),
) -> Result<Keys> {
    if srs.k() != shape.k {
        return Err(ProverError::halo2(format!(
            "the SRS has k = {} but the circuit has k = {}",
            srs.k(),
            shape.k
        )));
    }
    let built = build(CircuitBuilderStage::Keygen, graph, params, shape, None)?;
    // The statement a verifier checks (the key's instance count) must be exactly the cells
    // the circuit binds to its instance column.
    let config = built.circuit.params();
    check_public_rows(config.public_rows, num_instances(graph, &shape.visibility))?;
    progress(Stage::KeygenVk);
    let vk = guard("verifying-key generation", || {
        keygen_vk(srs, &built.circuit)
    })?
    .map_err(|e| ProverError::halo2(format!("verifying-key generation failed: {e}")))?;
    progress(Stage::KeygenPk);
    let pk = guard("proving-key generation", || {
        keygen_pk(srs, vk.clone(), &built.circuit)
    })?
    .map_err(|e| ProverError::halo2(format!("proving-key generation failed: {e}")))?;
    // halo2-base records the break points while synthesizing during key generation.
    let break_points = built.circuit.builder.break_points();
    if break_points.is_empty() {
        return Err(ProverError::halo2(
            "key generation recorded no break points",
        ));
    }
    Ok(Keys {
        pk,
        vk,
        break_points,
        config,
    })
}

/// The two files a verifier needs.
#[derive(Clone, Debug)]
pub struct VerifierFiles {
    /// Bytes of `vk.bin`.
    pub vk_file: Vec<u8>,
    /// Bytes of `srs-verifier.bin`.
    pub params_file: Vec<u8>,
    /// The model commitment: sha256 of `vk_file`.
    pub digest: [u8; 32],
}

/// Serializes the verifying key (with the circuit configuration `config` from [`Keys`], its
/// public rows as the instance count, the hash of the verifier parameters, where the SRS
/// came from and the caller's `metadata`, all covered by the digest) and the verifier's part
/// of `srs`.
///
/// An `srs` that is zkinfer's insecure local SRS (recognized by its `s·g2`) is recorded as
/// [`SrsOrigin::InsecureLocal`] whatever `srs_origin` says.
pub fn verifier_files(
    vk: &VerifyingKey<G1Affine>,
    config: &ModelCircuitParams,
    srs: &Srs,
    srs_origin: SrsOrigin,
    metadata: &[u8],
) -> Result<VerifierFiles> {
    let halo2 = |e: verifier::VerifyError| ProverError::halo2(e.to_string());
    let params_file = verifier::encode_verifier_params(srs).map_err(halo2)?;
    let srs_origin = if verifier::is_insecure_local_srs(srs) {
        SrsOrigin::InsecureLocal
    } else {
        srs_origin
    };
    let vk_file = verifier::encode_verifying_key(
        vk,
        config,
        config.public_rows,
        &params_file,
        srs_origin,
        metadata,
    )
    .map_err(halo2)?;
    let digest = vk_digest(&vk_file);
    Ok(VerifierFiles {
        vk_file,
        params_file,
        digest,
    })
}

/// Whether keys made with `srs` and recorded with `vk_file` are insecure: the file marks
/// the local generator, or `srs` is the local SRS (its `s·g2`). A malformed `vk_file`
/// counts as insecure.
pub fn is_insecure(vk_file: &[u8], srs: &Srs) -> bool {
    verifier::is_insecure_local_srs(srs)
        || !matches!(verifier::srs_origin(vk_file), Ok(SrsOrigin::File))
}

/// The model commitment printed to users: sha256 of the `vk.bin` bytes.
pub fn vk_digest(vk_file: &[u8]) -> [u8; 32] {
    verifier::vk_digest(vk_file)
}

/// Writes `pk.bin` atomically: the proving key and the break points found with it.
pub fn write_proving_key(
    path: &Path,
    pk: &ProvingKey<G1Affine>,
    break_points: &[Vec<usize>],
) -> Result<()> {
    let artifact = |message: String| ProverError::Artifact {
        path: path.to_path_buf(),
        message,
    };
    let head = container::pk_payload_head(break_points).map_err(|e| artifact(e.to_string()))?;
    let raw = guard("serializing the proving key", || {
        pk.to_bytes(SerdeFormat::RawBytes)
    })?;
    let mut payload = Vec::with_capacity(head.len() + raw.len());
    payload.extend_from_slice(&head);
    payload.extend_from_slice(&raw);
    drop(raw);
    fsutil::atomic_write(
        path,
        &container::encode(ArtifactKind::ProvingKey, PK_FORMAT_VERSION, &payload),
    )
}

/// Reads `pk.bin` for a circuit with configuration `config`: the proving key and its break
/// points. The container checksum rejects truncated or corrupted files before halo2 parses
/// them.
pub fn read_proving_key(
    path: &Path,
    config: &ModelCircuitParams,
) -> Result<(ProvingKey<G1Affine>, Vec<Vec<usize>>)> {
    let bytes = fsutil::read(path)?;
    let payload = container::decode(&bytes, ArtifactKind::ProvingKey, PK_FORMAT_VERSION)
        .map_err(|e| ProverError::container(path, e))?;
    let artifact = |message: String| ProverError::Artifact {
        path: path.to_path_buf(),
        message,
    };
    let (break_points, halo2) =
        container::split_pk_payload(payload).map_err(|e| artifact(e.to_string()))?;
    let (pk, left) = guard("reading the proving key", || {
        let mut rest = halo2;
        ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut rest,
            SerdeFormat::RawBytes,
            config.clone(),
        )
        .map(|pk| (pk, rest.len()))
    })
    .map_err(|e| artifact(e.to_string()))?
    .map_err(|e| artifact(format!("malformed proving key: {e}")))?;
    if left != 0 {
        return Err(artifact(format!(
            "{left} unexpected bytes after the proving key"
        )));
    }
    Ok((pk, break_points))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_rows_must_match_the_declared_instances() {
        assert!(check_public_rows(74, 74).is_ok());
        assert!(matches!(
            check_public_rows(72, 74),
            Err(ProverError::PublicRows {
                public_rows: 72,
                declared: 74
            })
        ));
    }
}
