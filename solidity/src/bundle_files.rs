//! Writing a [`Bundle`] to a directory and reading it back: the manifest
//! (`evm-verifier.json`), one `.sol` per contract and, when compiled, its `.bin` and
//! `.bin-runtime` (see the parent module's docs for the layout).

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Bundle, BundleContract, ConstructorArg, BUNDLE_FORMAT, BUNDLE_VERSION, MANIFEST};
use crate::error::{Result, SolidityError};
use crate::param_commitment::CommittedColumns;
use crate::solc::CompiledContract;
use crate::wrapper::WRAPPER_CONTRACT;

#[derive(Serialize, Deserialize)]
struct ManifestContract {
    name: String,
    source: String,
    constructor: Vec<ConstructorArg>,
    bytecode: Option<String>,
    runtime_bytecode: Option<String>,
    runtime_size: Option<usize>,
}

/// The manifest's description of the committed columns.
#[derive(Serialize, Deserialize)]
struct ManifestCommitted {
    first_column: usize,
    count: usize,
    proof_offset: usize,
    proof_length: usize,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: String,
    format_version: u32,
    vk_digest: String,
    transcript: String,
    num_instances: usize,
    proof_len: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    param_commitment: Option<ManifestCommitted>,
    solc: Option<String>,
    optimizer: bool,
    entry: String,
    contracts: Vec<ManifestContract>,
}

impl Bundle {
    /// Writes the bundle into `dir` (created if needed); see the module docs.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| SolidityError::io(dir, e))?;
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| SolidityError::io(path, e))
        };
        let mut contracts = Vec::new();
        for c in &self.contracts {
            let source = format!("{}.sol", c.name);
            write(&source, &c.source)?;
            let (mut bytecode, mut runtime_bytecode, mut runtime_size) = (None, None, None);
            if let Some(k) = &c.compiled {
                let (bin, rt) = (format!("{}.bin", c.name), format!("{}.bin-runtime", c.name));
                write(&bin, &hex::encode(&k.deploy))?;
                write(&rt, &hex::encode(&k.runtime))?;
                bytecode = Some(bin);
                runtime_bytecode = Some(rt);
                runtime_size = Some(k.runtime.len());
            }
            contracts.push(ManifestContract {
                name: c.name.clone(),
                source,
                constructor: c.constructor.clone(),
                bytecode,
                runtime_bytecode,
                runtime_size,
            });
        }
        let abi = self.abi_text();
        write(&format!("{WRAPPER_CONTRACT}.abi.json"), &abi)?;
        let manifest = Manifest {
            format: BUNDLE_FORMAT.into(),
            format_version: BUNDLE_VERSION,
            vk_digest: hex::encode(self.vk_digest),
            transcript: "keccak".into(),
            num_instances: self.num_instances,
            proof_len: self.proof_len,
            param_commitment: self.committed.map(|c| ManifestCommitted {
                first_column: c.first,
                count: c.count,
                proof_offset: c.proof_range().start,
                proof_length: c.proof_range().len(),
            }),
            solc: self.solc_version.clone(),
            optimizer: false,
            entry: WRAPPER_CONTRACT.into(),
            contracts,
        };
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| SolidityError::bundle(MANIFEST, e.to_string()))?;
        write(MANIFEST, &text)
    }

    /// Reads a bundle written by [`Bundle::write`].
    pub fn read(dir: &Path) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| SolidityError::io(path, e))
        };
        let m: Manifest = serde_json::from_str(&read(MANIFEST)?).map_err(|e| {
            SolidityError::bundle(dir.join(MANIFEST).display().to_string(), e.to_string())
        })?;
        let bad = |m: String| SolidityError::bundle(dir.join(MANIFEST).display().to_string(), m);
        if m.format != BUNDLE_FORMAT || m.format_version != BUNDLE_VERSION {
            return Err(bad(format!(
                "expected {BUNDLE_FORMAT} version {BUNDLE_VERSION}, found {} version {}: \
                 re-run create-evm-verifier",
                m.format, m.format_version
            )));
        }
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&m.vk_digest, &mut digest)
            .map_err(|e| bad(format!("vk_digest: {e}")))?;
        let mut contracts = Vec::new();
        for c in m.contracts {
            if !is_plain_name(&c.name) {
                return Err(bad(format!("invalid contract name {:?}", c.name)));
            }
            let compiled = match (&c.bytecode, &c.runtime_bytecode) {
                (Some(b), Some(r)) => {
                    let hex_file = |f: &str| -> Result<Vec<u8>> {
                        if !is_plain_name(
                            f.trim_end_matches(".bin").trim_end_matches(".bin-runtime"),
                        ) {
                            return Err(bad(format!("invalid file name {f:?}")));
                        }
                        let text = read(f)?;
                        let t = text.trim();
                        hex::decode(t.strip_prefix("0x").unwrap_or(t)).map_err(|e| {
                            SolidityError::bundle(dir.join(f).display().to_string(), e.to_string())
                        })
                    };
                    Some(CompiledContract {
                        abi: serde_json::Value::Null,
                        deploy: hex_file(b)?,
                        runtime: hex_file(r)?,
                    })
                }
                _ => None,
            };
            let source = read(&format!("{}.sol", c.name))?;
            contracts.push(BundleContract {
                name: c.name,
                source,
                constructor: c.constructor,
                compiled,
            });
        }
        if contracts.last().map(|c| c.name.as_str()) != Some(WRAPPER_CONTRACT) {
            return Err(bad(format!("the last contract must be {WRAPPER_CONTRACT}")));
        }
        let committed = match &m.param_commitment {
            Some(c) => {
                let cols = CommittedColumns {
                    first: c.first_column,
                    count: c.count,
                };
                let r = cols.proof_range();
                if c.count == 0
                    || r.start != c.proof_offset
                    || r.len() != c.proof_length
                    || r.end > m.proof_len
                {
                    return Err(bad("param_commitment: inconsistent range".into()));
                }
                Some(cols)
            }
            None => None,
        };
        Ok(Self {
            vk_digest: digest,
            num_instances: m.num_instances,
            proof_len: m.proof_len,
            committed,
            contracts,
            solc_version: m.solc,
        })
    }
}

fn is_plain_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
