//! The on-chain model registry and verified-inference log (`solidity/contracts/`).
//!
//! `ModelRegistry` binds a weight commitment (commitment.json: `fixed` = sha256(vk.bin),
//! `hashed` = the Poseidon parameter-hash instance, `committed` = the verifier's
//! `paramCommitment(proof)`) to a deployed `ZkinferVerifier` and an [`OnchainLayout`] of its
//! instances; its constructor deploys the `InferenceLog`, which records proofs the verifier
//! accepts for a registered, non-deprecated model, keyed by
//! `inputHash = keccak256(input instances)` and `outputHash = keccak256(output instances)`
//! ([`hashes_of`]). Registration is permissionless and first-come: a model id says who
//! claims which weights and verifier, nothing more.
//!
//! The contracts are compiled once (solc 0.8.19, optimizer on, 200 runs, EVM `paris`) into
//! the committed `contracts/build/*.json`, embedded here ([`registry_artifact`],
//! [`registry_creation_code`]); `cargo run -p zkinfer-solidity --example build_contracts`
//! regenerates them ([`compile_registry_contracts`]). Calldata builders and return
//! decoders are below and in [`crate::registry_abi`]; [`decode_revert`] names every custom
//! error with what to do about it.

use serde_json::Value;

use crate::bundle::Address;
use crate::calldata::keccak256;
use crate::error::{Result, SolidityError};
use crate::registry_abi::Reader;
pub use crate::registry_abi::{
    decode_address, decode_bool, decode_entry, decode_hashes, decode_id_list, decode_model,
    decode_u64, deprecate_calldata, entries_by_input_calldata, entries_by_model_calldata,
    entry_calldata, entry_count_calldata, hashes_of_calldata, inference_log_calldata,
    is_verified_calldata, model_calldata, model_count_calldata, model_id_of_calldata,
    register_calldata, submit_calldata, InferenceVerified, ModelDeprecated, ModelRegistered, Word,
    REGISTER_SIGNATURE, SUBMIT_SIGNATURE,
};
use crate::solc::{CompiledContract, Solc};

/// `ModelRegistry.sol`, as compiled (source name `ModelRegistry.sol`).
pub const MODEL_REGISTRY_SOURCE: &str = include_str!("../contracts/ModelRegistry.sol");
/// `InferenceLog.sol`, as compiled (source name `InferenceLog.sol`).
pub const INFERENCE_LOG_SOURCE: &str = include_str!("../contracts/InferenceLog.sol");
/// The committed build output of `ModelRegistry` (see [`artifact_json`] for the format).
pub const MODEL_REGISTRY_JSON: &str = include_str!("../contracts/build/ModelRegistry.json");
/// The committed build output of `InferenceLog`.
pub const INFERENCE_LOG_JSON: &str = include_str!("../contracts/build/InferenceLog.json");
/// Name of the registry contract.
pub const REGISTRY_CONTRACT: &str = "ModelRegistry";
/// Name of the log contract.
pub const INFERENCE_LOG_CONTRACT: &str = "InferenceLog";
/// The compiler the build output comes from (solc-js's `--version` adds `.Emscripten.clang`).
pub const REGISTRY_SOLC_VERSION: &str = "0.8.19+commit.7dd6d404";
/// Optimizer runs of the build.
pub const REGISTRY_OPTIMIZER_RUNS: u32 = 200;
/// EVM version of the build (no `PUSH0`: runs on every chain).
pub const REGISTRY_EVM_VERSION: &str = "paris";

/// One contract's build output, as committed in `contracts/build/<Name>.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Contract name.
    pub contract_name: String,
    /// Compiler version.
    pub solc: String,
    /// The ABI, as JSON.
    pub abi: Value,
    /// Creation code (no constructor arguments).
    pub bytecode: Vec<u8>,
    /// Runtime code.
    pub deployed_bytecode: Vec<u8>,
}

/// Parses a build JSON (`{"contractName","solc","abi","bytecode","deployedBytecode"}`).
pub fn parse_artifact(json: &str) -> Result<Artifact> {
    let bad = |m: String| SolidityError::bundle("registry build JSON", m);
    let v: Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let text = |k: &str| -> Result<String> {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| bad(format!("no string {k}")))
    };
    let code = |k: &str| -> Result<Vec<u8>> {
        let t = text(k)?;
        hex::decode(t.strip_prefix("0x").unwrap_or(&t)).map_err(|e| bad(format!("{k}: {e}")))
    };
    if !v["abi"].is_array() {
        return Err(bad("no abi array".into()));
    }
    Ok(Artifact {
        contract_name: text("contractName")?,
        solc: text("solc")?,
        abi: v["abi"].clone(),
        bytecode: code("bytecode")?,
        deployed_bytecode: code("deployedBytecode")?,
    })
}

/// The embedded `ModelRegistry` build output.
pub fn registry_artifact() -> Result<Artifact> {
    parse_artifact(MODEL_REGISTRY_JSON)
}

/// The embedded `InferenceLog` build output (deployed by the registry, not by hand).
pub fn inference_log_artifact() -> Result<Artifact> {
    parse_artifact(INFERENCE_LOG_JSON)
}

/// The registry's creation code: deploy it with no constructor arguments; it deploys its
/// `InferenceLog` (ask `inferenceLog()`).
pub fn registry_creation_code() -> Result<Vec<u8>> {
    registry_artifact().map(|a| a.bytecode)
}

/// The committed build-JSON text of a compiled contract: keys in a fixed order, one ABI
/// entry per line with sorted keys, `0x` hex code, a final newline. Same input, same bytes.
pub fn artifact_json(name: &str, solc: &str, c: &CompiledContract) -> String {
    fn canonical(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), canonical(&m[k])))
                        .collect(),
                )
            }
            Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    let abi: Vec<String> = c
        .abi
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("    {}", canonical(e)))
        .collect();
    format!(
        "{{\n  \"contractName\": {},\n  \"solc\": {},\n  \"abi\": [\n{}\n  ],\n  \"bytecode\": \"0x{}\",\n  \"deployedBytecode\": \"0x{}\"\n}}\n",
        Value::from(name),
        Value::from(solc),
        abi.join(",\n"),
        hex::encode(&c.deploy),
        hex::encode(&c.runtime)
    )
}

/// Compiles the two contracts with the build settings; returns `(name, build JSON)` of
/// `ModelRegistry` then `InferenceLog`. The compiler must be solc 0.8.19
/// ([`REGISTRY_SOLC_VERSION`]): another version gives other bytecode.
pub fn compile_registry_contracts(solc: &Solc) -> Result<Vec<(String, String)>> {
    let version = solc.version()?;
    if !version.starts_with(REGISTRY_SOLC_VERSION) {
        return Err(SolidityError::Compiler(format!(
            "the registry build needs solc {REGISTRY_SOLC_VERSION}, {} is {version}",
            solc.path.display()
        )));
    }
    let sources = [
        ("ModelRegistry.sol", MODEL_REGISTRY_SOURCE),
        ("InferenceLog.sol", INFERENCE_LOG_SOURCE),
    ];
    let out = solc.compile_optimized(&sources, REGISTRY_OPTIMIZER_RUNS, REGISTRY_EVM_VERSION)?;
    [REGISTRY_CONTRACT, INFERENCE_LOG_CONTRACT]
        .iter()
        .map(|name| {
            let c = out.get(*name).ok_or_else(|| {
                SolidityError::Compiler(format!("no contract {name} in the output"))
            })?;
            Ok((
                name.to_string(),
                artifact_json(name, REGISTRY_SOLC_VERSION, c),
            ))
        })
        .collect()
}

/// `CommitmentKind`: how a model's weights are bound to its proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum OnchainKind {
    /// Weights in the verifying key; commitment = sha256(vk.bin) = `modelCommitment()`.
    Fixed = 0,
    /// Commitment = the parameter-hash instance at `paramIndex`.
    Hashed = 1,
    /// Commitment = `paramCommitment(proof)` of the verifier.
    Committed = 2,
}

impl OnchainKind {
    /// The kind with this enum value.
    pub fn from_u8(v: u8) -> Option<Self> {
        [Self::Fixed, Self::Hashed, Self::Committed]
            .get(usize::from(v))
            .copied()
    }

    /// The name commitment.json uses (`fixed`, `hashed`, `committed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Hashed => "hashed",
            Self::Committed => "committed",
        }
    }

    /// The kind named `name` in commitment.json; `None` for `private` or anything else.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Fixed, Self::Hashed, Self::Committed]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for OnchainKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `InstanceLayout`: where a model's values sit among its verifier's instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OnchainLayout {
    /// The verifier's `numInstances()`.
    pub num_instances: u32,
    /// First input instance (public values, or the one input hash).
    pub input_start: u32,
    /// Number of input instances (0: private input).
    pub input_count: u32,
    /// First output instance.
    pub output_start: u32,
    /// Number of output instances (0: private output).
    pub output_count: u32,
    /// `Hashed` kind: the parameter-hash instance; 0 otherwise.
    pub param_index: u32,
}

impl OnchainLayout {
    /// The registry's layout check (`BadLayout`), for `kind`: both ranges end within
    /// `num_instances` and do not overlap; `Hashed`: `param_index < num_instances`, outside
    /// both ranges; other kinds: `param_index == 0`.
    pub fn validate(&self, kind: OnchainKind) -> std::result::Result<(), RegistryRevert> {
        let n = u64::from(self.num_instances);
        let (is, ic) = (u64::from(self.input_start), u64::from(self.input_count));
        let (os, oc) = (u64::from(self.output_start), u64::from(self.output_count));
        let (ie, oe, p) = (is + ic, os + oc, u64::from(self.param_index));
        let overlap = ic != 0 && oc != 0 && ie > os && oe > is;
        let bad_param = match kind {
            OnchainKind::Hashed => p >= n || (is..ie).contains(&p) || (os..oe).contains(&p),
            _ => p != 0,
        };
        if ie > n || oe > n || overlap || bad_param {
            return Err(RegistryRevert::BadLayout);
        }
        Ok(())
    }
}

/// A registered model, as `model(uint256)` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredModel {
    /// The weight commitment.
    pub commitment: Word,
    /// How it is bound to proofs.
    pub kind: OnchainKind,
    /// The model's `ZkinferVerifier`.
    pub verifier: Address,
    /// Who registered it.
    pub owner: Address,
    /// Whether its owner deprecated it.
    pub deprecated: bool,
    /// Block of the registration.
    pub registered_block: u64,
    /// The instance layout.
    pub layout: OnchainLayout,
    /// The metadata URI (zkinfer writes `data:application/json,{...}`).
    pub metadata_uri: String,
}

/// One verified inference, as `entry(uint256)` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The model id.
    pub model_id: u64,
    /// keccak256 of the input instances.
    pub input_hash: Word,
    /// keccak256 of the output instances.
    pub output_hash: Word,
    /// The output instances (big-endian field elements).
    pub outputs: Vec<Word>,
    /// Who submitted it.
    pub submitter: Address,
    /// Block of the submission.
    pub block_number: u64,
}

/// keccak256 of an event signature: its first topic.
pub fn event_topic(signature: &str) -> Word {
    keccak256(signature.as_bytes())
}

/// `(inputHash, outputHash)` as the log computes them: keccak256 of the concatenated
/// big-endian words of each range of `instances` (keccak256 of nothing for a count-0 range).
/// Fails when `instances` are not `num_instances` words or a range runs past them.
pub fn hashes_of(layout: &OnchainLayout, instances: &[Word]) -> Result<(Word, Word)> {
    if instances.len() != layout.num_instances as usize {
        return Err(SolidityError::input(
            "instances",
            format!(
                "{} instances, the layout has {}",
                instances.len(),
                layout.num_instances
            ),
        ));
    }
    let range = |start: u32, count: u32| -> Result<Word> {
        let (s, c) = (start as usize, count as usize);
        let words = instances.get(s..s + c).ok_or_else(|| {
            SolidityError::input("layout", format!("range {s}..{} past the instances", s + c))
        })?;
        Ok(keccak256(&words.concat()))
    };
    Ok((
        range(layout.input_start, layout.input_count)?,
        range(layout.output_start, layout.output_count)?,
    ))
}

/// proof.json's instances (32-byte little-endian hex, `0x` optional) as big-endian words.
pub fn words_from_le_hex<S: AsRef<str>>(instances: &[S]) -> Result<Vec<Word>> {
    instances
        .iter()
        .map(|s| {
            let s = s.as_ref();
            let b = hex::decode(s.strip_prefix("0x").unwrap_or(s))
                .map_err(|e| SolidityError::input("instance", format!("{s}: {e}")))?;
            let mut w: Word = b
                .try_into()
                .map_err(|_| SolidityError::input("instance", format!("{s}: not 32 bytes")))?;
            w.reverse();
            Ok(w)
        })
        .collect()
}

fn hx(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

/// Every custom error of `ModelRegistry` and `InferenceLog`, decoded from revert data by
/// [`decode_revert`]; the message says what went wrong and what to do. Integer fields
/// above `u64::MAX` (only a broken verifier's `numInstances()` can be) read `u64::MAX`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryRevert {
    /// `AlreadyRegistered(bytes32,uint256)`.
    #[error("commitment {} is already registered as model {model_id}: use that model id (a commitment is registered once)", hx(.commitment))]
    AlreadyRegistered {
        /// The commitment.
        commitment: Word,
        /// Its model id.
        model_id: u64,
    },
    /// `ZeroCommitment()`.
    #[error("the commitment is zero: register the value of the model's commitment.json")]
    ZeroCommitment,
    /// `NoVerifierCode(address)`.
    #[error("no zkinfer verifier at {}: it has no code or does not answer numInstances(); deploy the model's verifier (zkinfer deploy-evm) and register its ZkinferVerifier address", hx(.verifier))]
    NoVerifierCode {
        /// The address given as verifier.
        verifier: Address,
    },
    /// `CommitmentMismatch(bytes32,bytes32)`.
    #[error("the verifier reports model commitment {} but {} was to be registered: a fixed-parameter model's commitment is its verifier's sha256(vk.bin); register that verifier's commitment, or the verifier of this model", hx(.verifier_reports), hx(.registered))]
    CommitmentMismatch {
        /// The commitment being registered.
        registered: Word,
        /// The verifier's `modelCommitment()` (0 if it does not answer).
        verifier_reports: Word,
    },
    /// `InstanceCountMismatch(uint256,uint256)`.
    #[error("the layout says {layout} instances but the verifier takes {verifier}: derive the layout from this model's settings.json")]
    InstanceCountMismatch {
        /// The layout's `numInstances`.
        layout: u64,
        /// The verifier's `numInstances()`.
        verifier: u64,
    },
    /// `BadLayout()`.
    #[error("the instance layout is invalid (a range past numInstances, overlapping input and output ranges, or a parameter index out of range, inside a range, or non-zero for a non-hashed kind): derive it from the model's settings.json")]
    BadLayout,
    /// `UnknownModel(uint256)`.
    #[error("no model has id {model_id}: check the id (ids start at 1) and the registry address")]
    UnknownModel {
        /// The id asked for.
        model_id: u64,
    },
    /// `NotOwner(uint256,address)`.
    #[error("{} is not the owner of model {model_id}: only the account that registered it can deprecate it", hx(.caller))]
    NotOwner {
        /// The model.
        model_id: u64,
        /// The sender.
        caller: Address,
    },
    /// `AlreadyDeprecated(uint256)`.
    #[error("model {model_id} is already deprecated: nothing to do")]
    AlreadyDeprecated {
        /// The model.
        model_id: u64,
    },
    /// `UnknownEntry(uint256)`.
    #[error(
        "no log entry has id {entry_id}: check the id (ids start at 1) and the registry address"
    )]
    UnknownEntry {
        /// The id asked for.
        entry_id: u64,
    },
    /// `ModelIsDeprecated(uint256)`.
    #[error("model {model_id} is deprecated by its owner and accepts no new inferences: use a current model")]
    ModelIsDeprecated {
        /// The model.
        model_id: u64,
    },
    /// `WrongInstanceCount(uint256,uint256)`.
    #[error("the proof comes with {got} instances but the model's verifier takes {expected}: the proof is for another model or circuit")]
    WrongInstanceCount {
        /// The verifier's count.
        expected: u64,
        /// The count given.
        got: u64,
    },
    /// `NotBoundToModel(uint256,bytes32,bytes32)`.
    #[error("the proof is bound to parameters {} but model {model_id} is registered with {}: it was made with other weights; submit it to the model registered with its commitment", hx(.proven), hx(.registered))]
    NotBoundToModel {
        /// The model.
        model_id: u64,
        /// The registered commitment.
        registered: Word,
        /// What the proof is bound to (0 if the verifier gave nothing).
        proven: Word,
    },
    /// `ProofRejected(uint256)`.
    #[error("model {model_id}'s verifier rejected the proof: it is invalid, for other instances or another model, or not made with the Keccak transcript (prove with --evm)")]
    ProofRejected {
        /// The model.
        model_id: u64,
    },
}

/// Decodes revert data into the contracts' custom error; `None` for anything else (empty
/// data: out of gas or not a registry; a malformed or unknown error).
pub fn decode_revert(data: &[u8]) -> Option<RegistryRevert> {
    use crate::calldata::selector;
    use RegistryRevert::*;
    let (sel, body) = (data.get(..4)?, data.get(4..)?);
    let r = Reader::new(body, "revert data");
    let is = |sig: &str, words: usize| sel == selector(sig) && body.len() == 32 * words;
    let w = |i: usize| r.word(32 * i).ok();
    let a = |i: usize| r.address(32 * i).ok();
    let n = |i: usize| {
        let w = r.word(32 * i).ok()?;
        let small = w[..24].iter().all(|b| *b == 0);
        Some(if small {
            u64::from_be_bytes(w[24..].try_into().ok()?)
        } else {
            u64::MAX
        })
    };
    Some(if is("AlreadyRegistered(bytes32,uint256)", 2) {
        AlreadyRegistered {
            commitment: w(0)?,
            model_id: n(1)?,
        }
    } else if is("ZeroCommitment()", 0) {
        ZeroCommitment
    } else if is("NoVerifierCode(address)", 1) {
        NoVerifierCode { verifier: a(0)? }
    } else if is("CommitmentMismatch(bytes32,bytes32)", 2) {
        CommitmentMismatch {
            registered: w(0)?,
            verifier_reports: w(1)?,
        }
    } else if is("InstanceCountMismatch(uint256,uint256)", 2) {
        InstanceCountMismatch {
            layout: n(0)?,
            verifier: n(1)?,
        }
    } else if is("BadLayout()", 0) {
        BadLayout
    } else if is("UnknownModel(uint256)", 1) {
        UnknownModel { model_id: n(0)? }
    } else if is("NotOwner(uint256,address)", 2) {
        NotOwner {
            model_id: n(0)?,
            caller: a(1)?,
        }
    } else if is("AlreadyDeprecated(uint256)", 1) {
        AlreadyDeprecated { model_id: n(0)? }
    } else if is("UnknownEntry(uint256)", 1) {
        UnknownEntry { entry_id: n(0)? }
    } else if is("ModelIsDeprecated(uint256)", 1) {
        ModelIsDeprecated { model_id: n(0)? }
    } else if is("WrongInstanceCount(uint256,uint256)", 2) {
        WrongInstanceCount {
            expected: n(0)?,
            got: n(1)?,
        }
    } else if is("NotBoundToModel(uint256,bytes32,bytes32)", 3) {
        NotBoundToModel {
            model_id: n(0)?,
            registered: w(1)?,
            proven: w(2)?,
        }
    } else if is("ProofRejected(uint256)", 1) {
        ProofRejected { model_id: n(0)? }
    } else {
        return None;
    })
}

/// The error for a registry or log call `call` that reverted with `data`:
/// [`SolidityError::RegistryReverted`] when [`decode_revert`] knows it, else
/// [`SolidityError::Reverted`] with the raw data.
pub fn revert_error(call: &'static str, data: &[u8]) -> SolidityError {
    match decode_revert(data) {
        Some(reason) => SolidityError::RegistryReverted { call, reason },
        None => SolidityError::Reverted {
            call,
            data: hx(data),
        },
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
