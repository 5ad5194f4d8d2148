//! The aggregation proving key file: the same container and payload layout as the model's
//! `pk.bin` (kind "proving key", version [`PK_FORMAT_VERSION`]; payload `len u32 LE | break
//! points (JSON) | halo2 ProvingKey`), the halo2 part read with `SerdeFormat::RawBytesUnchecked`
//! (no curve checks: the container's sha256 already rejects corrupted files, and the key is
//! large).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use halo2_base::halo2_proofs::halo2curves::bn256::G1Affine;
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::SerdeFormat;
use snark_verifier_sdk::halo2::aggregation::AggregationCircuit;
use verifier::container::{self, ArtifactKind};

use crate::config::AggregationConfig;
use crate::error::{catch, AggregateError, Result};

/// Format version of the proving key file (that of the model's `pk.bin`).
pub const PK_FORMAT_VERSION: u32 = 1;

/// Writes `bytes` to `path` atomically (a temporary file in the same directory, synced, then
/// renamed over `path`).
fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "artifact".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temporary file is garbage either way.
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|source| AggregateError::Io {
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
    let bp = serde_json::to_vec(&config.break_points).map_err(|e| artifact(e.to_string()))?;
    let bp_len = u32::try_from(bp.len()).map_err(|_| artifact("too many break points".into()))?;
    let mut payload = Vec::new();
    payload.extend_from_slice(&bp_len.to_le_bytes());
    payload.extend_from_slice(&bp);
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
    let (len, rest) = payload
        .split_at_checked(4)
        .ok_or_else(|| artifact("truncated".into()))?;
    let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let (bp, halo2) = rest
        .split_at_checked(len)
        .ok_or_else(|| artifact("truncated".into()))?;
    let break_points: Vec<Vec<usize>> =
        serde_json::from_slice(bp).map_err(|e| artifact(format!("break points: {e}")))?;
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
