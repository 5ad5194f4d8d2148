//! EVM commands: `create-evm-verifier`, `deploy-evm`, `encode-calldata`, `verify-evm`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Args;
use solidity::rpc::{parse_address, to_hex, RpcClient};
use solidity::tx::Signer;
use solidity::{Bundle, Solc};
use verifier::halo2::Fr;
use verifier::{instances_from_hex, KeyOptions, TranscriptKind, VerifierKey};
use zkinfer::{files, ProofArtifact};

use crate::commands::INSECURE_MARK;

/// Options of `create-evm-verifier`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Model directory after `setup` (needs vk.bin and srs-verifier.bin).
    dir: PathBuf,
    /// Output directory for the sources, ABI, bytecode and manifest.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Solidity compiler speaking --standard-json (solc 0.8.19 or solcjs); default
    /// $ZKINFER_SOLC, else `solc` or `solcjs` on PATH.
    #[arg(long)]
    solc: Option<PathBuf>,
    /// Only write the sources, even if a compiler is available.
    #[arg(long)]
    no_compile: bool,
    /// Accept keys made with the INSECURE local SRS (tests and demos): the contract would
    /// accept proofs forged by anyone. Without it such keys are refused.
    #[arg(long)]
    allow_insecure_srs: bool,
}

/// Options of `deploy-evm`.
#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Directory written by `create-evm-verifier` (with bytecode).
    dir: PathBuf,
    /// JSON-RPC endpoint (http:// only).
    #[arg(long)]
    rpc: String,
    /// Hex private key of the deploying account (a funded account of the chain).
    #[arg(long)]
    private_key: String,
}

/// Options of `encode-calldata`.
#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// Proof artifact made with `prove --evm`.
    #[arg(long)]
    proof: PathBuf,
    /// Print the generated verifier's raw calldata (instances || proof) instead of a
    /// verifyProof call on the ZkinferVerifier wrapper.
    #[arg(long)]
    raw: bool,
}

/// Options of `verify-evm`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// JSON-RPC endpoint (http:// only).
    #[arg(long)]
    rpc: String,
    /// Address of the ZkinferVerifier contract (printed by `deploy-evm`).
    #[arg(long)]
    address: String,
    /// Proof artifact made with `prove --evm`.
    #[arg(long)]
    proof: PathBuf,
    /// Acknowledge a proof whose artifact says its key was made with the INSECURE local SRS
    /// (this command only asks the contract, so it cannot refuse the key; its output is
    /// marked INSECURE either way).
    #[arg(long)]
    allow_insecure_srs: bool,
    /// Model commitment (0x-hex, as `zkinfer commit` prints it) the proof must be bound to:
    /// the contract's `modelCommitment()` for fixed parameters, the parameter-hash instance
    /// for hashed ones, the contract's `paramCommitment(proof)` for committed ones.
    #[arg(long, value_name = "HEX")]
    commitment: Option<String>,
}

/// Reads the proof and instances of an EVM (Keccak-transcript) artifact, and whether the
/// artifact says its key was made with the insecure local SRS.
fn evm_proof(path: &Path) -> Result<(Vec<u8>, Vec<Fr>, bool)> {
    let art = ProofArtifact::load(path)?;
    let kind = TranscriptKind::from_name(&art.transcript);
    if kind != Some(TranscriptKind::Keccak) {
        bail!(
            "{} was made with the {:?} transcript; EVM verifiers need a Keccak proof: re-run \
             `zkinfer prove ... --evm`",
            path.display(),
            art.transcript
        );
    }
    let proof = hex::decode(&art.proof).context("the proof is not hex")?;
    let instances = instances_from_hex(&art.instances)?;
    Ok((proof, instances, art.insecure_srs))
}

/// `zkinfer create-evm-verifier`.
pub fn create(args: &CreateArgs) -> Result<()> {
    let read = |name: &str| {
        let p = args.dir.join(name);
        std::fs::read(&p)
            .with_context(|| format!("cannot read {} (run `setup` first)", p.display()))
    };
    let options = KeyOptions {
        allow_insecure_srs: args.allow_insecure_srs,
    };
    let key =
        VerifierKey::from_bytes_with(&read(files::VK)?, &read(files::SRS_VERIFIER)?, &options)
            .with_context(|| format!("cannot create an EVM verifier for {}", args.dir.display()))?;
    if key.is_insecure_srs() {
        eprintln!(
            "WARNING: INSECURE SRS: the keys in {} were made with zkinfer's locally generated \
             SRS, whose secret is public: the contract will accept proofs FORGED by anyone. \
             Tests and demos only.",
            args.dir.display()
        );
    }
    let c = key.config();
    let columns = c.base.num_advice_per_phase.iter().sum::<usize>()
        + c.base.num_lookup_advice_per_phase.iter().sum::<usize>()
        + c.dot_columns;
    if columns > 1 {
        eprintln!(
            "note: this circuit has {columns} advice columns (compiled for proving speed);              every column costs gas on chain: `zkinfer compile --layout gas` gives the              cheapest verifier"
        );
    }
    let t = Instant::now();
    // Committed parameters: the contract also answers paramCommitment(proof), the model
    // commitment a proof is bound to (keccak of the weight columns' commitments).
    let committed =
        solidity::CommittedColumns::from_indices(&circuits::halo2::committed_columns(c))?;
    let natspec = natspec_of(&args.dir, &key);
    let options = solidity::VerifierOptions { committed, natspec };
    // An aggregation key (split proving): the contract also decides the KZG accumulator.
    let generate = if c.kzg_accumulator {
        solidity::generate_aggregation_verifier
    } else {
        solidity::generate_verifier_with
    };
    let mut generated = generate(key.params(), key.halo2_vk(), key.num_instances(), &options)?;
    println!(
        "generated the verifier in {:.2?}: {} instances, proofs of {} bytes",
        t.elapsed(),
        generated.num_instances,
        generated.proof_len
    );
    let solc = if args.no_compile {
        None
    } else {
        solidity::find_solc(args.solc.as_deref())
    };
    if solc.is_none() && !args.no_compile {
        eprintln!(
            "note: no Solidity compiler found (--solc, ZKINFER_SOLC, or solc/solcjs on PATH): \
             writing sources only; compile them with solc 0.8.19, optimizer off"
        );
    }
    let t = Instant::now();
    let mut bundle = Bundle::new(&generated, key.digest(), solc.as_ref())?;
    if let (Some(Solc { path }), Some(v)) = (&solc, &bundle.solc_version) {
        println!(
            "compiled with {} ({v}) in {:.2?}",
            path.display(),
            t.elapsed()
        );
    }
    match &solc {
        Some(solc) => {
            document_measured_gas(&mut bundle, &mut generated.natspec, &args.dir, &key, solc)?
        }
        None => println!("gas: not measured (no compiled bytecode)"),
    }
    bundle
        .write(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    for c in &bundle.contracts {
        match &c.compiled {
            Some(k) => println!(
                "  {:<22} runtime {:>6} bytes (limit {})",
                c.name,
                k.runtime.len(),
                solidity::EIP170_LIMIT
            ),
            None => println!("  {}.sol", c.name),
        }
    }
    println!(
        "wrote {} (call ZkinferVerifier.verifyProof(bytes proof, uint256[] instances); ABI in \
         ZkinferVerifier.abi.json)",
        args.out.display()
    );
    if committed.is_some() {
        println!(
            "  committed parameters: ZkinferVerifier.paramCommitment(bytes proof) returns the model \
             commitment a proof is bound to; compare it with the registered one after \
             verifyProof returned true"
        );
    }
    Ok(())
}

/// What `ZkinferVerifier`'s NatSpec says beyond the key: the model's name (its directory),
/// the instance layout and the predicted gas, from `settings.json` when it is there and
/// describes this key's instances (else the generic text, with a note).
fn natspec_of(dir: &Path, key: &VerifierKey) -> solidity::NatSpec {
    let model = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut natspec = solidity::NatSpec {
        model,
        ..Default::default()
    };
    let path = dir.join(files::SETTINGS);
    let settings = match zkinfer::Settings::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("note: {e}: the verifier's NatSpec describes the instances without labels");
            return natspec;
        }
    };
    let n = key.num_instances();
    match settings.instance_layout() {
        Some(layout) if layout.len == n => natspec.instances = instance_labels(&settings, &layout),
        _ => eprintln!(
            "note: {} does not describe this key's {n} instances: the verifier's NatSpec \
             describes them without labels",
            path.display()
        ),
    }
    // LEAD: circuits::halo2::evm_gas (the planner's cost model of the generated verifier).
    match circuits::halo2::evm_gas(&settings.circuit, key.config().public_rows, n) {
        Ok(g) => natspec.predicted_gas = Some(g),
        Err(e) => eprintln!("note: no predicted gas for the NatSpec: {e}"),
    }
    natspec
}

/// `(instance range, label)` of each public input and output tensor and of each hash.
fn instance_labels(
    settings: &zkinfer::Settings,
    layout: &circuits::visibility::InstanceLayout,
) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut tensors = |range: &std::ops::Range<usize>, specs: &[zkinfer::TensorSpec], what| {
        let mut at = range.start;
        for spec in specs {
            let len = spec.checked_len().unwrap_or(0).min(range.end - at);
            if len > 0 {
                out.push((
                    at..at + len,
                    format!(
                        "public {what} {:?} {:?} (quantized fixed-point, row-major)",
                        spec.name, spec.shape
                    ),
                ));
            }
            at += len;
        }
    };
    tensors(&layout.inputs, &settings.inputs, "input");
    tensors(&layout.outputs, &settings.outputs, "output");
    for (at, what) in [
        (layout.input_hash, "Poseidon hash of the quantized inputs"),
        (layout.output_hash, "Poseidon hash of the quantized outputs"),
        (
            layout.param_hash,
            "Poseidon hash of the parameters (the model commitment `zkinfer commit` prints)",
        ),
    ] {
        if let Some(i) = at {
            out.push((i..i + 1, what.to_string()));
        }
    }
    out
}

/// How the gas in the NatSpec was measured.
const MEASURED_HOW: &str =
    "revm 27, mainnet Prague rules, one verifyProof transaction with the model directory's proof.json";

/// With a Keccak `DIR/proof.json` of this key: deploys `bundle` in an in-process EVM (revm),
/// measures the gas of `verifyProof` with that proof, writes the figure into
/// `ZkinferVerifier`'s NatSpec and compiles that contract again (only its metadata changes,
/// which the second measurement confirms). Without such a proof, or when the bundle does not
/// accept it, nothing is measured (a note says why).
fn document_measured_gas(
    bundle: &mut Bundle,
    natspec: &mut solidity::NatSpec,
    dir: &Path,
    key: &VerifierKey,
    solc: &Solc,
) -> Result<()> {
    let path = dir.join("proof.json");
    if !path.is_file() {
        println!(
            "gas: not measured (no {}; `zkinfer prove --evm` writes one)",
            path.display()
        );
        return Ok(());
    }
    let art = ProofArtifact::load(&path)?;
    if TranscriptKind::from_name(&art.transcript) != Some(TranscriptKind::Keccak) {
        println!(
            "gas: not measured ({} was made with the {} transcript, not keccak)",
            path.display(),
            art.transcript
        );
        return Ok(());
    }
    if art.vk_digest != hex::encode(key.digest()) {
        println!(
            "gas: not measured ({} was made for another key)",
            path.display()
        );
        return Ok(());
    }
    let (proof, instances, _) = evm_proof(&path)?;
    let measure = |bundle: &Bundle| -> Result<Option<u64>> {
        let mut evm = solidity::local::LocalEvm::new();
        let deployed = evm.deploy_bundle(bundle)?;
        let (_, to, _) = deployed.last().context("nothing was deployed")?;
        let data = solidity::calldata::verify_proof_calldata(&proof, &instances);
        let out = evm.call(*to, data)?;
        Ok(
            (out.success && solidity::calldata::decode_bool(&out.output) == Some(true))
                .then_some(out.gas_used),
        )
    };
    let Some(mut gas) = measure(bundle)? else {
        eprintln!(
            "warning: the generated verifier did not accept {} in revm: gas not measured",
            path.display()
        );
        return Ok(());
    };
    let t = Instant::now();
    // The figure goes into the NatSpec, which only changes the metadata hash: the second
    // measurement is the same (else the NatSpec is written once more with it).
    for _ in 0..3 {
        natspec.measured_gas = Some((gas, MEASURED_HOW.into()));
        bundle.set_natspec(natspec, Some(solc))?;
        match measure(bundle)? {
            Some(again) if again == gas => break,
            Some(again) => gas = again,
            None => bail!(
                "the verifier recompiled with its NatSpec rejected {}",
                path.display()
            ),
        }
    }
    println!(
        "gas: verifyProof of {} costs {gas} gas ({MEASURED_HOW}); written into \
         ZkinferVerifier's NatSpec and recompiled in {:.2?}{}",
        path.display(),
        t.elapsed(),
        match natspec.predicted_gas {
            Some(p) => format!(" (the cost model predicted {p})"),
            None => String::new(),
        }
    );
    Ok(())
}

/// The commitment a verified EVM proof is bound to, as the chain sees it: `modelCommitment()`
/// (fixed), the parameter-hash instance (hashed) or `paramCommitment(proof)` (committed);
/// `None` for private parameters.
fn onchain_commitment(
    rpc: &RpcClient,
    address: &solidity::Address,
    art: &ProofArtifact,
    proof: &[u8],
    instances: &[Fr],
) -> Result<Option<String>> {
    use zkinfer::commitment::CommitmentKind;
    let Some(c) = &art.commitment else {
        return Ok(None);
    };
    let word = |data: Vec<u8>| -> Result<String> {
        let out = rpc.call(address, &data)?;
        if out.len() != 32 {
            bail!("the contract answered {} bytes, not a bytes32", out.len());
        }
        Ok(format!("0x{}", hex::encode(out)))
    };
    Ok(Some(match c.kind {
        CommitmentKind::Fixed => word(solidity::calldata::selector("modelCommitment()").to_vec())?,
        CommitmentKind::Committed => word(solidity::calldata::param_commitment_calldata(proof))?,
        // The parameter hash is the last instance (see `Visibilities::layout`).
        CommitmentKind::Hashed => match instances.last() {
            Some(h) => circuits::hash::fr_to_hex(h),
            None => bail!("the artifact has hashed parameters but no instances"),
        },
    }))
}

/// `zkinfer deploy-evm`.
pub fn deploy(args: &DeployArgs) -> Result<()> {
    let signer = Signer::from_hex(&args.private_key)?;
    let rpc = RpcClient::new(&args.rpc)?;
    let deployed = zkinfer::provenance::deploy_verifier(&rpc, &signer, &args.dir)?;
    for d in &deployed {
        println!(
            "  {:<22} {} (gas {})",
            d.name,
            to_hex(&d.address),
            d.gas_used
        );
    }
    let entry = deployed.last().context("nothing was deployed")?;
    println!("ZkinferVerifier deployed at {}", to_hex(&entry.address));
    Ok(())
}

/// `zkinfer encode-calldata`.
pub fn encode(args: &EncodeArgs) -> Result<()> {
    let (proof, instances, _) = evm_proof(&args.proof)?;
    let data = if args.raw {
        solidity::calldata::raw_calldata(&instances, &proof)
    } else {
        solidity::calldata::verify_proof_calldata(&proof, &instances)
    };
    println!("{}", to_hex(&data));
    Ok(())
}

/// `zkinfer verify-evm`: exit 0 iff the contract accepts.
pub fn verify(args: &VerifyArgs) -> Result<()> {
    let (proof, instances, insecure) = evm_proof(&args.proof)?;
    if insecure && !args.allow_insecure_srs {
        eprintln!(
            "WARNING: INSECURE SRS: {} says its key was made with zkinfer's locally generated \
             SRS: anyone can forge proofs the contract accepts (pass --allow-insecure-srs to \
             acknowledge)",
            args.proof.display()
        );
    }
    let address = parse_address(&args.address)?;
    let rpc = RpcClient::new(&args.rpc)?;
    let data = solidity::calldata::verify_proof_calldata(&proof, &instances);
    let output = rpc.call(&address, &data)?;
    let accepted = solidity::calldata::decode_bool(&output).with_context(|| {
        format!(
            "{} did not answer a bool (is it a ZkinferVerifier?): {}",
            args.address,
            to_hex(&output)
        )
    })?;
    let gas = rpc.estimate_gas(None, Some(&address), &data)?;
    if !accepted {
        bail!(
            "the contract at {} REJECTED {} (gas {gas}, eth_estimateGas)",
            args.address,
            args.proof.display()
        );
    }
    println!(
        "the contract at {} accepted {}{}; gas {gas} (eth_estimateGas of the verifyProof call)",
        args.address,
        args.proof.display(),
        if insecure {
            format!(" ({INSECURE_MARK})")
        } else {
            String::new()
        }
    );
    let art = ProofArtifact::load(&args.proof)?;
    let bound = onchain_commitment(&rpc, &address, &art, &proof, &instances)?;
    match (&bound, &args.commitment) {
        (Some(b), Some(want)) => {
            let want = zkinfer::commitment::parse_commitment_value(want)?;
            if *b != want {
                bail!(
                    "the contract accepted {} but it is bound to model commitment {b}, not the \
                     expected {want}",
                    args.proof.display()
                );
            }
        }
        (None, Some(_)) => bail!(
            "{} has private parameters: it is bound to no model commitment",
            args.proof.display()
        ),
        _ => {}
    }
    if let Some(b) = &bound {
        println!(
            "  bound to model commitment {b}{}",
            if args.commitment.is_some() {
                " (as expected)"
            } else {
                ""
            }
        );
    }
    Ok(())
}
