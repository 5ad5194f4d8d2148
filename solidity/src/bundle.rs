//! The verifier bundle: every contract a model's on-chain verification needs, in deploy
//! order, as written to a directory by `zkinfer create-evm-verifier`.
//!
//! ```text
//! OUTDIR/evm-verifier.json            manifest (below)
//! OUTDIR/<Name>.sol                   Solidity sources
//! OUTDIR/ZkinferVerifier.abi.json     the wrapper's ABI (the only ABI integrators need)
//! OUTDIR/<Name>.bin, <Name>.bin-runtime   deploy and runtime bytecode (hex), when compiled
//! ```
//!
//! The manifest lists the contracts in deploy order with their constructor arguments:
//! `{"address": "<earlier contract>"}`, `{"codehash": "<earlier contract>"}` (`keccak256`
//! of that contract's runtime code, from its `.bin-runtime`; only in bundles written without
//! a compiler, see [`crate::split`]), `{"uint256": "<decimal>"}` or `{"bytes32": "0x<hex>"}`.
//! The last contract, `ZkinferVerifier`, is the one to call: the whole verifier when the
//! generated code fits in one contract ([`crate::inline`]), else a [wrapper](crate::wrapper)
//! in front of the (split) generated verifier, whose only constructor argument is the
//! verifier's address.
//!
//! With a compiler, a split verifier's parts are compiled first and their code hashes
//! written into the entry's source as constants, so the entry's code pins every part.
//!
//! A verifier generated with committed columns ([`crate::param_commitment`]) gets
//! `paramCommitment(bytes)` in `ZkinferVerifier` (the single contract, or
//! [`WRAPPER_COMMITTED_SOURCE`](crate::WRAPPER_COMMITTED_SOURCE) as the wrapper), listed in
//! the ABI, and the manifest gets
//! `"param_commitment": {"first_column", "count", "proof_offset", "proof_length"}` (absent
//! otherwise: such manifests are unchanged).
//!
//! `ZkinferVerifier` (either shape) carries the model's NatSpec ([`crate::natspec`], from
//! [`GeneratedVerifier::natspec`]; [`Bundle::set_natspec`] rewrites it, e.g. with a measured
//! gas figure).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calldata::keccak256;
use crate::codegen::{GeneratedVerifier, SOLC_VERSION};
use crate::error::{Result, SolidityError};
use crate::inline::{inline_source, INLINE_ABI};
use crate::natspec::{wrapper_source, Facts, Shape};
use crate::param_commitment::{with_param_commitment, CommittedColumns};
use crate::solc::{CompiledContract, Solc};
use crate::split::{initial_parts, split, PartHashes, EIP170_LIMIT};
use crate::wrapper::{integrator_abi, WRAPPER_ABI, WRAPPER_CONTRACT};

/// The `format` of the manifest.
pub const BUNDLE_FORMAT: &str = "zkinfer-evm-verifier";
/// The manifest's `format_version` (2: the wrapper reads the model commitment from the
/// verifier; split entries pin their parts' code hashes).
pub const BUNDLE_VERSION: u32 = 2;
/// File name of the manifest.
pub const MANIFEST: &str = "evm-verifier.json";

/// A 20-byte EVM address.
pub type Address = [u8; 20];

/// A constructor argument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConstructorArg {
    /// The address of an earlier contract of the bundle, by name.
    Address(String),
    /// An unsigned integer (decimal string in JSON).
    Uint256(String),
    /// 32 bytes (`0x`-prefixed hex in JSON).
    Bytes32(String),
    /// `keccak256` of the runtime code of an earlier contract of the bundle, by name
    /// (resolved from its compiled runtime bytecode when deploying).
    Codehash(String),
}

/// One contract of the bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleContract {
    /// Contract name; its source is `<name>.sol`.
    pub name: String,
    /// Solidity source.
    pub source: String,
    /// Constructor arguments.
    pub constructor: Vec<ConstructorArg>,
    /// Bytecode, when compiled.
    pub compiled: Option<CompiledContract>,
}

/// Every contract of a model's EVM verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// sha256 of the model's `vk.bin`.
    pub vk_digest: [u8; 32],
    /// Public instances per proof.
    pub num_instances: usize,
    /// Proof length in bytes.
    pub proof_len: usize,
    /// The committed columns, when `ZkinferVerifier` answers `paramCommitment(bytes)`.
    pub committed: Option<CommittedColumns>,
    /// Contracts in deploy order; the last is the wrapper.
    pub contracts: Vec<BundleContract>,
    /// The compiler's version, when compiled.
    pub solc_version: Option<String>,
}

/// Most split attempts before giving up.
const MAX_ATTEMPTS: usize = 4;

impl Bundle {
    /// Builds the bundle for a generated verifier: split if its estimated code is over the
    /// limit, plus the wrapper. With a compiler, compiles everything (one compiler run for a
    /// single contract, two for a split: the parts, then the entry that pins their code
    /// hashes, and the wrapper) and re-splits finer while any contract is over
    /// [`EIP170_LIMIT`].
    pub fn new(
        verifier: &GeneratedVerifier,
        vk_digest: [u8; 32],
        solc: Option<&Solc>,
    ) -> Result<Self> {
        let mut n = initial_parts(verifier.source.len());
        // One contract when the code fits: no wrapper call, no copy (see crate::inline).
        if n == 1 {
            if let Some(source) = inline_source(verifier, vk_digest) {
                let mut bundle = Self {
                    vk_digest,
                    num_instances: verifier.num_instances,
                    proof_len: verifier.proof_len,
                    committed: verifier.committed,
                    contracts: vec![BundleContract {
                        name: WRAPPER_CONTRACT.into(),
                        source,
                        constructor: Vec::new(),
                        compiled: None,
                    }],
                    solc_version: None,
                };
                let Some(solc) = solc else { return Ok(bundle) };
                bundle.compile(solc)?;
                if bundle.runtime_sizes().values().all(|s| *s <= EIP170_LIMIT) {
                    return Ok(bundle);
                }
            }
        }
        for _ in 0..MAX_ATTEMPTS {
            let bundle = Self::assemble(verifier, vk_digest, n, solc)?;
            if solc.is_none() {
                return Ok(bundle);
            }
            let largest = bundle
                .contracts
                .iter()
                .filter_map(|c| c.compiled.as_ref().map(|k| k.runtime.len()))
                .max()
                .unwrap_or(0);
            if largest <= EIP170_LIMIT {
                return Ok(bundle);
            }
            // Scale the part count by how far over the limit the largest part is.
            let scaled = (n * largest).div_ceil(EIP170_LIMIT * 9 / 10);
            n = scaled.max(n + 1);
        }
        Err(SolidityError::TooLarge {
            name: crate::codegen::VERIFIER_CONTRACT.into(),
            size: estimate_total(verifier),
            limit: EIP170_LIMIT,
        })
    }

    /// The bundle with the verifier split into `n` contracts, behind the wrapper. With a
    /// compiler, compiled (even if a contract is over the limit: [`Bundle::new`] checks), the
    /// parts first, so that the entry pins their code hashes as constants; without one, the
    /// entry takes the hashes as constructor arguments.
    pub fn assemble(
        verifier: &GeneratedVerifier,
        vk_digest: [u8; 32],
        n: usize,
        solc: Option<&Solc>,
    ) -> Result<Self> {
        let split = split(verifier, n)?;
        let contract = |p: crate::split::VerifierPart| BundleContract {
            name: p.name,
            source: p.source,
            constructor: p.constructor,
            compiled: None,
        };
        let mut contracts: Vec<BundleContract> =
            split.parts.iter().cloned().map(contract).collect();
        let mut version = None;
        let hashes: Option<Vec<[u8; 32]>> = match solc {
            Some(solc) if !contracts.is_empty() => {
                version = Some(checked_version(solc)?);
                let mut out = compile_contracts(solc, &contracts)?;
                let mut hashes = Vec::new();
                for c in &mut contracts {
                    let compiled = take_compiled(&mut out, &c.name)?;
                    hashes.push(keccak256(&compiled.runtime));
                    c.compiled = Some(compiled);
                }
                Some(hashes)
            }
            _ => None,
        };
        let entry = contract(split.entry(
            vk_digest,
            match &hashes {
                Some(h) => PartHashes::Constants(h),
                None if contracts.is_empty() => PartHashes::Constants(&[]),
                None => PartHashes::ConstructorArgs,
            },
        )?);
        let facts = Facts {
            vk_digest,
            num_instances: verifier.num_instances,
            proof_len: verifier.proof_len,
            committed: verifier.committed,
            shape: Shape::Wrapper {
                parts: split.parts.len(),
            },
        };
        let wrapper = BundleContract {
            name: WRAPPER_CONTRACT.into(),
            source: wrapper_source(verifier.committed.is_some(), &verifier.natspec, &facts)?,
            constructor: vec![ConstructorArg::Address(entry.name.clone())],
            compiled: None,
        };
        contracts.push(entry);
        contracts.push(wrapper);
        let mut bundle = Self {
            vk_digest,
            num_instances: verifier.num_instances,
            proof_len: verifier.proof_len,
            committed: verifier.committed,
            contracts,
            solc_version: None,
        };
        if let Some(solc) = solc {
            let version = match version {
                Some(v) => v,
                None => checked_version(solc)?,
            };
            let pending: Vec<BundleContract> = bundle
                .contracts
                .iter()
                .filter(|c| c.compiled.is_none())
                .cloned()
                .collect();
            let mut out = compile_contracts(solc, &pending)?;
            for c in bundle.contracts.iter_mut().filter(|c| c.compiled.is_none()) {
                c.compiled = Some(take_compiled(&mut out, &c.name)?);
            }
            bundle.solc_version = Some(version);
        }
        Ok(bundle)
    }

    /// Compiles every contract with one compiler run.
    pub fn compile(&mut self, solc: &Solc) -> Result<()> {
        let version = checked_version(solc)?;
        let mut out = compile_contracts(solc, &self.contracts)?;
        for c in &mut self.contracts {
            c.compiled = Some(take_compiled(&mut out, &c.name)?);
        }
        self.solc_version = Some(version);
        Ok(())
    }

    /// The wrapper (the contract integrators call).
    pub fn entry(&self) -> Option<&BundleContract> {
        self.contracts.last()
    }

    /// Whether the verifier is the one `ZkinferVerifier` contract ([`crate::inline`]) rather
    /// than a wrapper in front of generated contracts.
    pub fn is_single_contract(&self) -> bool {
        self.contracts.len() == 1
    }

    /// Whether every contract has bytecode.
    pub fn is_compiled(&self) -> bool {
        self.contracts.iter().all(|c| c.compiled.is_some())
    }

    /// Runtime code size of every compiled contract, by name.
    pub fn runtime_sizes(&self) -> BTreeMap<String, usize> {
        self.contracts
            .iter()
            .filter_map(|c| {
                c.compiled
                    .as_ref()
                    .map(|k| (c.name.clone(), k.runtime.len()))
            })
            .collect()
    }

    /// Deploys every contract in order through `deploy` (which takes creation code with
    /// constructor arguments appended and returns the new address). Returns each contract's
    /// address, the wrapper last.
    pub fn deploy(
        &self,
        mut deploy: impl FnMut(&str, Vec<u8>) -> Result<Address>,
    ) -> Result<Vec<(String, Address)>> {
        let mut addresses: Vec<(String, Address)> = Vec::new();
        for c in &self.contracts {
            let k = c.compiled.as_ref().ok_or_else(|| {
                SolidityError::bundle(
                    c.name.clone(),
                    "no bytecode: compile first (create-evm-verifier with a Solidity compiler)",
                )
            })?;
            let mut code = k.deploy.clone();
            for arg in &c.constructor {
                code.extend_from_slice(&self.encode_arg(arg, &addresses)?);
            }
            let address = deploy(&c.name, code)?;
            addresses.push((c.name.clone(), address));
        }
        Ok(addresses)
    }
}

fn estimate_total(v: &GeneratedVerifier) -> usize {
    crate::split::estimate_code_size(v.source.len())
}

/// The compiler's version, if it is the one the generated code needs.
pub(crate) fn checked_version(solc: &Solc) -> Result<String> {
    let version = solc.version()?;
    if !version.starts_with(SOLC_VERSION) {
        return Err(SolidityError::Compiler(format!(
            "{} is solc {version}, but the generated verifier needs exactly {SOLC_VERSION}",
            solc.path.display()
        )));
    }
    Ok(version)
}

/// Compiles `contracts` (each `<name>.sol`) with one compiler run.
pub(crate) fn compile_contracts(
    solc: &Solc,
    contracts: &[BundleContract],
) -> Result<BTreeMap<String, CompiledContract>> {
    let files: Vec<(String, &str)> = contracts
        .iter()
        .map(|c| (format!("{}.sol", c.name), c.source.as_str()))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    solc.compile(&refs)
}

pub(crate) fn take_compiled(
    out: &mut BTreeMap<String, CompiledContract>,
    name: &str,
) -> Result<CompiledContract> {
    out.remove(name).ok_or_else(|| {
        SolidityError::Compiler(format!("the compiler output has no contract {name}"))
    })
}

impl Bundle {
    /// The ABI file's text: solc's ABI of the entry, with the `fallback` described as the
    /// functions it implements (`verifyProof`, and `paramCommitment` with committed
    /// columns); the documented ABI when not compiled.
    fn abi_text(&self) -> String {
        let committed = self.committed.is_some();
        let documented = if self.is_single_contract() {
            INLINE_ABI
        } else {
            WRAPPER_ABI
        };
        let compiled = self
            .entry()
            .and_then(|c| c.compiled.as_ref())
            .and_then(|k| integrator_abi(&k.abi));
        let abi = match compiled {
            Some(abi) => Some(abi),
            // Without committed columns, the documented text as it is.
            None if !committed => return documented.into(),
            None => serde_json::from_str(documented).ok(),
        };
        abi.and_then(|abi| with_param_commitment(abi, committed))
            .and_then(|abi| serde_json::to_string_pretty(&abi).ok())
            .unwrap_or_else(|| documented.into())
    }

    /// One ABI word for a constructor argument; `deployed` holds the addresses so far.
    fn encode_arg(&self, arg: &ConstructorArg, deployed: &[(String, Address)]) -> Result<[u8; 32]> {
        let mut w = [0u8; 32];
        match arg {
            ConstructorArg::Address(name) => {
                let (_, a) = deployed.iter().find(|(n, _)| n == name).ok_or_else(|| {
                    SolidityError::bundle(
                        MANIFEST,
                        format!("constructor refers to {name}, not deployed before"),
                    )
                })?;
                w[12..].copy_from_slice(a);
            }
            ConstructorArg::Codehash(name) => {
                let runtime = deployed
                    .iter()
                    .any(|(n, _)| n == name)
                    .then(|| self.contracts.iter().find(|c| &c.name == name))
                    .flatten()
                    .and_then(|c| c.compiled.as_ref())
                    .ok_or_else(|| {
                        SolidityError::bundle(
                            MANIFEST,
                            format!(
                                "constructor wants the code hash of {name}, not deployed before"
                            ),
                        )
                    })?;
                w = keccak256(&runtime.runtime);
            }
            ConstructorArg::Uint256(s) => {
                let v: u128 = s
                    .parse()
                    .map_err(|_| SolidityError::bundle(MANIFEST, format!("bad uint256 {s:?}")))?;
                w[16..].copy_from_slice(&v.to_be_bytes());
            }
            ConstructorArg::Bytes32(s) => {
                hex::decode_to_slice(s.strip_prefix("0x").unwrap_or(s), &mut w).map_err(|e| {
                    SolidityError::bundle(MANIFEST, format!("bad bytes32 {s:?}: {e}"))
                })?;
            }
        }
        Ok(w)
    }
}

#[path = "bundle_files.rs"]
mod files;

#[cfg(test)]
#[path = "bundle_tests.rs"]
mod tests;
