//! The backend flow of on-chain provenance, with the `zkinfer` library: compile a model for
//! the EVM, set it up, prove an input, generate and compile its verifier, register the model
//! in a ModelRegistry and submit the proof to its InferenceLog. See README.md beside this file.
//!
//! ```sh
//! cargo run --release --example provenance -- --rpc http://127.0.0.1:8545 \
//!     --private-key 0xac09…ff80 [--registry 0x…] [--out target/provenance-demo]
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use solidity::rpc::{parse_address, to_hex, RpcClient};
use solidity::tx::Signer;
use solidity::{find_solc, Bundle};
use zkinfer::provenance::{self, RegisterOptions, Submission};
use zkinfer::{
    compile, prove_with, setup, AutoVisibility, CompileOptions, EvmOptions, Layout, ProveOptions,
    Samples, SrsSource, TranscriptKind, VerifierKey,
};

struct Args {
    rpc: String,
    key: String,
    registry: Option<String>,
    out: PathBuf,
    solc: Option<PathBuf>,
}

fn args() -> Result<Args> {
    let mut a = Args {
        rpc: String::new(),
        key: String::new(),
        registry: None,
        out: PathBuf::from("target/provenance-demo"),
        solc: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--rpc" => a.rpc = value()?,
            "--private-key" => a.key = value()?,
            "--registry" => a.registry = Some(value()?),
            "--out" => a.out = PathBuf::from(value()?),
            "--solc" => a.solc = Some(PathBuf::from(value()?)),
            other => bail!("unknown argument {other}; see examples/provenance/README.md"),
        }
    }
    if a.rpc.is_empty() || a.key.is_empty() {
        bail!("usage: provenance --rpc URL --private-key KEY [--registry ADDR] [--out DIR] [--solc PATH]");
    }
    Ok(a)
}

fn main() -> Result<()> {
    let a = args()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = root.join("examples/digits_mlp16/network.onnx");
    let input = root.join("examples/digits_mlp16/input.json");
    let dir = &a.out;
    let t = Instant::now();

    // 1. Compile for the EVM (the planner picks the layout; the proof is bound to the
    //    weights through the verifier's key) and set up. The local SRS is INSECURE: use
    //    SrsSource::File with a ceremony's parameters for anything real.
    let compiled = compile(
        &model,
        &Samples::Files(vec![input.clone()]),
        &CompileOptions {
            // The EVM planner's layout (lowest verify gas plus weighted prove time).
            layout: Layout::Evm,
            evm: Some(EvmOptions::default()),
            // As `compile --evm` without --input/--output-visibility: parts with many
            // values (the 64 pixels) become hashed, one instance each.
            auto_visibility: AutoVisibility {
                input: true,
                output: true,
            },
            ..CompileOptions::default()
        },
    )?;
    compiled.save(dir)?;
    setup(
        dir,
        &SrsSource::Local {
            cache_dir: root.join("target/test-srs-cache"),
        },
    )?;
    println!(
        "compiled and set up {} in {:.1?}",
        dir.display(),
        t.elapsed()
    );

    // 2. Prove one input with the Keccak transcript the EVM verifier recomputes.
    let inputs = onnx_import::input_file::read_inputs(&input, &compiled.graph)?;
    let opts = ProveOptions {
        transcript: TranscriptKind::Keccak,
        ..ProveOptions::default()
    };
    let proof = prove_with(dir, &inputs, &opts, &prover::no_progress)?;
    proof.save(&dir.join("proof.json"))?;
    println!("proved: outputs {:?}", proof.outputs);

    // 3. The verifier contracts, compiled with solc 0.8.19 (.tools/bin/solc from
    //    .ci/install-evm-tools.sh, or --solc / $ZKINFER_SOLC / solc on PATH).
    let local = root.join(".tools/bin/solc");
    let solc = find_solc(
        a.solc
            .as_deref()
            .or(local.is_file().then_some(local.as_path())),
    )
    .context("no solc 0.8.19: run .ci/install-evm-tools.sh or pass --solc PATH")?;
    let key = VerifierKey::from_bytes_with(
        &std::fs::read(dir.join("vk.bin"))?,
        &std::fs::read(dir.join("srs-verifier.bin"))?,
        &verifier::KeyOptions {
            allow_insecure_srs: true,
        },
    )?;
    let generated = solidity::generate_verifier(key.params(), key.halo2_vk(), key.num_instances())?;
    Bundle::new(&generated, key.digest(), Some(&solc))?.write(&dir.join("evm"))?;

    // 4. Register the model (deploys the registry and the verifier when needed).
    let rpc = RpcClient::new(&a.rpc)?;
    let signer = Signer::from_hex(&a.key)?;
    let reg = provenance::register(
        dir,
        &rpc,
        &signer,
        &RegisterOptions {
            registry: a.registry.as_deref().map(parse_address).transpose()?,
            allow_insecure_srs: true, // the demo's local SRS
            name: Some("digits_mlp16".into()),
            ..RegisterOptions::default()
        },
    )?;
    println!(
        "registry {} (log {}), verifier {}\nmodel id: {}",
        to_hex(&reg.registry),
        to_hex(&reg.inference_log),
        to_hex(&reg.verifier),
        reg.model_id
    );

    // 5. Submit the proof to the log.
    match provenance::submit(&reg.registry, reg.model_id, &proof, &rpc, &signer)? {
        Submission::Recorded {
            entry_id,
            entry,
            gas_used,
            ..
        } => println!(
            "recorded: entry {entry_id} (input hash {}, output hash {}, gas {gas_used})",
            to_hex(&entry.input_hash),
            to_hex(&entry.output_hash)
        ),
        Submission::Refused(reason) => bail!("the log refused the proof: {reason}"),
    }
    println!("done in {:.1?}", t.elapsed());
    Ok(())
}
