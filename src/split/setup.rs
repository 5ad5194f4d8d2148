//! `setup` of a split directory: every segment's keys, then the aggregation circuit's.

use std::path::Path;
use std::time::{Duration, Instant};

use aggregate::{InstanceRef, SegmentKey, Wiring};
use serde::{Deserialize, Serialize};
use verifier::{KeyOptions, SrsOrigin, VerifierKey};

use super::{create_dir, files, SplitManifest};
use crate::commitment::{CommitmentFile, ModelCommitment};
use crate::compile::Compiled;
use crate::error::{Error, Result};
use crate::pipeline::{read, require, setup_with, SetupReport, SrsSource};
use crate::settings::{parse_versioned, read_text, write_json};
use crate::statement::{Statement, STATEMENT_FORMAT, STATEMENT_VERSION};

/// The `format` of `aggregation/config.json`.
pub const AGGREGATION_FORMAT: &str = "zkinfer-aggregation";
/// Its `format_version`.
pub const AGGREGATION_VERSION: u32 = 1;

/// `aggregation/config.json`: the aggregation circuit's configuration and what it was made
/// for.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AggregationFile {
    /// Always [`AGGREGATION_FORMAT`].
    pub format: String,
    /// [`AGGREGATION_VERSION`].
    pub format_version: u32,
    /// Hex sha256 of each segment's `vk.bin` at setup.
    pub segment_vk_sha256: Vec<String>,
    /// The circuit configuration, break points and wiring.
    pub config: aggregate::AggregationConfig,
}

impl AggregationFile {
    pub(crate) fn read(dir: &Path) -> Result<Self> {
        let path = require(&dir.join(files::AGGREGATION), files::AGGREGATION_CONFIG)?;
        parse_versioned(
            &read_text(&path)?,
            &path.display().to_string(),
            AGGREGATION_FORMAT,
            AGGREGATION_VERSION,
        )
    }
}

/// What [`setup_split`] did.
#[derive(Clone, Debug)]
pub struct SplitSetupReport {
    /// Each segment's setup.
    pub segments: Vec<SetupReport>,
    /// The aggregation circuit's size exponent.
    pub aggregation_k: u32,
    /// Its flex-gate advice columns.
    pub aggregation_advice: usize,
    /// Its range-lookup advice columns.
    pub aggregation_lookup: usize,
    /// Time to make the aggregation keys (with the SRS).
    pub aggregation_time: Duration,
    /// The model commitment: sha256 of the top-level `vk.bin`.
    pub commitment: ModelCommitment,
    /// Whether the keys use the insecure local SRS.
    pub insecure_srs: bool,
}

/// The segment keys, as the aggregation sees them.
pub(crate) struct SegmentKeys {
    pub keys: Vec<VerifierKey>,
    pub vk_files: Vec<Vec<u8>>,
}

impl SegmentKeys {
    pub(crate) fn read(dir: &Path, m: &SplitManifest) -> Result<Self> {
        let mut keys = Vec::new();
        let mut vk_files = Vec::new();
        for i in 0..m.segments.len() {
            let seg = m.segment_dir(dir, i)?;
            let vk = read(&require(&seg, crate::files::VK)?)?;
            let params = read(&require(&seg, crate::files::SRS_VERIFIER)?)?;
            let opts = KeyOptions {
                allow_insecure_srs: true,
            };
            keys.push(VerifierKey::from_bytes_with(&vk, &params, &opts)?);
            vk_files.push(vk);
        }
        Ok(Self { keys, vk_files })
    }

    pub(crate) fn segment_keys(&self) -> Vec<SegmentKey<'_>> {
        self.keys
            .iter()
            .map(|k| SegmentKey {
                vk: k.halo2_vk(),
                num_instances: k.num_instances(),
            })
            .collect()
    }
}

/// The aggregation's wiring: each segment's output hash equals the next one's input hash;
/// public are the first segment's public inputs or input hash and the last one's public
/// outputs or output hash, in the order of a proof of the whole model.
pub(crate) fn wiring(dir: &Path, m: &SplitManifest) -> Result<Wiring> {
    let n = m.segments.len();
    let mut layouts = Vec::with_capacity(n);
    for i in 0..n {
        let c = Compiled::load(&m.segment_dir(dir, i)?)?;
        let l = c.settings.instance_layout().ok_or_else(|| {
            Error::artifact(&m.segments[i].dir, "the shapes' element count overflows")
        })?;
        layouts.push(l);
    }
    let bad = |i: usize, what: &str| {
        Error::artifact(
            m.segments[i].dir.clone(),
            format!("segment {i} has no {what} (re-run `zkinfer split`)"),
        )
    };
    let mut links = Vec::new();
    for i in 0..n - 1 {
        let out = layouts[i]
            .output_hash
            .ok_or_else(|| bad(i, "output hash"))?;
        let inp = layouts[i + 1]
            .input_hash
            .ok_or_else(|| bad(i + 1, "input hash"))?;
        links.push((
            InstanceRef {
                segment: i,
                index: out,
            },
            InstanceRef {
                segment: i + 1,
                index: inp,
            },
        ));
    }
    let at = |segment: usize, index: usize| InstanceRef { segment, index };
    let (first, last) = (&layouts[0], &layouts[n - 1]);
    let mut public: Vec<InstanceRef> = first.inputs.clone().map(|j| at(0, j)).collect();
    public.extend(last.outputs.clone().map(|j| at(n - 1, j)));
    if let Some(j) = first.input_hash {
        public.push(at(0, j));
    }
    if let Some(j) = last.output_hash {
        public.push(at(n - 1, j));
    }
    Ok(Wiring { links, public })
}

/// The statement of the aggregated proof (stored in the top-level `vk.bin`).
pub(crate) fn statement(m: &SplitManifest) -> Statement {
    Statement {
        format: STATEMENT_FORMAT.into(),
        format_version: STATEMENT_VERSION,
        input_scale: m.quant.input_scale,
        inputs: m.inputs.clone(),
        outputs: m.outputs.clone(),
        visibility: m.visibility,
        bits: Some(m.quant.bits),
        accumulator: verifier::accumulator::ACCUMULATOR_LIMBS,
    }
}

/// The SRS of size `k` from `srs` (every segment and the aggregation use the same one, so
/// their KZG accumulators can be decided together).
fn params_at(srs: &SrsSource, k: u32) -> Result<(prover::Srs, bool)> {
    Ok(match srs {
        SrsSource::File(path) => {
            let p = prover::load_srs(path, k)?;
            let insecure = prover::srs::is_local_srs(&p);
            (p, insecure)
        }
        SrsSource::Local { cache_dir } => (prover::local_srs(k, cache_dir)?.0, true),
    })
}

/// Generates the keys of every segment of the split model in `dir` (as [`setup_with`] on
/// each segment directory), then the aggregation circuit's (from placeholder proofs, so
/// before any segment is proved): `aggregation/{pk.bin,config.json,srs-prover.bin}` and the
/// top-level `srs-verifier.bin`, `commitment.json` and, last, `vk.bin`, which is what
/// `verify DIR` checks aggregated proofs with. `progress` gets one line per step.
pub fn setup_split(
    dir: &Path,
    srs: &SrsSource,
    progress: &dyn Fn(&str),
) -> Result<SplitSetupReport> {
    let m = SplitManifest::read(dir)?;
    let vk_path = dir.join(crate::files::VK);
    let commitment_path = dir.join(crate::files::COMMITMENT);
    for stale in [&vk_path, &commitment_path] {
        if let Err(e) = std::fs::remove_file(stale) {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::Io {
                    path: stale.clone(),
                    source: e,
                });
            }
        }
    }
    let n = m.segments.len();
    let mut reports = Vec::with_capacity(n);
    for i in 0..n {
        progress(&format!("segment {i}/{n}: keys (k = {})", m.segments[i].k));
        reports.push(setup_with(
            &m.segment_dir(dir, i)?,
            srs,
            &prover::no_progress,
        )?);
    }
    let t0 = Instant::now();
    let keys = SegmentKeys::read(dir, &m)?;
    let segments = keys.segment_keys();
    let wiring = wiring(dir, &m)?;
    progress("aggregation: sizing the circuit");
    let plan = aggregate::plan(&segments, &wiring)?;
    progress(&format!(
        "aggregation: SRS for k = {} and keys from placeholder proofs",
        plan.k
    ));
    let (params, insecure) = params_at(srs, plan.k)?;
    let (pk, config) = aggregate::keygen(&params, &segments, &wiring)?;
    let agg_dir = dir.join(files::AGGREGATION);
    create_dir(&agg_dir)?;
    aggregate::write_proving_key(&agg_dir.join(crate::files::PK), &pk, &config)?;
    prover::save_srs(&params, &agg_dir.join(crate::files::SRS_PROVER))?;
    let file = AggregationFile {
        format: AGGREGATION_FORMAT.into(),
        format_version: AGGREGATION_VERSION,
        segment_vk_sha256: keys
            .vk_files
            .iter()
            .map(|f| prover::fsutil::sha256_hex(f))
            .collect(),
        config: config.clone(),
    };
    write_json(&agg_dir.join(files::AGGREGATION_CONFIG), &file)?;
    let origin = if insecure {
        SrsOrigin::InsecureLocal
    } else {
        SrsOrigin::File
    };
    let metadata = statement(&m).to_bytes()?;
    let vf = prover::verifier_files(
        pk.get_vk(),
        &aggregate::circuit_params(&config),
        &params,
        origin,
        &metadata,
    )?;
    let commitment = ModelCommitment::fixed(&vf.vk_file);
    prover::fsutil::atomic_write(&dir.join(crate::files::SRS_VERIFIER), &vf.params_file)?;
    CommitmentFile::new(commitment.clone(), hex::encode(vf.digest)).write(&commitment_path)?;
    prover::fsutil::atomic_write(&vk_path, &vf.vk_file)?;
    Ok(SplitSetupReport {
        segments: reports,
        aggregation_k: config.k,
        aggregation_advice: config.num_advice,
        aggregation_lookup: config.num_lookup_advice,
        aggregation_time: t0.elapsed(),
        commitment,
        insecure_srs: insecure || reports_insecure(&vf.vk_file),
    })
}

fn reports_insecure(vk_file: &[u8]) -> bool {
    matches!(verifier::srs_origin(vk_file), Ok(SrsOrigin::InsecureLocal))
}
