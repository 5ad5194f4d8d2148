//! Driving a Solidity compiler through its `--standard-json` interface.
//!
//! Any executable that reads a standard-JSON input on stdin and writes the output on stdout
//! works: native `solc`, or solc-js's `solcjs` (`node .../solc/solc.js --standard-json`).
//! It is found by [`find_solc`]: an explicit path, else `$ZKINFER_SOLC`, else `solc` or
//! `solcjs` on `PATH`.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::error::{Result, SolidityError};

/// Environment variable naming the compiler executable.
pub const SOLC_ENV: &str = "ZKINFER_SOLC";

/// One compiled contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompiledContract {
    /// The ABI, as JSON.
    pub abi: Value,
    /// Creation (deployment) bytecode, without constructor arguments.
    pub deploy: Vec<u8>,
    /// Runtime (deployed) bytecode; its length is what EIP-170 limits.
    pub runtime: Vec<u8>,
}

/// A Solidity compiler speaking `--standard-json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solc {
    /// The executable.
    pub path: PathBuf,
}

/// Finds the compiler: `explicit`, else `$ZKINFER_SOLC`, else `solc` or `solcjs` on `PATH`.
/// `None` when there is none.
pub fn find_solc(explicit: Option<&Path>) -> Option<Solc> {
    if let Some(p) = explicit {
        return Some(Solc {
            path: p.to_path_buf(),
        });
    }
    if let Some(p) = std::env::var_os(SOLC_ENV).filter(|p| !p.is_empty()) {
        return Some(Solc {
            path: PathBuf::from(p),
        });
    }
    ["solc", "solcjs"]
        .iter()
        .find_map(|name| find_on_path(name))
        .map(|path| Solc { path })
}

/// The first executable file called `name` in `$PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Solc {
    /// The compiler's version line (`--version`), e.g. `0.8.19+commit.7dd6d404...`.
    pub fn version(&self) -> Result<String> {
        let out = Command::new(&self.path)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                SolidityError::Compiler(format!("cannot run {}: {e}", self.path.display()))
            })?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .rev()
            .find_map(|l| {
                let l = l.trim();
                let v = l.strip_prefix("Version: ").unwrap_or(l);
                v.starts_with(|c: char| c.is_ascii_digit())
                    .then(|| v.to_string())
            })
            .ok_or_else(|| {
                SolidityError::Compiler(format!(
                    "{} --version printed no version: {}",
                    self.path.display(),
                    text.trim()
                ))
            })
    }

    /// Compiles `sources` (file name → source text) with the optimizer off, returning every
    /// contract by name. Errors (not warnings) reported by the compiler fail the call.
    pub fn compile(&self, sources: &[(&str, &str)]) -> Result<BTreeMap<String, CompiledContract>> {
        self.compile_input(&standard_json_input(sources))
    }

    /// Compiles `sources` with the optimizer on (`runs`) for EVM version `evm_version`
    /// (e.g. `"paris"`: no `PUSH0`, so the code runs on every chain), returning every
    /// contract by name. For zkinfer's own contracts (the registry), never for generated
    /// verifiers (their code needs the optimizer off).
    pub fn compile_optimized(
        &self,
        sources: &[(&str, &str)],
        runs: u32,
        evm_version: &str,
    ) -> Result<BTreeMap<String, CompiledContract>> {
        self.compile_input(&standard_json_input_optimized(sources, runs, evm_version))
    }

    /// Runs the compiler on a standard-JSON input.
    fn compile_input(&self, input: &Value) -> Result<BTreeMap<String, CompiledContract>> {
        let input = input.to_string();
        // The input goes through a file, not a pipe: solc-js reads stdin with one
        // `readFileSync`, which fails with EAGAIN on a pipe whose writer is not done yet.
        let mut file = tempfile::tempfile()
            .map_err(|e| SolidityError::Compiler(format!("cannot create a temporary file: {e}")))?;
        file.write_all(input.as_bytes())
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .map_err(|e| {
                SolidityError::Compiler(format!("cannot write the compiler input: {e}"))
            })?;
        // The output too: solc-js exits before node flushes a large write to a pipe.
        let mut output = tempfile::tempfile()
            .map_err(|e| SolidityError::Compiler(format!("cannot create a temporary file: {e}")))?;
        let sink = output
            .try_clone()
            .map_err(|e| SolidityError::Compiler(format!("cannot reopen a temporary file: {e}")))?;
        let out = Command::new(&self.path)
            .arg("--standard-json")
            .stdin(Stdio::from(file))
            .stdout(Stdio::from(sink))
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| {
                SolidityError::Compiler(format!("cannot run {}: {e}", self.path.display()))
            })?;
        let mut stdout = Vec::new();
        output
            .seek(SeekFrom::Start(0))
            .and_then(|_| output.read_to_end(&mut stdout))
            .map_err(|e| {
                SolidityError::Compiler(format!("cannot read the compiler output: {e}"))
            })?;
        if !out.status.success() && stdout.is_empty() {
            return Err(SolidityError::Compiler(format!(
                "{} exited with {}: {}",
                self.path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        parse_standard_json_output(&stdout)
    }
}

/// The standard-JSON input: every source, optimizer off (snark-verifier's code needs it off),
/// ABI and both bytecodes selected.
pub fn standard_json_input(sources: &[(&str, &str)]) -> Value {
    let sources: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(name, text)| (name.to_string(), json!({ "content": text })))
        .collect();
    json!({
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": { "enabled": false },
            "outputSelection": {
                "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] }
            }
        }
    })
}

/// The standard-JSON input of [`Solc::compile_optimized`]: like [`standard_json_input`] with
/// the optimizer on (`runs`) and the EVM version pinned.
pub fn standard_json_input_optimized(
    sources: &[(&str, &str)],
    runs: u32,
    evm_version: &str,
) -> Value {
    let mut input = standard_json_input(sources);
    input["settings"]["optimizer"] = json!({ "enabled": true, "runs": runs });
    input["settings"]["evmVersion"] = json!(evm_version);
    input
}

/// Parses a standard-JSON output into contracts by name.
pub fn parse_standard_json_output(stdout: &[u8]) -> Result<BTreeMap<String, CompiledContract>> {
    // solcjs may print warnings before the JSON document.
    let start = stdout.iter().position(|b| *b == b'{').ok_or_else(|| {
        SolidityError::Compiler(format!(
            "no JSON in the compiler output: {}",
            String::from_utf8_lossy(stdout)
                .chars()
                .take(500)
                .collect::<String>()
        ))
    })?;
    let v: Value = serde_json::from_slice(&stdout[start..])
        .map_err(|e| SolidityError::Compiler(format!("unreadable compiler output: {e}")))?;
    let errors: Vec<String> = v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"] == "error")
        .map(|e| {
            e["formattedMessage"]
                .as_str()
                .or(e["message"].as_str())
                .unwrap_or("unknown error")
                .trim()
                .to_string()
        })
        .collect();
    if !errors.is_empty() {
        return Err(SolidityError::Compiler(errors.join("\n")));
    }
    let mut contracts = BTreeMap::new();
    for file in v["contracts"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for (name, c) in file.as_object().into_iter().flatten() {
            let hex_of = |field: &str| -> Result<Vec<u8>> {
                let s = c["evm"][field]["object"].as_str().ok_or_else(|| {
                    SolidityError::Compiler(format!("{name}: no evm.{field}.object in the output"))
                })?;
                hex::decode(s).map_err(|e| SolidityError::Compiler(format!("{name}: {field}: {e}")))
            };
            contracts.insert(
                name.clone(),
                CompiledContract {
                    abi: c["abi"].clone(),
                    deploy: hex_of("bytecode")?,
                    runtime: hex_of("deployedBytecode")?,
                },
            );
        }
    }
    if contracts.is_empty() {
        return Err(SolidityError::Compiler(
            "the compiler produced no contracts".into(),
        ));
    }
    Ok(contracts)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn parses_output_and_reports_errors() {
        let ok = br#"warning line
{"contracts":{"A.sol":{"A":{"abi":[],"evm":{"bytecode":{"object":"6080"},"deployedBytecode":{"object":"60"}}}}},
 "errors":[{"severity":"warning","formattedMessage":"w"}]}"#;
        let c = parse_standard_json_output(ok).unwrap();
        assert_eq!(c["A"].deploy, vec![0x60, 0x80]);
        assert_eq!(c["A"].runtime, vec![0x60]);
        let bad = br#"{"errors":[{"severity":"error","formattedMessage":"ParserError: x"}]}"#;
        let e = parse_standard_json_output(bad).unwrap_err().to_string();
        assert!(e.contains("ParserError"), "{e}");
        assert!(parse_standard_json_output(b"garbage").is_err());
        let input = standard_json_input(&[("A.sol", "contract A {}")]);
        assert_eq!(input["settings"]["optimizer"]["enabled"], false);
        assert_eq!(input["sources"]["A.sol"]["content"], "contract A {}");
        let opt = standard_json_input_optimized(&[("A.sol", "contract A {}")], 200, "paris");
        assert_eq!(opt["settings"]["optimizer"]["enabled"], true);
        assert_eq!(opt["settings"]["optimizer"]["runs"], 200);
        assert_eq!(opt["settings"]["evmVersion"], "paris");
    }
}
