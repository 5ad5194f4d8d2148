//! `compile`, `setup`, `prove`, `verify` and `run`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use circuits::visibility::Visibility;
use onnx_import::input_file::InputError;
use onnx_import::ir::{Graph, Tensor};
use onnx_import::DimKey;
use zkinfer::{
    CompileOptions, Compiled, Expected, ModelCommitment, ProofArtifact, ProveOptions, Samples,
    SrsSource, VerifyOptions,
};

/// Appended to every line that reports an accepted proof for an insecure key.
pub const INSECURE_MARK: &str = "INSECURE SRS: anyone can forge proofs for these keys";

/// The warning `setup` and `prove` print for keys made with the insecure local SRS;
/// `subject` says which SRS.
pub fn warn_insecure(subject: &str) {
    eprintln!(
        "WARNING: INSECURE SRS: {subject}. Its secret is public: ANYONE CAN FORGE PROOFS for \
         these keys, and `verify` refuses them unless given --allow-insecure-srs. For \
         anything but tests and demos run `setup --srs CEREMONY_FILE` with parameters from a \
         trusted setup ceremony."
    );
}

use crate::progress::Spinner;
use crate::report::{print_auto_hashed, print_calibration, print_evm_plan};
use crate::{EvmArgs, QuantArgs, VisibilityArgs};

/// Where the insecure local SRS is cached: `$ZKINFER_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/zkinfer`, else `~/.cache/zkinfer`, else `./.cache/zkinfer`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ZKINFER_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("zkinfer");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/zkinfer");
    }
    PathBuf::from(".cache/zkinfer")
}

pub fn srs_source(srs: Option<&Path>, cache: Option<&Path>) -> SrsSource {
    match srs {
        Some(p) => SrsSource::File(p.to_path_buf()),
        None => SrsSource::Local {
            cache_dir: cache
                .map(Path::to_path_buf)
                .unwrap_or_else(default_cache_dir),
        },
    }
}

/// `zkinfer compile`.
pub fn compile(
    model: &Path,
    samples: &Samples,
    dims: &[(DimKey, usize)],
    quant: &QuantArgs,
    visibility: &VisibilityArgs,
    evm: &EvmArgs,
    out: &Path,
) -> Result<Compiled> {
    let (layout, evm_opts) = evm.plan(quant)?;
    let opts = CompileOptions {
        calibration: quant.calibration(),
        quant: quant.fixed()?,
        layout,
        dims: dims.to_vec(),
        visibility: visibility.visibilities(),
        evm: evm_opts,
        auto_visibility: visibility.auto(),
    };
    let compiled = zkinfer::compile(model, samples, &opts)
        .with_context(|| format!("cannot compile {}", model.display()))?;
    compiled
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    for d in &compiled.settings.dims {
        println!("dim {d}");
    }
    print_calibration(&compiled, layout);
    print_evm_plan(&compiled, layout);
    print_auto_hashed(&compiled);
    println!(
        "visibility: {} ({} public instances)",
        zkinfer::settings::describe_visibility(&compiled.settings.circuit.visibility),
        compiled.settings.num_instances
    );
    println!("compiled {} into {}", model.display(), out.display());
    Ok(compiled)
}

/// `zkinfer setup`; returns the model commitment (`None` for private parameters).
pub fn setup(
    dir: &Path,
    srs: Option<&Path>,
    cache: Option<&Path>,
) -> Result<Option<ModelCommitment>> {
    let source = srs_source(srs, cache);
    if let SrsSource::Local { cache_dir } = &source {
        warn_insecure(&format!(
            "no --srs given, so the keys use zkinfer's locally generated SRS (cached in {})",
            cache_dir.display()
        ));
    }
    let spinner = Spinner::new();
    let report = zkinfer::setup_with(dir, &source, &|s| spinner.stage(s))
        .with_context(|| format!("setup of {} failed", dir.display()));
    spinner.finish();
    let report = report?;
    if report.insecure_srs && srs.is_some() {
        warn_insecure(&format!(
            "{} is zkinfer's locally generated SRS (recognized by its s·g2)",
            report.srs_path.display()
        ));
    }
    println!(
        "keys written to {} (k = {}, SRS {}{}{})",
        dir.display(),
        report.k,
        report.srs_path.display(),
        if report.srs_generated {
            ", generated now"
        } else {
            ""
        },
        if report.insecure_srs {
            format!("; {INSECURE_MARK}")
        } else {
            String::new()
        }
    );
    match &report.commitment {
        Some(c) => {
            println!(
                "model commitment ({}: {}): {}",
                c.kind,
                c.kind.meaning(),
                c.value
            );
            if c.kind != zkinfer::CommitmentKind::Fixed {
                println!(
                    "  (recorded in {}; these keys serve every model of this architecture: \
                     `zkinfer commit OTHER.onnx --dir {} --param-visibility {}` prints another \
                     weight file's commitment)",
                    dir.join(zkinfer::files::COMMITMENT).display(),
                    dir.display(),
                    c.kind
                );
            }
        }
        None => println!(
            "no model commitment: the parameters are private, so proofs are bound to no weights, \
             only to this architecture (verifying key sha256 {})",
            report.vk_digest
        ),
    }
    Ok(report.commitment)
}

fn read_inputs(dir: &Path, input: &Path) -> Result<(Compiled, Vec<Tensor>)> {
    // A split model's inputs are its first segment's.
    let compiled = if zkinfer::split::is_split_dir(dir) {
        let m = zkinfer::split::SplitManifest::read(dir)?;
        Compiled::load(&m.segment_dir(dir, 0)?)?
    } else {
        Compiled::load(dir)?
    };
    let inputs = match onnx_import::input_file::read_inputs(input, &compiled.graph) {
        Ok(i) => i,
        Err(e @ (InputError::Shape { .. } | InputError::Length { .. })) => {
            return Err(anyhow::anyhow!(
                "cannot read inputs from {}: {e}{}",
                input.display(),
                zkinfer::pipeline::dims_note(&compiled.settings)
            ))
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot read inputs from {}", input.display())))
        }
    };
    Ok((compiled, inputs))
}

/// `zkinfer prove`; `model` gives other weights (same architecture), `transcript` forces a
/// transcript (default: Keccak for a model compiled for the EVM, else Blake2b).
pub fn prove(
    dir: &Path,
    input: &Path,
    model: Option<&Path>,
    out: &Path,
    transcript: Option<verifier::TranscriptKind>,
    seed: Option<[u8; 32]>,
    device: zkinfer::Device,
) -> Result<ProofArtifact> {
    let (compiled, inputs) = read_inputs(dir, input)?;
    let transcript = match transcript {
        Some(t) => t,
        None => {
            let t = zkinfer::default_transcript(&compiled.settings);
            if t == verifier::TranscriptKind::Keccak {
                println!(
                    "transcript: keccak ({} was compiled for the EVM: the on-chain verifier \
                     recomputes it; native verify accepts it too)",
                    dir.display()
                );
            }
            t
        }
    };
    if seed.is_some() {
        eprintln!(
            "warning: --seed makes the blinding reproducible: this proof is NOT \
             zero-knowledge (anyone with the seed can strip its blinding); use it for tests only"
        );
    }
    let spinner = Spinner::new();
    let opts = ProveOptions {
        transcript,
        seed,
        device,
        ..ProveOptions::default()
    };
    let proved = zkinfer::prove_with_model(dir, model, &inputs, &opts, &|s| spinner.stage(s));
    spinner.finish();
    let proved = proved.with_context(|| format!("proving with {} failed", dir.display()))?;
    print_proved_on(&proved.proved_on);
    let art = proved.artifact;
    if art.insecure_srs {
        warn_insecure(&format!(
            "the keys in {} were made with zkinfer's locally generated SRS",
            dir.display()
        ));
    }
    art.save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    let visibility = compiled.settings.circuit.visibility;
    // The prover's own outputs, computed with the weights proved with.
    let graph = match model {
        Some(m) => Compiled::load(dir)?.with_weights(m)?.graph,
        None => compiled.graph,
    };
    let note = match visibility.output {
        Visibility::Public => "",
        Visibility::Private => "  [private: NOT in the proof]",
        Visibility::Hashed => "  [hashed: only the hash is in the proof]",
    };
    print_outputs(&graph, &proved.outputs, Some(&inputs), note);
    print_binding(&art.commitment, &art.hashes);
    println!(
        "proof written to {} ({} bytes)",
        out.display(),
        art.proof.len() / 2
    );
    Ok(art)
}

/// Says which backend proved, and why `--device auto` did not use the GPU: on stdout when
/// that is expected (no CUDA build, a model the GPU may not prove), as a warning when a GPU
/// was there and failed or did not answer.
fn print_proved_on(on: &zkinfer::ProvedOn) {
    use zkinfer::CpuFallback;
    match &on.fallback {
        None => println!("device: {}", on.backend),
        Some(why @ (CpuFallback::NotBuilt | CpuFallback::SecretWitness { .. })) => {
            println!("device: {} (auto: {why})", on.backend)
        }
        Some(why) => {
            println!("device: {}", on.backend);
            eprintln!("warning: --device auto proved on the CPU: {why}");
        }
    }
}

/// Prints the model commitment a proof is bound to and its hashes.
fn print_binding(commitment: &Option<ModelCommitment>, hashes: &zkinfer::Hashes) {
    match commitment {
        Some(c) => println!("  bound to model commitment ({}): {}", c.kind, c.value),
        None => println!("  bound to no model commitment (private parameters)"),
    }
    for (what, h) in [
        ("input", &hashes.input),
        ("output", &hashes.output),
        ("params", &hashes.params),
    ] {
        if let Some(h) = h {
            println!("  {what} hash: {h}");
        }
    }
}

/// `zkinfer verify`; `allow_insecure_srs` accepts keys made with the insecure local SRS,
/// `commitment` is the expected model commitment (default: DIR/commitment.json), `input`
/// an input file the proof must be about.
pub fn verify(
    dir: &Path,
    proof: &Path,
    commitment: Option<&str>,
    input: Option<&Path>,
    allow_insecure_srs: bool,
) -> Result<()> {
    let art = ProofArtifact::load(proof)?;
    let options = VerifyOptions { allow_insecure_srs };
    let inputs = match input {
        Some(p) => Some(read_inputs(dir, p)?.1),
        None => None,
    };
    let expected = Expected {
        commitment: commitment.map(str::to_string),
        inputs,
    };
    let verified = zkinfer::verify_expecting(dir, &art, &options, &expected).map_err(|e| {
        let refused = matches!(
            e,
            zkinfer::Error::Verify(verifier::VerifyError::InsecureSrs { .. })
        );
        let context = if refused {
            format!(
                "refusing to verify {} with the keys in {}",
                proof.display(),
                dir.display()
            )
        } else {
            format!(
                "{} is NOT a valid proof for {}",
                proof.display(),
                dir.display()
            )
        };
        anyhow::Error::new(e).context(context)
    })?;
    println!(
        "proof {} is valid for the model in {}{}",
        proof.display(),
        dir.display(),
        if verified.insecure_srs {
            format!(" ({INSECURE_MARK})")
        } else {
            String::new()
        }
    );
    for (name, t) in &art.outputs {
        println!("  output {name:?} {:?}: {}", t.shape, preview(&t.data));
    }
    print_binding(&verified.commitment, &verified.hashes);
    if let Some(from) = &verified.commitment_checked_against {
        println!("  the model commitment matches {from}");
    }
    if verified.inputs_checked {
        println!("  the proof is about the given input");
    }
    Ok(())
}

fn preview(xs: &[f64]) -> String {
    let shown: Vec<String> = xs.iter().take(12).map(|x| format!("{x:.4}")).collect();
    let more = if xs.len() > 12 {
        format!(", … ({} values)", xs.len())
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// Prints the prover's outputs (each line ending in `note`) and, when the inputs are known,
/// their error against float.
fn print_outputs(
    graph: &Graph,
    outputs: &BTreeMap<String, Tensor>,
    inputs: Option<&[Tensor]>,
    note: &str,
) {
    let floats = inputs.and_then(|i| onnx_import::eval::eval_graph(graph, i).ok());
    for (o, &id) in graph.outputs.iter().enumerate() {
        let name = &graph.values[id].name;
        let Some(t) = outputs.get(name) else {
            continue;
        };
        println!(
            "  output {name:?} {:?}: {}{note}",
            t.shape,
            preview(&t.data)
        );
        if let Some(f) = floats.as_ref().and_then(|f| f.get(o)) {
            let (mut num, mut den, mut max) = (0.0f64, 0.0f64, 0.0f64);
            for (g, w) in t.data.iter().zip(&f.data) {
                num += (g - w) * (g - w);
                den += w * w;
                max = max.max((g - w).abs());
            }
            let rel = if den > 0.0 {
                (num / den).sqrt()
            } else {
                num.sqrt()
            };
            println!("    vs float: max abs error {max:.3e}, relative L2 error {rel:.3e}");
        }
    }
}

/// `zkinfer run`: compile, setup, prove and verify in one go. Without `srs` the keys use
/// the insecure local SRS and the verify step accepts them (marking its output INSECURE);
/// with `srs`, only if `allow_insecure_srs`.
#[allow(clippy::too_many_arguments)]
pub fn run(
    model: &Path,
    input: &Path,
    calibration: &[PathBuf],
    dims: &[(DimKey, usize)],
    quant: &QuantArgs,
    visibility: &VisibilityArgs,
    evm: &EvmArgs,
    srs: Option<&Path>,
    cache: Option<&Path>,
    out: &Path,
    seed: Option<[u8; 32]>,
    device: zkinfer::Device,
    allow_insecure_srs: bool,
) -> Result<()> {
    let mut times = Vec::new();
    let t = Instant::now();
    println!("[1/4] compile");
    let mut files = vec![input.to_path_buf()];
    files.extend(calibration.iter().cloned());
    compile(
        model,
        &Samples::Files(files),
        dims,
        quant,
        visibility,
        evm,
        out,
    )?;
    times.push(("compile", t.elapsed()));
    let t = Instant::now();
    println!("[2/4] setup");
    setup(out, srs, cache)?;
    times.push(("setup", t.elapsed()));
    let t = Instant::now();
    println!("[3/4] prove");
    let proof_path = out.join("proof.json");
    prove(
        out,
        input,
        None,
        &proof_path,
        crate::transcript(evm.evm),
        seed,
        device,
    )?;
    times.push(("prove", t.elapsed()));
    let t = Instant::now();
    println!("[4/4] verify");
    let verified = verify(
        out,
        &proof_path,
        None,
        None,
        allow_insecure_srs || srs.is_none(),
    );
    times.push(("verify", t.elapsed()));
    let settings = Compiled::load(out)?.settings;
    println!("k = {}", settings.circuit.k);
    for (step, d) in &times {
        println!("  {step:<8} {:>8.2} s", d.as_secs_f64());
    }
    if let Err(e) = verified {
        bail!("the proof did not verify: {e:#}");
    }
    Ok(())
}
