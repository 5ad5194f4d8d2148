//! Split proving: `split`, `witness`, `prove-segment` and `aggregate` (`setup` and `verify`
//! recognize a split directory by its `split.json`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use zkinfer::split::{self, SplitBudget, SplitManifest, SplitOptions};
use zkinfer::{CompileOptions, ProveOptions};

use crate::commands::{srs_source, warn_insecure, INSECURE_MARK};
use crate::progress::Spinner;
use crate::{parse_seed, QuantArgs, SampleArgs, VisibilityArgs};

/// `zkinfer split`.
#[derive(Args)]
pub struct SplitArgs {
    /// The ONNX model.
    model: PathBuf,
    /// Number of segments (2 or more): the model is cut where one tensor crosses between
    /// nodes, so that the largest segment's predicted prove time is as small as possible.
    #[arg(long, required_unless_present_any = ["max_rows", "max_memory"], conflicts_with_all = ["max_rows", "max_memory"])]
    segments: Option<usize>,
    /// Instead of --segments: as few segments as possible whose circuits have at most this
    /// many rows each (2^k; e.g. 65536). When no cut between nodes fits, convolutions (with
    /// the per-channel ops after them) are split into 2, 3, ... groups of output channels
    /// (up to 8) that separate segments can prove.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "max_memory")]
    max_rows: Option<u64>,
    /// Instead of --segments: as few segments as possible whose predicted peak proving
    /// memory is at most this much each (bytes, or with K, M, G: 512M, 2G); convolutions
    /// are split into channel groups as with --max-rows when no cut between nodes fits.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Calibration of the whole model, as for `compile`.
    #[command(flatten)]
    samples: SampleArgs,
    #[command(flatten)]
    quant: QuantArgs,
    #[command(flatten)]
    visibility: VisibilityArgs,
    /// Output (split) directory.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
}

/// A byte count: digits with an optional K, M or G suffix (powers of 1024; `B`/`iB` after
/// it are accepted).
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("expected a size such as 512M or 2G, got {s:?}"))?;
    n.checked_mul(1 << shift)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("size {s:?} is zero or too large"))
}

/// `zkinfer witness`.
#[derive(Args)]
pub struct WitnessArgs {
    /// The split directory.
    dir: PathBuf,
    /// The model's input file.
    #[arg(long)]
    input: PathBuf,
}

/// `zkinfer prove-segment`.
#[derive(Args)]
pub struct ProveSegmentArgs {
    /// The split directory (only split.json and segments/<I>/ are read).
    dir: PathBuf,
    /// The segment to prove (0-based).
    #[arg(long)]
    segment: usize,
    /// The segment's input: DIR/witness/segment-<I>.json from `zkinfer witness`, or the
    /// model's input file (the segments before I are then run natively, which needs their
    /// directories).
    #[arg(long)]
    input: PathBuf,
    /// Where to write the segment proof (default: DIR/proofs/segment-<I>.json).
    #[arg(short = 'o', long = "out")]
    out: Option<PathBuf>,
    /// Blinding seed (64 hex digits): reproducible, NOT zero-knowledge (see `prove`).
    #[arg(long, value_name = "HEX", value_parser = parse_seed)]
    seed: Option<[u8; 32]>,
}

/// `zkinfer aggregate`.
#[derive(Args)]
pub struct AggregateArgs {
    /// The split directory, with every segment's proof in DIR/proofs/.
    dir: PathBuf,
    /// Where to write the aggregated proof artifact.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Blinding seed (64 hex digits): reproducible, NOT zero-knowledge (see `prove`).
    #[arg(long, value_name = "HEX", value_parser = parse_seed)]
    seed: Option<[u8; 32]>,
}

/// `zkinfer split`.
pub fn split(a: &SplitArgs) -> Result<()> {
    let samples = a.samples.samples();
    let budget = match (a.segments, a.max_rows, a.max_memory) {
        (Some(n), _, _) => SplitBudget::Segments(n),
        (_, Some(r), _) => SplitBudget::MaxRows(r),
        (_, _, Some(m)) => SplitBudget::MaxMemory(m),
        (None, None, None) => anyhow::bail!("give --segments, --max-rows or --max-memory"),
    };
    let opts = SplitOptions {
        budget,
        compile: CompileOptions {
            calibration: a.quant.calibration(),
            quant: a.quant.fixed()?,
            layout: a.quant.layout(false),
            dims: a.samples.dims.clone(),
            visibility: a.visibility.visibilities(),
            ..CompileOptions::default()
        },
    };
    let t0 = Instant::now();
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "  costing candidate segments {pos}/{len} ({elapsed})",
    ) {
        bar.set_style(style);
    }
    let m = split::split_with(&a.model, &samples, &opts, &a.out, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .with_context(|| format!("cannot split {}", a.model.display()))?;
    bar.finish_and_clear();
    println!(
        "split {} into {} segments in {} ({:.1} s):",
        a.model.display(),
        m.segments.len(),
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    if m.channel_groups > 1 {
        println!(
            "  (no cut between nodes met {budget}: every convolution was split into {} \
             groups of output channels, {}/{})",
            m.channel_groups,
            a.out.display(),
            split::files::CHANNELS_MODEL
        );
    }
    print_segments(&m);
    println!("{}", describe_aggregation(&m));
    println!(
        "next: `zkinfer setup {}`, then `zkinfer witness {} --input INPUT.json` and \
         `zkinfer prove-segment {} --segment I --input {}/witness/segment-I.json` for each \
         segment (or distributed/zkinfer_ray.py), then `zkinfer aggregate`",
        a.out.display(),
        a.out.display(),
        a.out.display(),
        a.out.display()
    );
    Ok(())
}

fn print_segments(m: &SplitManifest) {
    for s in &m.segments {
        println!(
            "  segment {}: nodes {}..{}, {} {:?} -> {} {:?}, k = {}, {} columns, predicted \
             prove {:.1} s, about {} MiB",
            s.index,
            s.nodes[0],
            s.nodes[1],
            s.input.name,
            s.input.shape,
            s.output.name,
            s.output.shape,
            s.k,
            s.columns,
            s.predicted_prove_s,
            s.predicted_prove_bytes >> 20
        );
    }
}

/// This machine's physical memory in bytes (`MemTotal` of /proc/meminfo), if known.
fn total_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// One line on what aggregating the segments of `m` will cost.
fn describe_aggregation(m: &SplitManifest) -> String {
    let c = m.predicted_aggregation();
    format!(
        "aggregation (setup and aggregate, one job): predicted about {:.0}M cells, {:.1} GiB \
         and {:.0} s on two cores",
        c.cells / 1e6,
        c.bytes / 1_073_741_824.0,
        c.seconds
    )
}

/// `zkinfer setup` on a split directory; refuses (unless `skip_memory_check`) when the
/// aggregation's predicted memory is above this machine's, which would end in the kernel
/// killing it after minutes of work.
pub fn setup(
    dir: &Path,
    srs: Option<&Path>,
    cache: Option<&Path>,
    skip_memory_check: bool,
) -> Result<()> {
    let m = SplitManifest::read(dir).with_context(|| format!("cannot set up {}", dir.display()))?;
    eprintln!("{}", describe_aggregation(&m));
    let predicted = m.predicted_aggregation().bytes;
    if let Some(total) = total_memory().filter(|_| !skip_memory_check) {
        if predicted > total as f64 {
            anyhow::bail!(
                "the aggregation of {}'s {} segments is predicted to need {:.1} GiB, more than \
                 this machine's {:.1} GiB: run setup on a larger machine, or split into \
                 narrower segments (`--layout gas` or `speed`: the aggregation grows with \
                 each segment's columns, {} in all here); --skip-memory-check tries anyway",
                dir.display(),
                m.segments.len(),
                predicted / 1_073_741_824.0,
                total as f64 / 1_073_741_824.0,
                m.segments.iter().map(|s| s.columns).sum::<usize>()
            );
        }
    }
    let source = srs_source(srs, cache);
    if let zkinfer::SrsSource::Local { cache_dir } = &source {
        warn_insecure(&format!(
            "no --srs given, so the keys use zkinfer's locally generated SRS (cached in {})",
            cache_dir.display()
        ));
    }
    let t0 = Instant::now();
    let report = split::setup_split(dir, &source, &|msg| {
        eprintln!("  [{:7.1} s] {msg}", t0.elapsed().as_secs_f64())
    })
    .with_context(|| format!("setup of {} failed", dir.display()))?;
    for (i, s) in report.segments.iter().enumerate() {
        println!(
            "  segment {i}: k = {}, keys in {:.1} s",
            s.k,
            s.keygen_time.as_secs_f64()
        );
    }
    println!(
        "aggregation: k = {}, {} advice + {} lookup columns, keys in {:.1} s",
        report.aggregation_k,
        report.aggregation_advice,
        report.aggregation_lookup,
        report.aggregation_time.as_secs_f64()
    );
    println!(
        "keys written to {}{}",
        dir.display(),
        if report.insecure_srs {
            format!(" ({INSECURE_MARK})")
        } else {
            String::new()
        }
    );
    println!(
        "model commitment (fixed: sha256 of {}): {}",
        dir.join(zkinfer::files::VK).display(),
        report.commitment.value
    );
    Ok(())
}

/// `zkinfer witness`.
pub fn witness(a: &WitnessArgs) -> Result<()> {
    let m = SplitManifest::read(&a.dir)?;
    let first = zkinfer::Compiled::load(&m.segment_dir(&a.dir, 0)?)?;
    let inputs = onnx_import::input_file::read_inputs(&a.input, &first.graph)
        .with_context(|| format!("cannot read inputs from {}", a.input.display()))?;
    let paths = split::witness(&a.dir, &inputs)
        .with_context(|| format!("cannot run {} on {}", a.dir.display(), a.input.display()))?;
    for (i, p) in paths.iter().enumerate() {
        println!("segment {i} input: {}", p.display());
    }
    Ok(())
}

/// Peak resident memory of this process so far (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// `zkinfer prove-segment`.
pub fn prove_segment(a: &ProveSegmentArgs) -> Result<()> {
    if a.seed.is_some() {
        eprintln!("warning: --seed makes the blinding reproducible: NOT zero-knowledge");
    }
    let spinner = Spinner::new();
    let opts = ProveOptions {
        seed: a.seed,
        device: zkinfer::Device::Cpu,
        ..ProveOptions::default()
    };
    let done = split::prove_segment(&a.dir, a.segment, &a.input, &opts, &|s| spinner.stage(s));
    spinner.finish();
    let done = done.with_context(|| {
        format!(
            "proving segment {} of {} failed",
            a.segment,
            a.dir.display()
        )
    })?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| split::segment_proof_path(&a.dir, a.segment));
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let art = &done.proved.artifact;
    art.save(&out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if art.insecure_srs {
        warn_insecure("the segment keys were made with zkinfer's locally generated SRS");
    }
    println!(
        "segment {} proved in {:.2} s (peak RSS {}), proof written to {} ({} bytes)",
        a.segment,
        done.prove_time.as_secs_f64(),
        peak_rss_mib().map_or_else(|| "unknown".into(), |m| format!("{m:.0} MiB")),
        out.display(),
        art.proof.len() / 2
    );
    for (what, h) in [("input", &art.hashes.input), ("output", &art.hashes.output)] {
        if let Some(h) = h {
            println!("  {what} hash: {h}");
        }
    }
    Ok(())
}

/// `zkinfer aggregate`.
pub fn aggregate(a: &AggregateArgs) -> Result<()> {
    if a.seed.is_some() {
        eprintln!("warning: --seed makes the blinding reproducible: NOT zero-knowledge");
    }
    let t0 = Instant::now();
    let report = split::aggregate_with(&a.dir, a.seed, &|msg| {
        eprintln!("  [{:7.1} s] {msg}", t0.elapsed().as_secs_f64())
    })
    .with_context(|| {
        format!(
            "aggregating the segment proofs of {} failed",
            a.dir.display()
        )
    })?;
    let art = &report.artifact;
    art.save(&a.out)
        .with_context(|| format!("cannot write {}", a.out.display()))?;
    println!(
        "aggregated {} segment proofs in {:.1} s (checks {:.1} s, proof {:.1} s; peak RSS {}); \
         proof written to {} ({} bytes)",
        report.segments,
        t0.elapsed().as_secs_f64(),
        report.check_time.as_secs_f64(),
        report.prove_time.as_secs_f64(),
        peak_rss_mib().map_or_else(|| "unknown".into(), |m| format!("{m:.0} MiB")),
        a.out.display(),
        art.proof.len() / 2
    );
    for (name, t) in &art.outputs {
        let shown: Vec<String> = t.data.iter().take(10).map(|x| format!("{x:.4}")).collect();
        println!("  output {name:?} {:?}: {}", t.shape, shown.join(", "));
    }
    if let Some(c) = &art.commitment {
        println!("  bound to model commitment ({}): {}", c.kind, c.value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_suffixes_and_refuse_junk() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("1000"), Ok(1000));
        for bad in ["", "0", "0M", "G", "1.5G", "-1M", "99999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }
}
