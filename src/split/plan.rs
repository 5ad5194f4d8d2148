//! `split`: cut a model at single-tensor boundaries into segments of balanced predicted
//! prove time, and compile each as a model directory with hashed boundaries; inside
//! convolutions too (in channel groups) when a budget needs it.

use std::path::Path;

use circuits::calibrate::float_outputs;
use circuits::halo2::{predicted_prove_peak_bytes, predicted_prove_seconds};
use circuits::visibility::{ParamVisibility, Visibilities, Visibility};
use onnx_import::ir::Tensor;
use onnx_import::split::{channel_chains, cut_points, extract, split_channels};
use prover::fsutil::sha256_hex;

use super::choose::{choose, fewest_elements, Cost};
use super::{create_dir, files, SegmentInfo, SplitManifest, SPLIT_FORMAT, SPLIT_VERSION};
use crate::compile::{compile_bytes, resolve_samples, CompileOptions, Compiled, Samples};
use crate::error::{Error, Result};
use crate::settings::TensorSpec;

/// How [`split`] decides how many segments to make.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SplitBudget {
    /// Exactly this many segments (2 or more), the largest predicted prove time minimized.
    Segments(usize),
    /// As few segments as possible (2 or more) whose circuits each have at most this many
    /// rows (`2^k`); among those, the largest predicted prove time minimized.
    MaxRows(u64),
    /// As few segments as possible (2 or more) whose predicted peak proving memory
    /// ([`predicted_prove_peak_bytes`]) is at most this many bytes each; among those, the
    /// largest predicted prove time minimized.
    MaxMemory(u64),
}

impl Default for SplitBudget {
    fn default() -> Self {
        Self::Segments(2)
    }
}

impl std::fmt::Display for SplitBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Segments(n) => write!(f, "--segments {n}"),
            Self::MaxRows(r) => write!(f, "--max-rows {r}"),
            Self::MaxMemory(b) => write!(f, "--max-memory {} MiB", b >> 20),
        }
    }
}

/// Knobs of [`split`].
#[derive(Clone, Debug, Default)]
pub struct SplitOptions {
    /// How many segments to make.
    pub budget: SplitBudget,
    /// How the whole model is compiled first (calibration, scales, dimension bindings,
    /// layout) and what the aggregated proof reveals of its inputs and outputs
    /// (`visibility.input` / `visibility.output`; parameters must be fixed).
    pub compile: CompileOptions,
}

/// Above this many pieces only the cut points with the smallest boundary tensors are
/// kept, so that costing every candidate segment stays at most `16·17/2` compilations.
pub const MAX_PIECES: usize = 16;

/// Imports and calibrates the model at `model_path` on `samples`, cuts it into segments
/// as `opts.budget` asks (see [`split_with`]) and writes the split directory `out`.
pub fn split(
    model_path: &Path,
    samples: &Samples,
    opts: &SplitOptions,
    out: &Path,
) -> Result<SplitManifest> {
    split_with(model_path, samples, opts, out, &|_, _| {})
}

/// [`split`], calling `progress(done, total)` as candidate segments are costed.
///
/// The model is compiled whole once (its `QuantParams` serve every segment). Every
/// candidate segment (each run of consecutive pieces between the model's cut points) is
/// then compiled on its own, with hashed boundaries, and costed from its circuit: rows,
/// predicted prove time and memory. Costing the real circuit matters because a boundary's
/// hash is part of both segments' cost (a cut where a large activation crosses can make
/// both sides bigger than the whole model) and because rows come in powers of two. The
/// segments are then the partition that meets `opts.budget` with the smallest largest
/// predicted prove time (an exact dynamic program over the candidates), each compiled with
/// the whole model's quantization and saved as a model directory. Returns the manifest
/// written to `out/split.json`.
///
/// When a `MaxRows` / `MaxMemory` budget is met by no cut between nodes, the convolutions
/// are split into channel groups ([`onnx_import::split::split_channels`]: each group's
/// carry of the input and the channels so far is a new cut point) and the plan is made
/// again on that model, with 2, 3, ... up to [`MAX_CHANNEL_GROUPS`] groups, until the budget
/// is met; the segments are then cut from the rewritten model (`model-channels.onnx`,
/// [`SplitManifest::channel_groups`]), which computes exactly what the original does.
pub fn split_with(
    model_path: &Path,
    samples: &Samples,
    opts: &SplitOptions,
    out: &Path,
    progress: &dyn Fn(usize, usize),
) -> Result<SplitManifest> {
    match opts.budget {
        SplitBudget::Segments(n) if n < 2 => {
            return Err(Error::SplitSegments {
                requested: n,
                possible: None,
            })
        }
        _ => {}
    }
    if opts.compile.visibility.params != ParamVisibility::Fixed {
        return Err(Error::SplitParams {
            params: opts.compile.visibility.params,
        });
    }
    let source = model_path.display().to_string();
    let bytes = std::fs::read(model_path).map_err(|e| Error::Io {
        path: model_path.to_path_buf(),
        source: e,
    })?;
    let whole = crate::compile::compile(model_path, samples, &opts.compile)?;
    let mut quant = whole.settings.quant.clone();
    // Table ranges are keyed by node index: each segment fits its own.
    quant.ranges.clear();
    let samples = resolve_samples(samples, &whole.graph)?;
    let vis = whole.settings.circuit.visibility;
    let env = Env {
        source: &source,
        samples: &samples,
        quant: &quant,
        vis,
        opts,
        progress,
    };
    let mut planned = plan_pieces(&bytes, whole.graph.clone(), 1, &env);
    // A budget that no cut between nodes meets: cut inside the convolutions too, in ever
    // more channel groups, until it is met, no chain splits further, or two more groups in
    // a row bring the closest split no nearer (the error then reports the closest).
    if matches!(planned, Err(Error::SplitOverBudget { .. }))
        && matches!(
            opts.budget,
            SplitBudget::MaxRows(_) | SplitBudget::MaxMemory(_)
        )
    {
        let chains = channel_chains(&bytes, &source, &whole.graph)?;
        let most = chains.iter().map(|c| c.channels).max().unwrap_or(1);
        let mut stale = 0;
        for groups in 2..=most.min(MAX_CHANNEL_GROUPS) {
            let rewritten = split_channels(&bytes, &source, &whole.graph, groups)?;
            let graph = onnx_import::import_bytes_with(
                &rewritten,
                &source,
                &import_options(opts, &samples),
            )?;
            let attempt = plan_pieces(&rewritten, graph, groups, &env);
            match (&attempt, &planned) {
                (Err(e @ Error::SplitOverBudget { .. }), Err(best)) => {
                    if over_by(e, opts.budget) < over_by(best, opts.budget) {
                        planned = attempt;
                        stale = 0;
                    } else {
                        stale += 1;
                        if stale == 2 {
                            break;
                        }
                    }
                }
                _ => {
                    planned = attempt;
                    break;
                }
            }
        }
    }
    let Planned {
        bytes: cut_bytes,
        graph,
        bounds,
        starts,
        groups,
        channel_groups,
    } = planned?;
    let compile_run = |a: usize, b: usize, at: &[Vec<Tensor>]| {
        run_of(&cut_bytes, &graph, &bounds, &env, a, b, at)
    };

    create_dir(out)?;
    let seg_root = out.join(files::SEGMENTS);
    if seg_root.exists() {
        std::fs::remove_dir_all(&seg_root).map_err(|e| Error::Io {
            path: seg_root.clone(),
            source: e,
        })?;
    }
    for stale in [files::AGGREGATION, files::WITNESS, files::PROOFS] {
        let p = out.join(stale);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| Error::Io { path: p, source: e })?;
        }
    }
    for stale in [
        crate::files::VK,
        crate::files::SRS_VERIFIER,
        crate::files::COMMITMENT,
    ] {
        let p = out.join(stale);
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Io { path: p, source: e })
            }
            _ => {}
        }
    }
    let mut segments = Vec::new();
    for (i, &(a, b)) in groups.iter().enumerate() {
        let (start, end) = (bounds[a], bounds[b]);
        let c = compile_run(a, b, &starts[a])?;
        let rel = format!("{}/{i}", files::SEGMENTS);
        c.save(&out.join(&rel))?;
        let s = &c.settings;
        let one = |t: &[TensorSpec], what: &str| -> Result<TensorSpec> {
            match t {
                [x] => Ok(x.clone()),
                _ => Err(Error::artifact(
                    rel.clone(),
                    format!("segment {i} has {} {what}s; a segment has one", t.len()),
                )),
            }
        };
        let columns = s.circuit.config.num_advice_per_phase.iter().sum::<usize>()
            + s.circuit
                .config
                .num_lookup_advice_per_phase
                .iter()
                .sum::<usize>();
        segments.push(SegmentInfo {
            index: i,
            dir: rel.clone(),
            nodes: [start, end],
            input: one(&s.inputs, "input")?,
            output: one(&s.outputs, "output")?,
            k: s.circuit.k,
            columns,
            predicted_prove_s: predicted_prove_seconds(&s.circuit),
            predicted_prove_bytes: predicted_prove_peak_bytes(&s.circuit),
        });
    }
    prover::fsutil::atomic_write(&out.join(crate::files::MODEL), &bytes)?;
    let channels_model = out.join(files::CHANNELS_MODEL);
    if channel_groups > 1 {
        prover::fsutil::atomic_write(&channels_model, &cut_bytes)?;
    } else if channels_model.exists() {
        std::fs::remove_file(&channels_model).map_err(|e| Error::Io {
            path: channels_model.clone(),
            source: e,
        })?;
    }
    let manifest = SplitManifest {
        format: SPLIT_FORMAT.into(),
        format_version: SPLIT_VERSION,
        zkinfer_version: env!("CARGO_PKG_VERSION").into(),
        model_sha256: sha256_hex(&bytes),
        quant: whole.settings.quant.clone(),
        visibility: Visibilities {
            input: vis.input,
            output: vis.output,
            params: ParamVisibility::Fixed,
        },
        inputs: whole.settings.inputs.clone(),
        outputs: whole.settings.outputs.clone(),
        channel_groups,
        segments,
    };
    manifest.write(out)?;
    Ok(manifest)
}

/// How far the closest split of an [`Error::SplitOverBudget`] is from `budget` (its
/// largest segment's rows or predicted bytes); infinite for any other error.
fn over_by(e: &Error, budget: SplitBudget) -> f64 {
    match (e, budget) {
        (Error::SplitOverBudget { rows, .. }, SplitBudget::MaxRows(_)) => *rows as f64,
        (Error::SplitOverBudget { bytes, .. }, _) => *bytes as f64,
        _ => f64::INFINITY,
    }
}

/// What every planning attempt of one [`split_with`] call shares.
struct Env<'a> {
    source: &'a str,
    samples: &'a [Vec<Tensor>],
    quant: &'a circuits::QuantParams,
    vis: Visibilities,
    opts: &'a SplitOptions,
    progress: &'a dyn Fn(usize, usize),
}

/// The cut chosen for one version of the model (the original, or its convolutions split
/// into channel groups).
struct Planned {
    /// The model the segments are cut from.
    bytes: Vec<u8>,
    /// Its import.
    graph: onnx_import::ir::Graph,
    /// Piece boundaries (node indices, from 0 to the node count).
    bounds: Vec<usize>,
    /// The float inputs of each piece on the calibration samples.
    starts: Vec<Vec<Vec<Tensor>>>,
    /// The segments, as runs of pieces.
    groups: Vec<(usize, usize)>,
    /// The channel groups `bytes` was rewritten with (1: not rewritten).
    channel_groups: usize,
}

/// Most channel groups a convolution is split into when no cut between nodes meets a
/// budget (each group adds one cut, and a boundary hash, to the model).
pub const MAX_CHANNEL_GROUPS: usize = 8;

/// How the rewritten model is imported: as the original was (dimension bindings, and the
/// samples' shapes as hints).
fn import_options(opts: &SplitOptions, samples: &[Vec<Tensor>]) -> onnx_import::ImportOptions {
    let hints = samples.first().map_or_else(Vec::new, |first| {
        onnx_import::dims::hints_from_shapes(first.iter().map(|x| &x.shape[..]), "the samples")
    });
    onnx_import::ImportOptions {
        dims: opts.compile.dims.clone(),
        hints,
    }
}

/// Costs every candidate segment of the model in `bytes` (imported as `graph`) and picks
/// the partition `env.opts.budget` asks for (see [`split_with`]).
fn plan_pieces(
    bytes: &[u8],
    graph: onnx_import::ir::Graph,
    channel_groups: usize,
    env: &Env<'_>,
) -> Result<Planned> {
    let (source, opts) = (env.source, env.opts);
    let all_cuts = cut_points(bytes, source, &graph)?;
    if let SplitBudget::Segments(n) = opts.budget {
        if all_cuts.len() + 1 < n {
            return Err(Error::SplitSegments {
                requested: n,
                possible: Some(all_cuts.len() + 1),
            });
        }
    }
    if all_cuts.is_empty() {
        return Err(Error::SplitSegments {
            requested: 2,
            possible: Some(1),
        });
    }
    // Never fewer cuts than --segments needs.
    let keep = match opts.budget {
        SplitBudget::Segments(n) => (MAX_PIECES - 1).max(n - 1),
        _ => MAX_PIECES - 1,
    };
    let cuts = fewest_elements(all_cuts, keep);
    let n_nodes = cuts_end(bytes, source)?;
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c.after + 1));
    bounds.push(n_nodes);

    // Compile every piece once, feeding each the previous one's float outputs; then every
    // longer run of pieces (the whole model aside), from the float inputs of its first.
    let p = bounds.len() - 1;
    let total = p * (p + 1) / 2 - 1;
    let mut done = 0;
    (env.progress)(done, total);
    let compile_run =
        |a: usize, b: usize, at: &[Vec<Tensor>]| run_of(bytes, &graph, &bounds, env, a, b, at);
    let mut costs: Vec<Vec<Option<Cost>>> = vec![vec![None; p + 1]; p + 1];
    let mut at = env.samples.to_vec();
    let mut starts = vec![at.clone()];
    for a in 0..p {
        let c = compile_run(a, a + 1, &at)?;
        costs[a][a + 1] = Some(Cost::of(&c));
        done += 1;
        (env.progress)(done, total);
        if a + 1 < p {
            at = float_outputs(&c.graph, &at)?;
            starts.push(at.clone());
        }
    }
    for (a, row) in costs.iter_mut().enumerate() {
        for (b, cell) in row.iter_mut().enumerate().skip(a + 2) {
            if (a, b) == (0, p) {
                continue;
            }
            *cell = Some(Cost::of(&compile_run(a, b, &starts[a])?));
            done += 1;
            (env.progress)(done, total);
        }
    }
    let groups = choose(&costs, opts.budget, &bounds).map_err(|e| match e {
        Error::SplitOverBudget {
            budget,
            nodes,
            rows,
            bytes,
            ..
        } => Error::SplitOverBudget {
            budget,
            nodes,
            rows,
            bytes,
            channel_groups,
        },
        e => e,
    })?;
    Ok(Planned {
        bytes: bytes.to_vec(),
        graph,
        bounds,
        starts,
        groups,
        channel_groups,
    })
}

/// The segment made of pieces `a..b` of the model in `bytes` (imported as `graph`, cut at
/// `bounds`), compiled from the float inputs `at` of its first piece.
fn run_of(
    bytes: &[u8],
    graph: &onnx_import::ir::Graph,
    bounds: &[usize],
    env: &Env<'_>,
    a: usize,
    b: usize,
    at: &[Vec<Tensor>],
) -> Result<Compiled> {
    compile_segment(
        bytes,
        env.source,
        graph,
        bounds[a],
        bounds[b],
        a == 0,
        b == bounds.len() - 1,
        at,
        env.quant,
        env.vis,
        env.opts,
    )
}

/// The number of ONNX nodes in the model.
fn cuts_end(bytes: &[u8], source: &str) -> Result<usize> {
    Ok(onnx_import::split::node_count(bytes, source)?)
}

/// Compiles the sub-model of nodes `[start, end)` with the whole model's quantization,
/// `samples` as its calibration inputs, and hashed boundaries (the model's own visibility
/// at its ends).
#[allow(clippy::too_many_arguments)]
fn compile_segment(
    bytes: &[u8],
    source: &str,
    graph: &onnx_import::ir::Graph,
    start: usize,
    end: usize,
    first: bool,
    last: bool,
    samples: &[Vec<Tensor>],
    quant: &circuits::QuantParams,
    vis: Visibilities,
    opts: &SplitOptions,
) -> Result<Compiled> {
    let sub = extract(bytes, source, graph, start, end)?;
    let name = format!("{source} (nodes {start}..{end})");
    let visibility = Visibilities {
        input: if first { vis.input } else { Visibility::Hashed },
        output: if last { vis.output } else { Visibility::Hashed },
        params: ParamVisibility::Fixed,
    };
    let copts = CompileOptions {
        quant: Some(quant.clone()),
        visibility,
        auto_visibility: Default::default(),
        dims: Vec::new(),
        ..opts.compile.clone()
    };
    compile_bytes(sub, &name, &Samples::Tensors(samples.to_vec()), &copts)
}
