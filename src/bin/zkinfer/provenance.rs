//! `zkinfer register` and `zkinfer submit`: the model registry and the inference log on a
//! chain (see `zkinfer::provenance`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use solidity::rpc::{parse_address, to_hex, RpcClient};
use solidity::tx::Signer;
use zkinfer::provenance::{self, RegisterOptions, Submission};
use zkinfer::{files, ProofArtifact, Settings};

/// The chain and the sending account, shared by `register`, `submit` and `deprecate`.
#[derive(Args, Debug)]
pub struct ChainArgs {
    /// JSON-RPC endpoint (http:// only).
    #[arg(long)]
    rpc: String,
    /// Hex private key of the sending account (it pays the gas; `register` makes it the
    /// model's owner, and only the owner may `deprecate`).
    #[arg(long)]
    private_key: String,
}

impl ChainArgs {
    fn connect(&self) -> Result<(RpcClient, Signer)> {
        Ok((
            RpcClient::new(&self.rpc)?,
            Signer::from_hex(&self.private_key)?,
        ))
    }
}

/// Options of `register`.
#[derive(Args, Debug)]
pub struct RegisterArgs {
    /// Model directory (compiled, set up; with its verifier bundle in DIR/evm unless
    /// --bundle or --verifier says otherwise).
    dir: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
    /// An existing ModelRegistry; default the one DIR/registration.json records for this
    /// chain, else a new one is deployed (with its InferenceLog).
    #[arg(long)]
    registry: Option<String>,
    /// An already deployed ZkinferVerifier of DIR's key; default the bundle's (deployed now
    /// unless its deployment.json names one on this chain).
    #[arg(long)]
    verifier: Option<String>,
    /// The verifier bundle written by create-evm-verifier (default DIR/evm).
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Register the commitment of these weights (same architecture; hashed or committed
    /// parameters) instead of the compiled model's.
    #[arg(long)]
    model: Option<PathBuf>,
    /// The model's name in the default metadata (default: DIR's name).
    #[arg(long)]
    name: Option<String>,
    /// Register this metadata URI instead of the default data: URI (name, commitment kind,
    /// vk sha256, output shapes and scales).
    #[arg(long)]
    metadata_uri: Option<String>,
    /// Register a key made with zkinfer's INSECURE local SRS (local test chains only:
    /// anyone can forge proofs its verifier accepts).
    #[arg(long)]
    allow_insecure_srs: bool,
}

/// Options of `submit`.
#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// Model directory (for its registration.json and settings.json).
    dir: PathBuf,
    /// The registered model's id (`register` printed it).
    #[arg(long)]
    model_id: u64,
    /// Proof artifact made with `prove` for the EVM (Keccak transcript).
    #[arg(long)]
    proof: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
    /// The ModelRegistry (default: the one DIR/registration.json records for this chain).
    #[arg(long)]
    registry: Option<String>,
}

/// Options of `deprecate`.
#[derive(Args, Debug)]
pub struct DeprecateArgs {
    /// Model directory (for its registration.json).
    dir: PathBuf,
    /// The model id to deprecate (you must be its owner).
    #[arg(long)]
    model_id: u64,
    #[command(flatten)]
    chain: ChainArgs,
    /// The ModelRegistry (default: the one DIR/registration.json records for this chain).
    #[arg(long)]
    registry: Option<String>,
}

/// `zkinfer deprecate`.
pub fn deprecate(args: &DeprecateArgs) -> Result<()> {
    let (rpc, signer) = args.chain.connect()?;
    let registry = args.registry.as_deref().map(parse_address).transpose()?;
    let registry = provenance::registry_of(&args.dir, &rpc, registry)?;
    let gas = provenance::deprecate(&registry, args.model_id, &rpc, &signer)
        .with_context(|| format!("cannot deprecate model {}", args.model_id))?;
    println!(
        "deprecated: model {} (gas {gas}); the inference log refuses new proofs for it, its \
         entries stay",
        args.model_id
    );
    Ok(())
}

/// `zkinfer register`.
pub fn register(args: &RegisterArgs) -> Result<()> {
    let (rpc, signer) = args.chain.connect()?;
    let address = |s: &Option<String>| s.as_deref().map(parse_address).transpose();
    let opts = RegisterOptions {
        registry: address(&args.registry)?,
        verifier: address(&args.verifier)?,
        bundle: args.bundle.clone(),
        model: args.model.clone(),
        metadata_uri: args.metadata_uri.clone(),
        name: args.name.clone(),
        allow_insecure_srs: args.allow_insecure_srs,
    };
    let r = provenance::register(&args.dir, &rpc, &signer, &opts)
        .with_context(|| format!("cannot register {}", args.dir.display()))?;
    let deployed = |g: Option<u64>| match g {
        Some(g) => format!(" (deployed now, gas {g})"),
        None => String::new(),
    };
    println!(
        "registry: {}{}",
        to_hex(&r.registry),
        deployed(r.registry_deploy_gas)
    );
    println!("inference log: {}", to_hex(&r.inference_log));
    println!(
        "verifier: {}{}",
        to_hex(&r.verifier),
        deployed(r.verifier_deploy_gas)
    );
    println!("commitment: {} ({})", r.commitment.value, r.commitment.kind);
    println!("register gas: {}", r.register_gas);
    if opts.model.is_none() {
        println!(
            "recorded in {}",
            args.dir.join(provenance::REGISTRATION_FILE).display()
        );
    }
    println!("model id: {}", r.model_id);
    Ok(())
}

/// `zkinfer submit`: exit 0 iff the log recorded the proof.
pub fn submit(args: &SubmitArgs) -> Result<()> {
    let (rpc, signer) = args.chain.connect()?;
    let registry = args.registry.as_deref().map(parse_address).transpose()?;
    let registry = provenance::registry_of(&args.dir, &rpc, registry)?;
    let proof = ProofArtifact::load(&args.proof)?;
    match provenance::submit(&registry, args.model_id, &proof, &rpc, &signer)? {
        Submission::Refused(reason) => bail!(
            "the inference log REFUSED {} for model {}: {reason} (nothing was sent or stored)",
            args.proof.display(),
            args.model_id
        ),
        Submission::Recorded {
            entry_id,
            entry,
            gas_used,
            tx_hash,
        } => {
            println!("recorded: entry {entry_id} of model {}", entry.model_id);
            println!("  tx: {tx_hash}");
            println!("  gas: {gas_used}");
            println!("  input hash:  {}", to_hex(&entry.input_hash));
            println!("  output hash: {}", to_hex(&entry.output_hash));
            let settings = Settings::read(&args.dir.join(files::SETTINGS)).ok();
            match settings.and_then(|s| provenance::entry_outputs(&entry, &s)) {
                Some(tensors) => {
                    let values: Vec<f64> = tensors.into_iter().flat_map(|(_, t)| t.data).collect();
                    println!("  outputs: {values:?}");
                }
                None => println!("  outputs: {} field elements", entry.outputs.len()),
            }
            println!("  submitter: {}", to_hex(&entry.submitter));
            println!("  block: {}", entry.block_number);
            Ok(())
        }
    }
}
