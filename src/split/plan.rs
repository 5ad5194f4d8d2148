//! `split`: cut a model at single-tensor boundaries into segments of balanced predicted
//! prove time, and compile each as a model directory with hashed boundaries.

use std::path::Path;

use circuits::calibrate::float_outputs;
use circuits::halo2::predicted_prove_seconds;
use circuits::visibility::{ParamVisibility, Visibilities, Visibility};
use onnx_import::ir::Tensor;
use onnx_import::split::{cut_points, extract};
use prover::fsutil::sha256_hex;

use super::{create_dir, files, SegmentInfo, SplitManifest, SPLIT_FORMAT, SPLIT_VERSION};
use crate::compile::{compile_bytes, resolve_samples, CompileOptions, Compiled, Samples};
use crate::error::{Error, Result};
use crate::settings::TensorSpec;

/// Knobs of [`split`].
#[derive(Clone, Debug, Default)]
pub struct SplitOptions {
    /// Number of segments (at least 2).
    pub segments: usize,
    /// How the whole model is compiled first (calibration, scales, dimension bindings,
    /// layout) and what the aggregated proof reveals of its inputs and outputs
    /// (`visibility.input` / `visibility.output`; parameters must be fixed).
    pub compile: CompileOptions,
}

/// One piece between two consecutive cut points: the smallest unit segments are made of.
struct Piece {
    start: usize,
    end: usize,
    cost: f64,
}

/// Imports and calibrates the model at `model_path` on `samples`, cuts it into
/// `opts.segments` segments whose predicted prove times are as even as the model's cut
/// points allow (the largest one is minimized), compiles each with the whole model's
/// quantization and hashed boundaries, and writes the split directory `out` (see
/// [`super`]). Returns the manifest written to `out/split.json`.
pub fn split(
    model_path: &Path,
    samples: &Samples,
    opts: &SplitOptions,
    out: &Path,
) -> Result<SplitManifest> {
    if opts.segments < 2 {
        return Err(Error::SplitSegments {
            requested: opts.segments,
            possible: None,
        });
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
    let graph = &whole.graph;
    let mut quant = whole.settings.quant.clone();
    // Table ranges are keyed by node index: each segment fits its own.
    quant.ranges.clear();
    let samples = resolve_samples(samples, graph)?;
    let cuts = cut_points(&bytes, &source, graph)?;
    if cuts.len() + 1 < opts.segments {
        return Err(Error::SplitSegments {
            requested: opts.segments,
            possible: Some(cuts.len() + 1),
        });
    }
    let vis = whole.settings.circuit.visibility;
    let n_nodes = cuts_end(&bytes, &source)?;
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|c| c.after + 1));
    bounds.push(n_nodes);

    // Compile every piece once, feeding each the previous one's float outputs.
    let mut at = samples.clone();
    let mut starts = vec![at.clone()];
    let mut pieces = Vec::new();
    for (j, w) in bounds.windows(2).enumerate() {
        let last = j + 2 == bounds.len();
        let c = compile_segment(
            &bytes,
            &source,
            graph,
            w[0],
            w[1],
            j == 0,
            last,
            &at,
            &quant,
            vis,
            opts,
        )?;
        pieces.push(Piece {
            start: w[0],
            end: w[1],
            cost: predicted_prove_seconds(&c.settings.circuit),
        });
        if !last {
            at = float_outputs(&c.graph, &at)?;
            starts.push(at.clone());
        }
    }
    let groups = balance(&pieces, opts.segments);

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
    let count = groups.len();
    for (i, &(a, b)) in groups.iter().enumerate() {
        let (start, end) = (pieces[a].start, pieces[b - 1].end);
        let c = compile_segment(
            &bytes,
            &source,
            graph,
            start,
            end,
            i == 0,
            i + 1 == count,
            &starts[a],
            &quant,
            vis,
            opts,
        )?;
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
        });
    }
    prover::fsutil::atomic_write(&out.join(crate::files::MODEL), &bytes)?;
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
        segments,
    };
    manifest.write(out)?;
    Ok(manifest)
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

/// Groups consecutive pieces into `n` runs (half-open index ranges) minimizing the largest
/// run's total cost; `pieces.len() >= n >= 1`.
fn balance(pieces: &[Piece], n: usize) -> Vec<(usize, usize)> {
    let p = pieces.len();
    let mut prefix = vec![0.0; p + 1];
    for (i, x) in pieces.iter().enumerate() {
        prefix[i + 1] = prefix[i] + x.cost;
    }
    let cost = |a: usize, b: usize| prefix[b] - prefix[a];
    // best[g][j]: the smallest largest-run cost of the first j pieces in g runs.
    let inf = f64::INFINITY;
    let mut best = vec![vec![inf; p + 1]; n + 1];
    let mut from = vec![vec![0usize; p + 1]; n + 1];
    best[0][0] = 0.0;
    for g in 1..=n {
        for j in g..=p {
            for i in (g - 1)..j {
                let c = best[g - 1][i].max(cost(i, j));
                if c < best[g][j] {
                    best[g][j] = c;
                    from[g][j] = i;
                }
            }
        }
    }
    let mut runs = Vec::with_capacity(n);
    let mut j = p;
    for g in (1..=n).rev() {
        let i = from[g][j];
        runs.push((i, j));
        j = i;
    }
    runs.reverse();
    runs
}

#[cfg(test)]
mod tests {
    use super::{balance, Piece};

    fn pieces(costs: &[f64]) -> Vec<Piece> {
        costs
            .iter()
            .enumerate()
            .map(|(i, &cost)| Piece {
                start: i,
                end: i + 1,
                cost,
            })
            .collect()
    }

    #[test]
    fn balance_minimizes_the_largest_run() {
        let p = pieces(&[5.0, 1.0, 1.0, 1.0, 4.0, 2.0]);
        let runs = balance(&p, 3);
        assert_eq!(runs, vec![(0, 1), (1, 4), (4, 6)]);
        // Every piece once, in order.
        assert_eq!(
            balance(&p, 6),
            (0..6).map(|i| (i, i + 1)).collect::<Vec<_>>()
        );
        assert_eq!(balance(&p, 1), vec![(0, 6)]);
    }
}
