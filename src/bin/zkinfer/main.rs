//! The `zkinfer` command line: inspect, compile, set up, prove and verify ONNX inferences.

mod args;
mod commands;
mod commit;
mod evm;
mod inspect;
mod progress;
mod provenance;
mod report;
mod split;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Result;
use clap::{Parser, Subcommand};
use onnx_import::DimKey;

pub use args::{
    parse_param_visibility, parse_visibility, EvmArgs, QuantArgs, SampleArgs, VisibilityArgs,
};

/// Verifiable ONNX inference: prove that an output came from a committed model on an input.
#[derive(Parser)]
#[command(name = "zkinfer", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn parse_seed(s: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(s.trim_start_matches("0x"))
        .map_err(|e| format!("the seed must be 64 hex digits: {e}"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "the seed must be 32 bytes (64 hex digits), got {}",
            bytes.len()
        )
    })
}

#[derive(Subcommand)]
enum Command {
    /// List the supported ONNX operators by family, with the opsets and notes of each (the
    /// README's operator table; both come from the importer's op registry).
    Ops,
    /// Describe a model node by node: op, shapes, and whether zkinfer supports it.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Value of a free input dimension, NAME=VALUE (NAME is the dim_param, e.g.
        /// batch=4, or INPUT:AXIS for a dimension without one); repeatable.
        #[arg(long = "dim", value_name = "NAME=VALUE", value_parser = parse_dim)]
        dims: Vec<(DimKey, usize)>,
    },
    /// Import, calibrate and plan a model; writes settings.json and model.onnx to DIR.
    Compile {
        /// The ONNX model.
        model: PathBuf,
        #[command(flatten)]
        samples: SampleArgs,
        #[command(flatten)]
        quant: QuantArgs,
        #[command(flatten)]
        visibility: VisibilityArgs,
        #[command(flatten)]
        evm: EvmArgs,
        /// Output directory.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
    },
    /// Generate the proving and verifying keys for a compiled model; prints and records
    /// (DIR/commitment.json) the model commitment.
    Setup {
        /// Directory written by `compile`.
        dir: PathBuf,
        /// KZG parameters file (halo2 format) from a trusted setup; without it an INSECURE
        /// local SRS is generated and cached.
        #[arg(long)]
        srs: Option<PathBuf>,
        /// Cache directory for local SRS files (default: $ZKINFER_CACHE_DIR or ~/.cache/zkinfer).
        #[arg(long)]
        srs_cache: Option<PathBuf>,
        /// Accepted for symmetry with verify: setup without --srs always works (and always
        /// warns that the keys are INSECURE).
        #[arg(long)]
        allow_insecure_srs: bool,
        /// Split directories: make the aggregation keys even when their predicted memory is
        /// above this machine's (setup otherwise refuses before it starts).
        #[arg(long)]
        skip_memory_check: bool,
    },
    /// Prove one inference; writes the proof, public instances, public outputs, hashes and
    /// the model commitment to PROOF.json (never private inputs or outputs).
    Prove {
        /// Directory written by `compile` and `setup`.
        dir: PathBuf,
        /// Input file ({"inputs": {...}} or EZKL's {"input_data": [...]}).
        #[arg(long)]
        input: PathBuf,
        /// Prove with the weights of this model file (same architecture) instead of the
        /// compiled one's; for hashed, committed or private parameters only.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Where to write the proof artifact.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        /// Prove with the Keccak transcript, for EVM verification (see create-evm-verifier).
        /// It is the default when DIR was compiled for the EVM (compile --evm, settings.json
        /// has "evm"); otherwise proofs use Blake2b. Native verify accepts either.
        #[arg(long)]
        evm: bool,
        /// Blinding seed (64 hex digits) for tests: reproducible blinding (the same advice
        /// commitments; later proof bytes may still differ, both verify). The proof is then
        /// NOT zero-knowledge: anyone with the seed can strip its blinding. Default: fresh
        /// operating-system randomness (zero-knowledge).
        #[arg(long, value_name = "HEX", value_parser = parse_seed)]
        seed: Option<[u8; 32]>,
        #[command(flatten)]
        device: args::DeviceArgs,
        /// Accepted for symmetry with verify: proving with keys from the insecure local SRS
        /// always works (and always warns).
        #[arg(long)]
        allow_insecure_srs: bool,
    },
    /// Check a proof against the model's verifying key and model commitment; exit 0 iff
    /// valid and bound to the expected commitment.
    Verify {
        /// Directory holding vk.bin, srs-verifier.bin and commitment.json.
        dir: PathBuf,
        /// The proof artifact.
        #[arg(long)]
        proof: PathBuf,
        /// The model commitment (0x and 64 hex digits, as `setup` and `commit` print it)
        /// the proof must be bound to; default: DIR/commitment.json.
        #[arg(long, value_name = "0x…")]
        commitment: Option<String>,
        /// The input the proof must be about (hashed or public inputs): its hash or values
        /// are recomputed and compared; needs DIR's model.onnx and settings.json.
        #[arg(long)]
        input: Option<PathBuf>,
        /// Accept keys made with the INSECURE local SRS (setup without --srs), for tests and
        /// demos: anyone can forge proofs for them. Without it such keys are refused.
        #[arg(long)]
        allow_insecure_srs: bool,
    },
    /// compile + setup + prove + verify; writes DIR/proof.json.
    Run {
        /// The ONNX model.
        model: PathBuf,
        /// Input file; also used for calibration.
        #[arg(long)]
        input: PathBuf,
        /// Extra calibration samples; repeatable.
        #[arg(long)]
        calibration: Vec<PathBuf>,
        /// Value of a free input dimension, NAME=VALUE (NAME is the dim_param, e.g.
        /// batch=4, or INPUT:AXIS for a dimension without one); repeatable.
        #[arg(long = "dim", value_name = "NAME=VALUE", value_parser = parse_dim)]
        dims: Vec<(DimKey, usize)>,
        #[command(flatten)]
        quant: QuantArgs,
        #[command(flatten)]
        visibility: VisibilityArgs,
        /// KZG parameters file; without it an INSECURE local SRS is generated, and the
        /// verify step accepts it (marking its output INSECURE).
        #[arg(long)]
        srs: Option<PathBuf>,
        /// Cache directory for local SRS files.
        #[arg(long)]
        srs_cache: Option<PathBuf>,
        /// Output directory.
        #[arg(short = 'o', long = "out")]
        out: PathBuf,
        #[command(flatten)]
        evm: EvmArgs,
        /// Blinding seed (64 hex digits): reproducible, NOT zero-knowledge (see `prove`).
        #[arg(long, value_name = "HEX", value_parser = parse_seed)]
        seed: Option<[u8; 32]>,
        #[command(flatten)]
        device: args::DeviceArgs,
        /// Let the verify step accept keys made with the INSECURE local SRS even when --srs
        /// names a file (implied without --srs).
        #[arg(long)]
        allow_insecure_srs: bool,
    },
    /// Print the model commitment (0x…) of MODEL's weights: what proofs made with them are
    /// bound to and `verify --commitment` compares.
    Commit(commit::CommitArgs),
    /// Write the Solidity verifier of a set-up model (sources, ABI and, with a compiler,
    /// bytecode) to OUTDIR.
    CreateEvmVerifier(evm::CreateArgs),
    /// Deploy the contracts of create-evm-verifier's OUTDIR; prints the address to call.
    DeployEvm(evm::DeployArgs),
    /// Print the transaction data of a verifyProof call for an EVM proof artifact.
    EncodeCalldata(evm::EncodeArgs),
    /// Split proving: cut MODEL into segments at single-tensor boundaries (hashed between
    /// segments) and compile each; then `setup DIR`, `witness`, `prove-segment` per segment
    /// (independent jobs, e.g. on Ray: distributed/zkinfer_ray.py), `aggregate`, `verify DIR`.
    Split(split::SplitArgs),
    /// Run a split model natively once and write each segment's input to DIR/witness/.
    Witness(split::WitnessArgs),
    /// Prove one segment of a split model (Poseidon transcript, for aggregation).
    ProveSegment(split::ProveSegmentArgs),
    /// Verify every segment proof of a split model, check the boundary hashes chain, and
    /// prove it all in one aggregated proof (verified by `verify DIR` and on chain).
    Aggregate(split::AggregateArgs),
    /// Call a deployed verifier on a proof; exit 0 iff it accepts; prints the gas used.
    VerifyEvm(evm::VerifyArgs),
    /// Register DIR's model commitment in a ModelRegistry (deploying the registry and DIR's
    /// verifier when needed); prints `model id: <id>`.
    Register(provenance::RegisterArgs),
    /// Submit a proof to the registry's InferenceLog; exit 0 and print the entry when it was
    /// recorded, non-zero with the contract's reason when it was refused.
    Submit(provenance::SubmitArgs),
    /// Deprecate a registered model (its owner only): the inference log refuses new proofs
    /// for it; its entries stay.
    Deprecate(provenance::DeprecateArgs),
}

fn parse_dim(s: &str) -> std::result::Result<(DimKey, usize), String> {
    onnx_import::dims::parse_dim_arg(s)
}

fn parse_range(s: &str) -> std::result::Result<(f64, f64), String> {
    let (a, b) = s.split_once(',').ok_or("expected LO,HI")?;
    let lo: f64 = a.trim().parse().map_err(|_| format!("bad number {a:?}"))?;
    let hi: f64 = b.trim().parse().map_err(|_| format!("bad number {b:?}"))?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err("expected finite LO < HI".into());
    }
    Ok((lo, hi))
}

/// The transcript `--evm` forces (`None`: the model's default).
pub fn transcript(evm: bool) -> Option<verifier::TranscriptKind> {
    evm.then_some(verifier::TranscriptKind::Keccak)
}

/// What the last panic said (message, location, and a backtrace when `RUST_BACKTRACE` asks
/// for one), recorded by the hook instead of printed.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Replaces the default panic hook (which prints to stderr) with one that only records the
/// panic. The libraries catch halo2's panics on malformed input and report them as errors,
/// so printing them would put noise on the terminal for an input error already explained;
/// a panic nobody catches reaches [`main`], which prints one "internal error" line.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let mut text = info.payload_as_str().unwrap_or("(no message)").to_string();
        if let Some(l) = info.location() {
            text.push_str(&format!(" at {}:{}", l.file(), l.line()));
        }
        // `capture` honours RUST_BACKTRACE / RUST_LIB_BACKTRACE: disabled unless set.
        let bt = std::backtrace::Backtrace::capture();
        if bt.status() == std::backtrace::BacktraceStatus::Captured {
            text.push_str(&format!("\n{bt}"));
        }
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(text);
        }
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::FAILURE
        }
        Err(_) => {
            let detail = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_else(|| "unknown panic".into());
            eprintln!(
                "internal error: {detail}; this is a bug in zkinfer, please report it with the \
                 command line (set RUST_BACKTRACE=1 for a backtrace)"
            );
            ExitCode::from(101)
        }
    }
}

/// Runs one command.
fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Ops => {
            print!("{}", onnx_import::Registry::standard().markdown_table());
            Ok(())
        }
        Command::Inspect { model, dims } => inspect::run(model, dims),
        Command::Compile {
            model,
            samples,
            quant,
            visibility,
            evm,
            out,
        } => commands::compile(
            model,
            &samples.samples(),
            &samples.dims,
            quant,
            visibility,
            evm,
            out,
        )
        .map(|_| ()),
        Command::Setup {
            dir,
            srs,
            srs_cache,
            allow_insecure_srs: _,
            skip_memory_check,
        } if zkinfer::split::is_split_dir(dir) => split::setup(
            dir,
            srs.as_deref(),
            srs_cache.as_deref(),
            *skip_memory_check,
        ),
        Command::Setup {
            dir,
            srs,
            srs_cache,
            allow_insecure_srs: _,
            skip_memory_check: _,
        } => commands::setup(dir, srs.as_deref(), srs_cache.as_deref()).map(|_| ()),
        Command::Prove {
            dir,
            input,
            model,
            out,
            evm,
            seed,
            device,
            allow_insecure_srs: _,
        } => commands::prove(
            dir,
            input,
            model.as_deref(),
            out,
            transcript(*evm),
            *seed,
            device.device(),
        )
        .map(|_| ()),
        Command::Verify {
            dir,
            proof,
            commitment,
            input,
            allow_insecure_srs,
        } => commands::verify(
            dir,
            proof,
            commitment.as_deref(),
            input.as_deref(),
            *allow_insecure_srs,
        ),
        Command::Run {
            model,
            input,
            calibration,
            dims,
            quant,
            visibility,
            srs,
            srs_cache,
            out,
            evm,
            seed,
            device,
            allow_insecure_srs,
        } => commands::run(
            model,
            input,
            calibration,
            dims,
            quant,
            visibility,
            evm,
            srs.as_deref(),
            srs_cache.as_deref(),
            out,
            *seed,
            device.device(),
            *allow_insecure_srs,
        ),
        Command::Commit(args) => commit::run(args),
        Command::CreateEvmVerifier(args) => evm::create(args),
        Command::DeployEvm(args) => evm::deploy(args),
        Command::EncodeCalldata(args) => evm::encode(args),
        Command::Split(args) => split::split(args),
        Command::Witness(args) => split::witness(args),
        Command::ProveSegment(args) => split::prove_segment(args),
        Command::Aggregate(args) => split::aggregate(args),
        Command::VerifyEvm(args) => evm::verify(args),
        Command::Register(args) => provenance::register(args),
        Command::Submit(args) => provenance::submit(args),
        Command::Deprecate(args) => provenance::deprecate(args),
    }
}

/// The error and its causes joined by ": ", each cause once: many errors already include
/// their source's message in their own (`"cannot read f.json: No such file..."`), so a
/// cause whose text an outer message already contains is not repeated.
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn caught_panics_are_recorded_not_printed() {
        super::install_panic_hook();
        let caught = std::panic::catch_unwind(|| panic!("boom {}", 7));
        assert!(caught.is_err());
        let last = super::LAST_PANIC.lock().unwrap().take().unwrap();
        assert!(last.starts_with("boom 7 at "), "{last}");
        assert!(last.contains("main.rs"), "{last}");
        drop(std::panic::take_hook());
    }
}
