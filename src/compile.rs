//! `compile`: import an ONNX model, calibrate its quantization, plan its circuit.

use std::path::{Path, PathBuf};

use circuits::calibrate::{calibrate, fit_ranges, float_outputs, CalibrationOptions};
use circuits::halo2::{
    evm_gas, plan_evm, plan_with, predicted_prove_seconds, EvmOptions, EvmPlan, Layout,
};
use circuits::visibility::{
    architecture_digest, Visibilities, Visibility, EVM_MAX_PUBLIC_INPUTS, EVM_MAX_PUBLIC_OUTPUTS,
};
use circuits::QuantParams;
use onnx_import::dims::{hints_from_file, hints_from_shapes, DimKey, ImportOptions};
use onnx_import::ir::{Graph, Tensor};
use prover::fsutil::sha256_hex;

use crate::cost::{cost_by_target, Planning, TargetCost};
use crate::error::{Error, Result};
use crate::files;
use crate::settings::{
    CalibrationReport, EvmTarget, Settings, TensorSpec, SETTINGS_FORMAT, SETTINGS_VERSION,
};

/// Calibration data for [`compile`].
#[derive(Clone, Debug)]
pub enum Samples {
    /// Samples already as tensors, each in graph-input order.
    Tensors(Vec<Vec<Tensor>>),
    /// JSON files read with `onnx_import::input_file::read_samples` once the graph is
    /// known: an input file (`{"inputs": ...}` or EZKL's `{"input_data": ...}`), a
    /// `{"samples": [...]}` file or a fixture `meta.json` (its `test_samples`).
    Files(Vec<PathBuf>),
    /// `count` deterministic pseudo-random samples, uniform in `range` (rounded and clamped
    /// to the type's range for integer and boolean inputs), drawn once the graph's input
    /// shapes are known.
    Random {
        /// Number of samples.
        count: usize,
        /// Lower and upper bound of the values.
        range: (f64, f64),
    },
}

/// [`Samples::Random`]'s values for `graph`.
fn random_samples(graph: &Graph, count: usize, range: (f64, f64)) -> Vec<Vec<Tensor>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        // xorshift64*: deterministic, so the same model always calibrates the same way.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| {
            graph
                .inputs
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    let shape = graph.values[id].shape.clone();
                    let len = shape.iter().product();
                    let ints = graph.input_dtype(i).int_range();
                    let data = (0..len)
                        .map(|_| {
                            let x = range.0 + (range.1 - range.0) * next();
                            match ints {
                                None => x,
                                Some((lo, hi)) => x.round().clamp(lo as f64, hi as f64),
                            }
                        })
                        .collect();
                    Tensor { shape, data }
                })
                .collect()
        })
        .collect()
}

/// The sample tensors of `samples` for `graph` (files read, random ones drawn).
pub(crate) fn resolve_samples(samples: &Samples, graph: &Graph) -> Result<Vec<Vec<Tensor>>> {
    Ok(match samples {
        Samples::Tensors(t) => t.clone(),
        Samples::Files(paths) => {
            let mut all = Vec::new();
            for p in paths {
                all.extend(onnx_import::input_file::read_samples(p, graph)?);
            }
            all
        }
        Samples::Random { count, range } => random_samples(graph, *count, *range),
    })
}

/// Which visibilities the caller left to [`compile`] (`true`: not chosen, so `compile` may
/// pick one for the target). The default, `false` for both, keeps
/// [`CompileOptions::visibility`] exactly as given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoVisibility {
    /// The input visibility was not chosen.
    pub input: bool,
    /// The output visibility was not chosen.
    pub output: bool,
}

/// A part of the statement: the model's inputs or its outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The graph inputs.
    Input,
    /// The graph outputs.
    Output,
}

impl Part {
    /// `input` or `output`, as in `--input-visibility`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Input => "input",
            Part::Output => "output",
        }
    }
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A part [`compile`] made hashed on its own: compiled for the EVM with its visibility left
/// open ([`AutoVisibility`]) and more values than the limit, it would otherwise put one
/// instance per value in every on-chain verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoHashed {
    /// Which part.
    pub part: Part,
    /// Its number of values.
    pub values: usize,
    /// The most values kept public by default ([`EVM_MAX_PUBLIC_INPUTS`] or
    /// [`EVM_MAX_PUBLIC_OUTPUTS`]).
    pub limit: usize,
}

/// Knobs of [`compile`].
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Calibration search settings.
    pub calibration: CalibrationOptions,
    /// Use these quantization parameters instead of searching (their error on the samples
    /// is still measured and recorded).
    pub quant: Option<QuantParams>,
    /// What the circuit layout optimizes: proving speed (default), verification cost (`gas`)
    /// or the EVM planner's trade-off of both (`evm`, [`circuits::halo2::plan_evm`]).
    pub layout: Layout,
    /// Compile for on-chain verification: `settings.json` records the predicted verify gas
    /// ([`Settings::evm`]), `prove` then defaults to the Keccak transcript, and inputs or
    /// outputs left to [`Self::auto_visibility`] with more values than
    /// [`EVM_MAX_PUBLIC_INPUTS`] / [`EVM_MAX_PUBLIC_OUTPUTS`] become hashed. The options
    /// weigh gas against prove time in the `evm` layout. `None` (the default): not for the
    /// EVM, unless [`Self::layout`] is [`Layout::Evm`], which implies the default options.
    pub evm: Option<EvmOptions>,
    /// Which of [`Self::visibility`]'s input and output choices the caller left open
    /// (default: none).
    pub auto_visibility: AutoVisibility,
    /// Values of the model's free (symbolic or unknown) input dimensions, as `--dim`
    /// gives them; they win over the shapes in the calibration files, which win over the
    /// default 1 of a leading batch dimension (see [`onnx_import::dims`]).
    pub dims: Vec<(DimKey, usize)>,
    /// What a proof reveals of the inputs, outputs and parameters (default: public inputs
    /// and outputs, fixed parameters; see [`circuits::visibility`]).
    pub visibility: Visibilities,
}

/// A compiled model: its settings, the imported graph and the model file's bytes.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// What `settings.json` holds.
    pub settings: Settings,
    /// The imported graph.
    pub graph: Graph,
    /// The bytes of the ONNX model.
    pub model_bytes: Vec<u8>,
    /// What each error target would cost (empty for fixed scales or a loaded model; not
    /// saved).
    pub costs: Vec<TargetCost>,
    /// The EVM planner's choice and the candidates it compared, for the `evm` layout (`None`
    /// otherwise and for a loaded model; not saved, [`Settings::evm`] keeps the prediction).
    pub evm_plan: Option<EvmPlan>,
    /// The parts made hashed because they had too many values for the EVM (empty when none,
    /// and for a loaded model).
    pub auto_hashed: Vec<AutoHashed>,
}

impl CompileOptions {
    /// Whether these options compile for on-chain verification: [`Self::evm`] is set or the
    /// layout is [`Layout::Evm`].
    pub fn for_evm(&self) -> bool {
        self.evm.is_some() || self.layout == Layout::Evm
    }

    /// The visibility compiled with for `inputs` and `outputs` values: [`Self::visibility`],
    /// with each part left open ([`Self::auto_visibility`]) and public but over the EVM's
    /// limit made hashed when compiling for the EVM; also returns those parts.
    pub fn resolved_visibility(
        &self,
        inputs: usize,
        outputs: usize,
    ) -> (Visibilities, Vec<AutoHashed>) {
        let mut v = self.visibility;
        let mut hashed = Vec::new();
        if !self.for_evm() {
            return (v, hashed);
        }
        for (part, auto, values, limit, vis) in [
            (
                Part::Input,
                self.auto_visibility.input,
                inputs,
                EVM_MAX_PUBLIC_INPUTS,
                &mut v.input,
            ),
            (
                Part::Output,
                self.auto_visibility.output,
                outputs,
                EVM_MAX_PUBLIC_OUTPUTS,
                &mut v.output,
            ),
        ] {
            if auto && *vis == Visibility::Public && values > limit {
                *vis = Visibility::Hashed;
                hashed.push(AutoHashed {
                    part,
                    values,
                    limit,
                });
            }
        }
        (v, hashed)
    }
}

/// Imports the model at `model_path`, calibrates on `samples` and plans the circuit.
pub fn compile(model_path: &Path, samples: &Samples, opts: &CompileOptions) -> Result<Compiled> {
    let model_bytes = std::fs::read(model_path).map_err(|source| Error::Io {
        path: model_path.to_path_buf(),
        source,
    })?;
    compile_bytes(
        model_bytes,
        &model_path.display().to_string(),
        samples,
        opts,
    )
}

/// [`compile`] of a model already in memory (`source_name` labels it in errors): what
/// split proving compiles each segment's sub-model with.
pub fn compile_bytes(
    model_bytes: Vec<u8>,
    source_name: &str,
    samples: &Samples,
    opts: &CompileOptions,
) -> Result<Compiled> {
    let mut hints = Vec::new();
    match samples {
        Samples::Tensors(t) => {
            if let Some(first) = t.first() {
                hints = hints_from_shapes(first.iter().map(|x| &x.shape[..]), "the samples");
            }
        }
        Samples::Files(paths) => {
            for p in paths {
                hints.extend(hints_from_file(p)?);
            }
        }
        Samples::Random { .. } => {}
    }
    let import_opts = ImportOptions {
        dims: opts.dims.clone(),
        hints,
    };
    let graph = onnx_import::import_bytes_with(&model_bytes, source_name, &import_opts)?;
    let samples = resolve_samples(samples, &graph)?;
    let target = opts.calibration.target_rel_l2;
    let (quant, errors, held_out, trials) = match opts.quant.clone() {
        None => {
            let cal = calibrate(&graph, &samples, &opts.calibration)?;
            (cal.params, cal.errors, cal.held_out, cal.trials)
        }
        Some(mut q) => {
            q.validate()?;
            let floats = float_outputs(&graph, &samples)?;
            // The scales and bound are the user's; table ranges still come from the samples.
            let (fitted, errors) = fit_ranges(&graph, &q, &samples, &floats, 0)?;
            q.ranges = fitted.ranges;
            (q, errors, None, Vec::new())
        }
    };
    let target_met = errors.iter().all(|e| e.rel_l2 <= target);
    let (inputs, outputs) = TensorSpec::of_graph(&graph);
    let count = |t: &[TensorSpec]| t.iter().map(TensorSpec::len).sum::<usize>();
    let (visibility, auto_hashed) = opts.resolved_visibility(count(&inputs), count(&outputs));
    let num_instances = visibility.layout(count(&inputs), count(&outputs)).len;
    let evm_opts = opts.evm.unwrap_or_default();
    let (circuit, evm_plan) = if opts.layout == Layout::Evm {
        let p = plan_evm(&graph, &quant, &visibility, &evm_opts)?;
        (p.shape.clone(), Some(p))
    } else {
        (plan_with(&graph, &quant, opts.layout, &visibility)?, None)
    };
    let evm = match (&evm_plan, opts.for_evm()) {
        (Some(p), _) => Some(EvmTarget {
            predicted_gas: p.predicted_gas,
            predicted_prove_s: p.predicted_prove_s,
            gas_per_second: p.gas_per_second,
        }),
        (None, true) => Some(EvmTarget {
            predicted_gas: evm_gas(&circuit, num_instances, num_instances)?,
            predicted_prove_s: predicted_prove_seconds(&circuit),
            gas_per_second: evm_opts.gas_per_second,
        }),
        (None, false) => None,
    };
    let costs = if opts.quant.is_none() {
        let planning = Planning {
            layout: opts.layout,
            visibility: &visibility,
            evm: opts.for_evm().then_some(&evm_opts),
            chosen: evm_plan.as_ref().map(|p| (quant.input_scale, p)),
        };
        cost_by_target(
            &graph,
            &samples,
            &trials,
            opts.calibration.headroom_bits,
            &planning,
        )?
    } else {
        Vec::new()
    };
    let settings = Settings {
        format: SETTINGS_FORMAT.into(),
        format_version: SETTINGS_VERSION,
        zkinfer_version: env!("CARGO_PKG_VERSION").into(),
        model_sha256: sha256_hex(&model_bytes),
        architecture_sha256: architecture_digest(&graph)?,
        quant,
        calibration: CalibrationReport {
            samples: samples.len(),
            target_rel_l2: target,
            target_met,
            errors,
            held_out,
            trials,
        },
        circuit,
        inputs,
        outputs,
        num_instances,
        dims: graph.input_info.dims.clone(),
        evm,
    };
    Ok(Compiled {
        settings,
        graph,
        model_bytes,
        costs,
        evm_plan,
        auto_hashed,
    })
}

impl Compiled {
    /// Writes `dir/model.onnx` and `dir/settings.json` (creating `dir`), each atomically.
    /// Keys from an earlier `setup` in `dir` are removed: they belong to the old settings.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for stale in [
            files::VK,
            files::PK,
            files::SRS_VERIFIER,
            files::SRS_PROVER,
            files::COMMITMENT,
        ] {
            let p = dir.join(stale);
            match std::fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::Io { path: p, source: e });
                }
                _ => {}
            }
        }
        prover::fsutil::atomic_write(&dir.join(files::MODEL), &self.model_bytes)?;
        self.settings.write(&dir.join(files::SETTINGS))
    }

    /// Reads `dir/settings.json` and `dir/model.onnx`, checks the model's hash and imports it.
    pub fn load(dir: &Path) -> Result<Self> {
        let settings = Settings::read(&dir.join(files::SETTINGS))?;
        let model_path = dir.join(files::MODEL);
        let model_bytes = std::fs::read(&model_path).map_err(|source| Error::Io {
            path: model_path.clone(),
            source,
        })?;
        let found = sha256_hex(&model_bytes);
        if found != settings.model_sha256 {
            return Err(Error::ModelChanged {
                path: model_path,
                expected: settings.model_sha256,
                found,
            });
        }
        let graph =
            import_as_compiled(&settings, &model_bytes, &model_path).map_err(|e| match e {
                Error::Artifact { .. } => Error::artifact(
                    dir.join(files::SETTINGS).display().to_string(),
                    "its input and output shapes differ from the model's with the recorded \
                 dimension bindings; re-run `compile` (and `setup`)",
                ),
                e => e,
            })?;
        Ok(Self {
            settings,
            graph,
            model_bytes,
            costs: Vec::new(),
            evm_plan: None,
            auto_hashed: Vec::new(),
        })
    }

    /// This compiled model with the weights of the model file at `path`, for parameters that
    /// are not fixed (`hashed`, `committed`, `private`): the file is imported with the
    /// recorded dimension bindings and must have the same architecture
    /// ([`Error::WrongArchitecture`] otherwise), so the settings, circuit shape and keys stay
    /// valid. With fixed parameters only the compiled model file itself is accepted
    /// ([`Error::FixedParams`] otherwise).
    pub fn with_weights(&self, path: &Path) -> Result<Self> {
        self.reweighted(path, false)
    }

    /// [`Self::with_weights`]; `allow_fixed` also accepts another model for fixed parameters
    /// (to make its keys with this circuit shape, as `commit --param-visibility fixed` does).
    pub(crate) fn reweighted(&self, path: &Path, allow_fixed: bool) -> Result<Self> {
        let model_bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let s = &self.settings;
        if sha256_hex(&model_bytes) == s.model_sha256 {
            return Ok(self.clone());
        }
        if !s.circuit.visibility.params.is_advice() && !allow_fixed {
            return Err(Error::FixedParams {
                path: path.to_path_buf(),
            });
        }
        let expected = if s.architecture_sha256.is_empty() {
            architecture_digest(&self.graph)?
        } else {
            s.architecture_sha256.clone()
        };
        let wrong = |found: String| Error::WrongArchitecture {
            path: path.to_path_buf(),
            expected: expected.clone(),
            found,
        };
        let graph = match import_as_compiled(s, &model_bytes, path) {
            Ok(g) => g,
            // Other input or output shapes: another architecture.
            Err(Error::Artifact { .. }) => {
                return Err(wrong("(other input or output shapes)".into()))
            }
            Err(e) => return Err(e),
        };
        let found = architecture_digest(&graph)?;
        if found != expected {
            return Err(wrong(found));
        }
        Ok(Self {
            settings: s.clone(),
            graph,
            model_bytes,
            costs: Vec::new(),
            evm_plan: None,
            auto_hashed: Vec::new(),
        })
    }
}

/// Imports `model_bytes` (from `path`) with the dimension bindings of `settings`, so the
/// graph has the compiled static shapes; [`Error::Artifact`] when its input or output shapes
/// differ from the settings'.
fn import_as_compiled(settings: &Settings, model_bytes: &[u8], path: &Path) -> Result<Graph> {
    let opts = ImportOptions::with_dims(
        settings
            .dims
            .iter()
            .map(|b| (b.key.clone(), b.value))
            .collect(),
    );
    let mut graph =
        onnx_import::import_bytes_with(model_bytes, &path.display().to_string(), &opts)?;
    graph.input_info.dims = settings.dims.clone();
    let (inputs, outputs) = TensorSpec::of_graph(&graph);
    if inputs != settings.inputs || outputs != settings.outputs {
        return Err(Error::artifact(
            path.display().to_string(),
            "input and output shapes differ from the compiled model's",
        ));
    }
    Ok(graph)
}
