//! On-chain provenance: register a model directory's commitment in a `ModelRegistry` and
//! submit its proofs to the registry's `InferenceLog` (contracts in `solidity/contracts/`,
//! Rust bindings in [`solidity::registry`]).
//!
//! * [`register`] deploys the registry (with its log) unless one is given or recorded, deploys
//!   the directory's verifier bundle unless it is already deployed on that chain, checks that
//!   the verifier is this directory's (its `modelCommitment()` is the sha256 of `vk.bin`),
//!   and registers the model commitment (`commitment.json`, or that of `--model` weights for
//!   hashed and committed parameters) with the instance layout of `settings.json` and a
//!   metadata URI (see [`metadata_uri`]). It records the result in `DIR/registration.json`.
//! * [`submit`] simulates `InferenceLog.submit` first: a refusal (the contract's custom
//!   error, decoded) comes back as [`Submission::Refused`] and no transaction is sent;
//!   otherwise it sends the transaction and returns the recorded entry.
//!
//! `registration.json` (format `zkinfer-registration`, version 1):
//!
//! ```json
//! {"format": "zkinfer-registration", "format_version": 1, "chain_id": 31337,
//!  "registry": "0x…", "inference_log": "0x…", "verifier": "0x…", "model_id": 1,
//!  "commitment": {"kind": "hashed", "value": "0x…"}, "metadata_uri": "data:application/json,…"}
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use solidity::bundle::Address;
use solidity::registry::{self as reg, LogEntry, OnchainKind, OnchainLayout, RegistryRevert};
use solidity::rpc::{parse_address, receipt_gas_used, receipt_logs, to_hex, CallResult, RpcClient};
use solidity::tx::Signer;
use solidity::Bundle;
use verifier::{instances_from_hex, TranscriptKind};

use crate::commitment::{commit, CommitmentKind, ModelCommitment};
use crate::error::{Error, Result};
use crate::settings::{parse_versioned, read_text, write_json, Settings};
use crate::{files, ProofArtifact};

/// The `format` of `registration.json`.
pub const REGISTRATION_FORMAT: &str = "zkinfer-registration";
/// The `format_version` of `registration.json` this build writes and reads.
pub const REGISTRATION_VERSION: u32 = 1;
/// File name of the registration record in a model directory.
pub const REGISTRATION_FILE: &str = "registration.json";
/// Where [`register`] looks for the directory's verifier bundle by default
/// (`create-evm-verifier DIR -o DIR/evm`).
pub const DEFAULT_BUNDLE_DIR: &str = "evm";

/// The record `deploy-evm` and [`register`] write into a verifier bundle's directory:
/// `{"chain_id", "address" (the ZkinferVerifier), "contracts": {name: address}}`.
pub const DEPLOYMENT_FILE: &str = "deployment.json";

/// What [`register`] takes besides the directory.
#[derive(Clone, Debug, Default)]
pub struct RegisterOptions {
    /// An existing `ModelRegistry`; else the one in `registration.json` (same chain), else a
    /// new one is deployed.
    pub registry: Option<Address>,
    /// An already deployed `ZkinferVerifier` for this directory's key; else the bundle's.
    pub verifier: Option<Address>,
    /// The verifier bundle (`create-evm-verifier`'s OUTDIR); default `DIR/evm`.
    pub bundle: Option<PathBuf>,
    /// Register the commitment of these weights (same architecture; hashed or committed
    /// parameters) instead of the compiled model's.
    pub model: Option<PathBuf>,
    /// The metadata URI; default [`metadata_uri`] of the directory.
    pub metadata_uri: Option<String>,
    /// The model's name in the default metadata; default the directory's name.
    pub name: Option<String>,
    /// Register a key made with the insecure local SRS (anyone can forge its proofs).
    pub allow_insecure_srs: bool,
}

/// What [`register`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The chain's id.
    pub chain_id: u64,
    /// The `ModelRegistry`.
    pub registry: Address,
    /// Its `InferenceLog`.
    pub inference_log: Address,
    /// Gas of deploying the registry (with its log), when this call deployed it.
    pub registry_deploy_gas: Option<u64>,
    /// The verifier registered (`ZkinferVerifier`).
    pub verifier: Address,
    /// Gas of deploying the verifier bundle, when this call deployed it.
    pub verifier_deploy_gas: Option<u64>,
    /// The new model id.
    pub model_id: u64,
    /// The registered commitment.
    pub commitment: ModelCommitment,
    /// The registered metadata URI.
    pub metadata_uri: String,
    /// Gas of the `register` transaction.
    pub register_gas: u64,
}

/// What [`submit`] got from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submission {
    /// The proof was verified and recorded.
    Recorded {
        /// The new entry's id.
        entry_id: u64,
        /// The entry, as stored.
        entry: LogEntry,
        /// Gas of the `submit` transaction.
        gas_used: u64,
        /// Its hash.
        tx_hash: String,
    },
    /// The contract refused the proof (nothing was sent, nothing stored).
    Refused(RegistryRevert),
}

/// `registration.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationFile {
    /// Always [`REGISTRATION_FORMAT`].
    pub format: String,
    /// Always [`REGISTRATION_VERSION`].
    pub format_version: u32,
    /// The chain's id.
    pub chain_id: u64,
    /// `ModelRegistry` address.
    pub registry: String,
    /// `InferenceLog` address.
    pub inference_log: String,
    /// `ZkinferVerifier` address.
    pub verifier: String,
    /// The model id.
    pub model_id: u64,
    /// The registered commitment.
    pub commitment: ModelCommitment,
    /// The registered metadata URI.
    pub metadata_uri: String,
}

impl RegistrationFile {
    /// Reads `path`, checking format and version.
    pub fn read(path: &Path) -> Result<Self> {
        parse_versioned(
            &read_text(path)?,
            &path.display().to_string(),
            REGISTRATION_FORMAT,
            REGISTRATION_VERSION,
        )
    }
}

/// The on-chain instance layout of a compiled model (see `solidity/contracts/README.md`):
/// the instances that carry the input (its public values, or its one hash), the output's,
/// and the parameter hash's position.
pub fn onchain_layout(settings: &Settings) -> Result<OnchainLayout> {
    let l = settings
        .instance_layout()
        .ok_or_else(|| Error::artifact(files::SETTINGS, "the shapes' element count overflows"))?;
    let part = |public: &std::ops::Range<usize>, hash: Option<usize>| match hash {
        Some(h) => (h, 1),
        None if public.is_empty() => (0, 0),
        None => (public.start, public.len()),
    };
    let (input_start, input_count) = part(&l.inputs, l.input_hash);
    let (output_start, output_count) = part(&l.outputs, l.output_hash);
    let u = |v: usize| {
        u32::try_from(v).map_err(|_| Error::artifact(files::SETTINGS, "over 2^32 instances"))
    };
    Ok(OnchainLayout {
        num_instances: u(l.len)?,
        input_start: u(input_start)?,
        input_count: u(input_count)?,
        output_start: u(output_start)?,
        output_count: u(output_count)?,
        param_index: u(l.param_hash.unwrap_or(0))?,
    })
}

/// The default metadata URI: `data:application/json,` and a compact JSON object with the
/// model's `name`, commitment `kind`, `vk_sha256`, whether the key uses the insecure local
/// SRS, and each output's `name`, `shape` and fixed-point `scale` (bits; a value is
/// `signed(q) / 2^scale`), with `"hashed": true` when only the outputs' hash is public (no
/// outputs at all when they are private). `sdk/ts`'s `parseMetadataURI` reads it.
pub fn metadata_uri(
    settings: &Settings,
    name: &str,
    kind: CommitmentKind,
    vk_sha256: &str,
    insecure: bool,
) -> String {
    let vis = settings.circuit.visibility.output;
    let hashed = vis == crate::Visibility::Hashed;
    // Private outputs leave nothing on chain to describe.
    let described: &[crate::TensorSpec] = if vis == crate::Visibility::Private {
        &[]
    } else {
        &settings.outputs
    };
    let outputs: Vec<serde_json::Value> = described
        .iter()
        .map(|o| {
            let mut v = serde_json::json!({"name": o.name, "shape": o.shape,
                "scale": settings.quant.input_scale});
            if hashed {
                v["hashed"] = serde_json::json!(true);
            }
            v
        })
        .collect();
    let mut doc = serde_json::json!({"name": name, "kind": kind.name(), "vk_sha256": vk_sha256,
        "outputs": outputs});
    if insecure {
        doc["insecure_srs"] = serde_json::json!(true);
    }
    format!("data:application/json,{doc}")
}

/// A log entry's outputs as named tensors, each value exactly what `proof.json` shows
/// (`q · 2^-scale`, the same dequantization as `prove`); `None` unless the outputs are
/// public, the words are field elements and their count matches `settings`.
pub fn entry_outputs(
    entry: &LogEntry,
    settings: &Settings,
) -> Option<Vec<(String, onnx_import::ir::Tensor)>> {
    if settings.circuit.visibility.output != crate::Visibility::Public {
        return None;
    }
    let le: Vec<String> = entry
        .outputs
        .iter()
        .map(|w| {
            let mut le = *w;
            le.reverse();
            hex::encode(le)
        })
        .collect();
    let instances = instances_from_hex(&le).ok()?;
    crate::artifacts::dequantize_instances(
        &instances,
        &settings.outputs,
        settings.quant.input_scale,
    )
    .ok()
}

fn onchain_kind(kind: CommitmentKind) -> OnchainKind {
    match kind {
        CommitmentKind::Fixed => OnchainKind::Fixed,
        CommitmentKind::Hashed => OnchainKind::Hashed,
        CommitmentKind::Committed => OnchainKind::Committed,
    }
}

fn word(value: &str) -> Result<[u8; 32]> {
    let v = crate::commitment::parse_commitment_value(value)?;
    let b = hex::decode(&v[2..]).map_err(|_| Error::artifact(files::COMMITMENT, "not hex"))?;
    b.try_into()
        .map_err(|_| Error::artifact(files::COMMITMENT, "not 32 bytes"))
}

/// Calls a view function and returns its output; a revert is [`Error::Refused`].
fn view(rpc: &RpcClient, to: &Address, data: &[u8], action: &'static str) -> Result<Vec<u8>> {
    match rpc.try_call(None, to, data)? {
        CallResult::Returned(out) => Ok(out),
        CallResult::Reverted(d) => Err(refused(action, &d)),
    }
}

fn refused(action: &'static str, data: &[u8]) -> Error {
    match reg::decode_revert(data) {
        Some(reason) => Error::Refused { action, reason },
        None => Error::Reverted {
            action,
            data: to_hex(data),
        },
    }
}

/// Registers `dir`'s model (see the module docs).
pub fn register(
    dir: &Path,
    rpc: &RpcClient,
    signer: &Signer,
    opts: &RegisterOptions,
) -> Result<Registration> {
    let settings = Settings::read(&dir.join(files::SETTINGS))?;
    let vk_file = crate::pipeline::read(&dir.join(files::VK))?;
    let vk_digest = verifier::vk_digest(&vk_file);
    let vk_sha256 = hex::encode(vk_digest);
    let srs = crate::pipeline::read(&dir.join(files::SRS_VERIFIER))?;
    let key = verifier::VerifierKey::from_bytes_with(
        &vk_file,
        &srs,
        &verifier::KeyOptions {
            allow_insecure_srs: true,
        },
    )?;
    if key.is_insecure_srs() && !opts.allow_insecure_srs {
        return Err(Error::InsecureRegistration {
            dir: dir.to_path_buf(),
        });
    }
    let commitment = commit(dir, opts.model.as_deref())?.ok_or_else(|| Error::NotRegistrable {
        dir: dir.to_path_buf(),
    })?;
    let layout = onchain_layout(&settings)?;
    let chain_id = rpc.chain_id()?;
    let recorded = RegistrationFile::read(&dir.join(REGISTRATION_FILE))
        .ok()
        .filter(|r| r.chain_id == chain_id);

    // The registry: given, recorded (if it still has code), or new.
    let recorded_registry = recorded
        .as_ref()
        .and_then(|r| parse_address(&r.registry).ok())
        .filter(|a| rpc.code(a).is_ok_and(|c| !c.is_empty()));
    let (registry, registry_deploy_gas) = match opts.registry.or(recorded_registry) {
        Some(a) => {
            if rpc.code(&a)?.is_empty() {
                return Err(Error::NoContract {
                    what: "ModelRegistry",
                    address: to_hex(&a),
                });
            }
            (a, None)
        }
        None => {
            let receipt = rpc.send(signer, None, reg::registry_creation_code()?)?;
            let a = parse_address(receipt["contractAddress"].as_str().unwrap_or_default())?;
            (a, Some(receipt_gas_used(&receipt)?))
        }
    };
    let inference_log = reg::decode_address(&view(
        rpc,
        &registry,
        &reg::inference_log_calldata(),
        "read the registry",
    )?)?;

    // The verifier: given, deployed from the bundle earlier, or deployed now.
    let bundle_dir = opts
        .bundle
        .clone()
        .unwrap_or_else(|| dir.join(DEFAULT_BUNDLE_DIR));
    let (verifier, verifier_deploy_gas) = match opts.verifier {
        Some(a) => (a, None),
        None => match deployed_verifier(rpc, &bundle_dir, chain_id)? {
            Some(a) => (a, None),
            None => {
                let d = deploy_verifier(rpc, signer, &bundle_dir)?;
                let entry = d.last().map(|e| e.address).unwrap_or_default();
                (entry, Some(d.iter().map(|e| e.gas_used).sum()))
            }
        },
    };
    let reported = view(
        rpc,
        &verifier,
        &solidity::calldata::selector("modelCommitment()"),
        "read the verifier",
    )?;
    if reported.as_slice() != vk_digest.as_slice() {
        return Err(Error::WrongVerifier {
            address: to_hex(&verifier),
            vk_sha256,
            reported: to_hex(&reported),
        });
    }

    let name = opts.name.clone().unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".into())
    });
    let metadata_uri = opts.metadata_uri.clone().unwrap_or_else(|| {
        metadata_uri(
            &settings,
            &name,
            commitment.kind,
            &vk_sha256,
            key.is_insecure_srs(),
        )
    });
    let data = reg::register_calldata(
        &word(&commitment.value)?,
        onchain_kind(commitment.kind),
        &verifier,
        &layout,
        &metadata_uri,
    );
    if let CallResult::Reverted(d) = rpc.try_call(Some(&signer.address()), &registry, &data)? {
        return Err(refused("register the model", &d));
    }
    let receipt = rpc.send(signer, Some(&registry), data)?;
    let model_id = receipt_logs(&receipt)?
        .iter()
        .filter(|l| l.address == registry)
        .find_map(|l| reg::ModelRegistered::decode(&l.topics, &l.data))
        .map(|e| e.model_id)
        .ok_or_else(|| Error::artifact("register receipt", "no ModelRegistered event"))?;
    let out = Registration {
        chain_id,
        registry,
        inference_log,
        registry_deploy_gas,
        verifier,
        verifier_deploy_gas,
        model_id,
        commitment,
        metadata_uri,
        register_gas: receipt_gas_used(&receipt)?,
    };
    // A registration of other weights (--model) leaves the directory's record alone.
    if opts.model.is_none() {
        write_json(
            &dir.join(REGISTRATION_FILE),
            &RegistrationFile {
                format: REGISTRATION_FORMAT.into(),
                format_version: REGISTRATION_VERSION,
                chain_id,
                registry: to_hex(&registry),
                inference_log: to_hex(&inference_log),
                verifier: to_hex(&verifier),
                model_id,
                commitment: out.commitment.clone(),
                metadata_uri: out.metadata_uri.clone(),
            },
        )?;
    }
    Ok(out)
}

/// The bundle's `ZkinferVerifier` recorded in `deployment.json` for `chain_id`, if it still
/// has code there.
fn deployed_verifier(rpc: &RpcClient, bundle: &Path, chain_id: u64) -> Result<Option<Address>> {
    let Ok(text) = std::fs::read_to_string(bundle.join(DEPLOYMENT_FILE)) else {
        return Ok(None);
    };
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::artifact(DEPLOYMENT_FILE, format!("not JSON: {e}")))?;
    if doc["chain_id"].as_u64() != Some(chain_id) {
        return Ok(None);
    }
    let Ok(a) = parse_address(doc["address"].as_str().unwrap_or_default()) else {
        return Ok(None);
    };
    Ok((!rpc.code(&a)?.is_empty()).then_some(a))
}

/// Deploys the verifier bundle in `bundle_dir` (in order, `ZkinferVerifier` last) and
/// records it in its [`DEPLOYMENT_FILE`] with the chain's id; returns what was deployed.
/// The bundle is checked before the chain is contacted.
pub fn deploy_verifier(
    rpc: &RpcClient,
    signer: &Signer,
    bundle_dir: &Path,
) -> Result<Vec<solidity::rpc::Deployed>> {
    let no = |reason: &str| Error::NoVerifierBundle {
        bundle: bundle_dir.to_path_buf(),
        reason: reason.into(),
    };
    let bundle = Bundle::read(bundle_dir).map_err(|e| no(&e.to_string()))?;
    if !bundle.is_compiled() {
        return Err(no(
            "it has no bytecode: re-run create-evm-verifier with a Solidity compiler",
        ));
    }
    let chain_id = rpc.chain_id()?;
    let deployed = rpc.deploy_bundle(&bundle, signer)?;
    let entry = deployed.last().ok_or_else(|| no("it lists no contracts"))?;
    let contracts: serde_json::Map<String, serde_json::Value> = deployed
        .iter()
        .map(|d| (d.name.clone(), serde_json::json!(to_hex(&d.address))))
        .collect();
    let doc = serde_json::json!({"chain_id": chain_id, "address": to_hex(&entry.address),
        "contracts": contracts});
    write_json(&bundle_dir.join(DEPLOYMENT_FILE), &doc)?;
    Ok(deployed)
}

/// The registry to submit to: `registry`, else `DIR/registration.json`'s (same chain).
pub fn registry_of(dir: &Path, rpc: &RpcClient, registry: Option<Address>) -> Result<Address> {
    if let Some(r) = registry {
        return Ok(r);
    }
    let chain_id = rpc.chain_id()?;
    RegistrationFile::read(&dir.join(REGISTRATION_FILE))
        .ok()
        .filter(|r| r.chain_id == chain_id)
        .and_then(|r| parse_address(&r.registry).ok())
        .ok_or_else(|| Error::NoRegistry {
            dir: dir.to_path_buf(),
            chain_id,
        })
}

/// Deprecates model `model_id` of `registry` (the signer must own it): the log refuses new
/// proofs for it, its entries stay. Simulated first, so a refusal (not the owner, already
/// deprecated, unknown id) is [`Error::Refused`] and nothing is sent. Returns the gas used.
pub fn deprecate(
    registry: &Address,
    model_id: u64,
    rpc: &RpcClient,
    signer: &Signer,
) -> Result<u64> {
    let data = reg::deprecate_calldata(model_id);
    if let CallResult::Reverted(d) = rpc.try_call(Some(&signer.address()), registry, &data)? {
        return Err(refused("deprecate the model", &d));
    }
    receipt_gas_used(&rpc.send(signer, Some(registry), data)?).map_err(Error::from)
}

/// Submits `proof` (a `proof.json` with the Keccak transcript) for model `model_id` to the
/// log of `registry` (see [`registry_of`]).
pub fn submit(
    registry: &Address,
    model_id: u64,
    proof: &ProofArtifact,
    rpc: &RpcClient,
    signer: &Signer,
) -> Result<Submission> {
    if TranscriptKind::from_name(&proof.transcript) != Some(TranscriptKind::Keccak) {
        return Err(Error::NotEvmProof {
            transcript: proof.transcript.clone(),
        });
    }
    let bytes =
        hex::decode(&proof.proof).map_err(|_| Error::artifact("proof.json", "proof is not hex"))?;
    let instances: Vec<[u8; 32]> = instances_from_hex(&proof.instances)?
        .iter()
        .map(solidity::calldata::fr_to_word)
        .collect();
    let log = reg::decode_address(&view(
        rpc,
        registry,
        &reg::inference_log_calldata(),
        "read the registry",
    )?)?;
    let data = reg::submit_calldata(model_id, &bytes, &instances);
    match rpc.try_call(Some(&signer.address()), &log, &data)? {
        CallResult::Reverted(d) => {
            return match reg::decode_revert(&d) {
                Some(reason) => Ok(Submission::Refused(reason)),
                None => Err(refused("submit the proof", &d)),
            }
        }
        CallResult::Returned(_) => {}
    }
    let receipt = rpc.send(signer, Some(&log), data)?;
    let tx_hash = receipt["transactionHash"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let event = receipt_logs(&receipt)?
        .iter()
        .filter(|l| l.address == log)
        .find_map(|l| reg::InferenceVerified::decode(&l.topics, &l.data))
        .ok_or_else(|| Error::artifact("submit receipt", "no InferenceVerified event"))?;
    Ok(Submission::Recorded {
        entry_id: event.entry_id,
        entry: event.entry,
        gas_used: receipt_gas_used(&receipt)?,
        tx_hash,
    })
}
