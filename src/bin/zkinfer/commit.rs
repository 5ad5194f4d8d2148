//! `zkinfer commit`: the model commitment of a weight file, without proving.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use circuits::visibility::{ParamVisibility, Visibilities, Visibility};
use clap::Args;
use zkinfer::{CommitmentKind, Compiled, ModelCommitment, Samples};

use crate::commands::{srs_source, warn_insecure};
use crate::{parse_param_visibility, parse_range, parse_visibility, QuantArgs};

/// Options of `commit`.
#[derive(Args, Debug)]
pub struct CommitArgs {
    /// The ONNX model whose weights to commit to.
    model: PathBuf,
    /// How the weights are committed: `hashed` (Poseidon hash), `committed` (digest of the
    /// weight columns' KZG commitments) or `fixed` (sha256 of the model's vk.bin).
    #[arg(long, value_parser = parse_param_visibility)]
    param_visibility: ParamVisibility,
    /// A model directory (after `compile` and, except for hashed, `setup`) of the same
    /// architecture: its quantization, circuit shape and keys are used. This is the normal
    /// case: the commitment of another weight file for a compiled architecture.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Without --dir: the input visibility to compile with (it shapes the circuit, and so a
    /// committed commitment); with --dir it must be DIR's.
    #[arg(long, value_parser = parse_visibility)]
    input_visibility: Option<Visibility>,
    /// Without --dir: the output visibility to compile with; with --dir it must be DIR's.
    #[arg(long, value_parser = parse_visibility)]
    output_visibility: Option<Visibility>,
    /// Without --dir: calibration samples, as for `compile`; repeatable.
    #[arg(long)]
    calibration: Vec<PathBuf>,
    /// Without --dir: range of the random calibration inputs used when no --calibration is
    /// given.
    #[arg(long, value_parser = parse_range, default_value = "-1,1")]
    input_range: (f64, f64),
    #[command(flatten)]
    quant: QuantArgs,
    /// Without --dir (fixed, committed): the KZG parameters file for the keys; without it an
    /// INSECURE local SRS is generated and cached, as `setup` does.
    #[arg(long)]
    srs: Option<PathBuf>,
    /// Cache directory for local SRS files.
    #[arg(long)]
    srs_cache: Option<PathBuf>,
}

/// `zkinfer commit`: prints the commitment's value alone on stdout, what it is on stderr.
pub fn run(args: &CommitArgs) -> Result<()> {
    if CommitmentKind::of(args.param_visibility).is_none() {
        bail!(
            "private parameters have no model commitment (proofs are bound to no weights): use \
             --param-visibility hashed, committed or fixed"
        );
    }
    let commitment = match &args.dir {
        Some(dir) => in_dir(args, dir)?,
        None => compiled_now(args)?,
    };
    eprintln!(
        "model commitment of {} ({}: {}):",
        args.model.display(),
        commitment.kind,
        commitment.kind.meaning()
    );
    println!("{}", commitment.value);
    Ok(())
}

/// With `--dir`: the directory's shape and keys.
fn in_dir(args: &CommitArgs, dir: &Path) -> Result<ModelCommitment> {
    let settings = Compiled::load(dir)
        .with_context(|| format!("cannot load the model directory {}", dir.display()))?
        .settings;
    let v = settings.circuit.visibility;
    let mismatch = |what: &str, given: String, found: String| {
        anyhow::anyhow!(
            "{} was compiled with {what} visibility {found}, not {given}: the commitment of \
             another visibility would bind nothing its proofs check",
            dir.display()
        )
    };
    if v.params != args.param_visibility {
        return Err(mismatch(
            "parameter",
            args.param_visibility.to_string(),
            v.params.to_string(),
        ));
    }
    for (what, given, found) in [
        ("input", args.input_visibility, v.input),
        ("output", args.output_visibility, v.output),
    ] {
        if let Some(g) = given.filter(|g| *g != found) {
            return Err(mismatch(what, g.to_string(), found.to_string()));
        }
    }
    zkinfer::commit(dir, Some(&args.model))
        .with_context(|| {
            format!(
                "cannot compute the commitment of {} with {}",
                args.model.display(),
                dir.display()
            )
        })?
        .context("the directory's parameters have no commitment")
}

/// Without `--dir`: compile with defaults (and for fixed or committed parameters, set up
/// keys in a temporary directory).
fn compiled_now(args: &CommitArgs) -> Result<ModelCommitment> {
    let samples = if args.calibration.is_empty() {
        Samples::Random {
            count: 16,
            range: args.input_range,
        }
    } else {
        Samples::Files(args.calibration.clone())
    };
    let visibility = Visibilities {
        input: args.input_visibility.unwrap_or_default(),
        output: args.output_visibility.unwrap_or_default(),
        params: args.param_visibility,
    };
    let opts = zkinfer::CompileOptions {
        calibration: args.quant.calibration(),
        quant: args.quant.fixed()?,
        layout: args.quant.layout(false),
        dims: Vec::new(),
        visibility,
        ..zkinfer::CompileOptions::default()
    };
    let compiled = zkinfer::compile(&args.model, &samples, &opts)
        .with_context(|| format!("cannot compile {}", args.model.display()))?;
    let s = &compiled.settings;
    if args.param_visibility == ParamVisibility::Hashed {
        return Ok(zkinfer::commitment::hashed(
            &compiled.graph,
            &s.quant,
            &s.circuit,
        )?);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = std::env::temp_dir().join(format!("zkinfer-commit-{}-{nanos}", std::process::id()));
    let result = (|| -> Result<ModelCommitment> {
        compiled.save(&tmp)?;
        let source = srs_source(args.srs.as_deref(), args.srs_cache.as_deref());
        if let zkinfer::SrsSource::Local { cache_dir } = &source {
            warn_insecure(&format!(
                "no --srs given, so the keys use zkinfer's locally generated SRS (cached in {})",
                cache_dir.display()
            ));
        }
        let report = zkinfer::setup(&tmp, &source)?;
        report
            .commitment
            .context("setup recorded no commitment (internal error)")
    })();
    std::fs::remove_dir_all(&tmp).ok();
    result
}
