//! The aggregation proving key file: the same container and payload layout as the model's
//! `pk.bin` (kind "proving key", version [`PK_FORMAT_VERSION`]; payload `len u32 LE | break
//! points (JSON) | halo2 ProvingKey`), the halo2 part read with `SerdeFormat::RawBytesUnchecked`
//! (no curve checks: the container's sha256 already rejects corrupted files, and the key is
//! large).

use std::fs;
use std::path::Path;

use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::SerdeFormat;
use snark_verifier_sdk::halo2::aggregation::AggregationCircuit;
use verifier::container::{self, ArtifactKind};

use crate::config::AggregationConfig;
use crate::error::{catch, AggregateError, Result};

/// Format version of the proving key file (that of the model's `pk.bin`).
pub const PK_FORMAT_VERSION: u32 = 1;

fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    container::write_atomic(path, bytes).map_err(|source| AggregateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the aggregation proving key with the break points of `config`, atomically.
pub fn write_proving_key(
    path: &Path,
    pk: &ProvingKey<G1Affine>,
    config: &AggregationConfig,
) -> Result<()> {
    let artifact = |message: String| AggregateError::Artifact {
        path: path.to_path_buf(),
        message,
    };
    let mut payload =
        container::pk_payload_head(&config.break_points).map_err(|e| artifact(e.to_string()))?;
    catch("serializing the proving key", || {
        pk.write(&mut payload, SerdeFormat::RawBytesUnchecked)
    })
    .map_err(artifact)?
    .map_err(|e| artifact(e.to_string()))?;
    let bytes = container::encode(ArtifactKind::ProvingKey, PK_FORMAT_VERSION, &payload);
    drop(payload);
    atomic_write(path, &bytes)
}

/// Reads an aggregation proving key written by [`write_proving_key`] for `config` (its
/// break points must be the file's).
pub fn read_proving_key(path: &Path, config: &AggregationConfig) -> Result<ProvingKey<G1Affine>> {
    let bytes = fs::read(path).map_err(|source| AggregateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let artifact = |message: String| AggregateError::Artifact {
        path: path.to_path_buf(),
        message,
    };
    let payload = container::decode(&bytes, ArtifactKind::ProvingKey, PK_FORMAT_VERSION)
        .map_err(|e| artifact(e.to_string()))?;
    let (break_points, halo2) =
        container::split_pk_payload(payload).map_err(|e| artifact(e.to_string()))?;
    if break_points != config.break_points {
        return Err(artifact(
            "the key's break points are not the configuration's: the key and the \
             configuration come from different setups"
                .into(),
        ));
    }
    let (pk, left) = catch("reading the proving key", || {
        let mut rest = halo2;
        ProvingKey::<G1Affine>::read::<_, AggregationCircuit>(
            &mut rest,
            SerdeFormat::RawBytesUnchecked,
            config.sdk_params(),
        )
        .map(|pk| (pk, rest.len()))
    })
    .map_err(artifact)?
    .map_err(|e| artifact(format!("malformed proving key: {e}")))?;
    if left != 0 {
        return Err(artifact(format!(
            "{left} unread bytes after the proving key"
        )));
    }
    Ok(pk)
}
