//! The flags `compile`, `split`, `run` and `commit` share: calibration samples,
//! quantization, visibility and on-chain planning.

use std::path::PathBuf;

use anyhow::{bail, Result};
use circuits::calibrate::CalibrationOptions;
use circuits::halo2::Layout;
use circuits::visibility::{
    ParamVisibility, Visibilities, Visibility, EVM_MAX_PUBLIC_INPUTS, EVM_MAX_PUBLIC_OUTPUTS,
};
use circuits::QuantParams;
use clap::Args;
use onnx_import::DimKey;
use zkinfer::Samples;

use crate::{parse_dim, parse_range};

/// Calibration samples and dimension bindings (`compile`, `split`).
#[derive(Args, Clone, Debug)]
pub struct SampleArgs {
    /// Calibration samples (an input file, {"samples": [...]}, EZKL's input_data, or a
    /// meta.json with test_samples); repeatable.
    #[arg(long)]
    pub calibration: Vec<PathBuf>,
    /// Range of the random calibration inputs used when no --calibration is given.
    #[arg(long, value_parser = parse_range, default_value = "-1,1")]
    pub input_range: (f64, f64),
    /// Value of a free input dimension, NAME=VALUE (NAME is the dim_param, e.g.
    /// batch=4, or INPUT:AXIS for a dimension without one); repeatable.
    #[arg(long = "dim", value_name = "NAME=VALUE", value_parser = parse_dim)]
    pub dims: Vec<(DimKey, usize)>,
}

impl SampleArgs {
    /// The --calibration files, else 16 random inputs uniform in --input-range (saying so
    /// on stderr).
    pub fn samples(&self) -> Samples {
        if self.calibration.is_empty() {
            let (lo, hi) = self.input_range;
            eprintln!(
                "note: no --calibration file: calibrating on 16 random inputs uniform in \
                 [{lo}, {hi}]; pass --calibration FILE with representative inputs for the \
                 best accuracy"
            );
            Samples::Random {
                count: 16,
                range: self.input_range,
            }
        } else {
            Samples::Files(self.calibration.clone())
        }
    }
}

/// Quantization knobs shared by `compile` and `run`.
#[derive(Args, Clone, Debug, Default)]
pub struct QuantArgs {
    /// Fix the activation scale (bits) instead of calibrating it.
    #[arg(long)]
    input_scale: Option<u32>,
    /// Fix the parameter scale (bits); defaults to the input scale.
    #[arg(long)]
    param_scale: Option<u32>,
    /// Fix the range bound (bits); defaults to input scale + 8.
    #[arg(long)]
    bits: Option<u32>,
    /// Calibration target: the largest acceptable relative L2 error of any output.
    #[arg(long, default_value_t = circuits::calibrate::DEFAULT_TARGET_REL_L2)]
    target_rel_l2: f64,
    /// Circuit layout: `speed` (wide, fastest proving; the default), `gas` (narrow: smaller
    /// proofs, cheaper on-chain verification, slower proving) or `evm` (the EVM planner:
    /// compares layouts between the two and takes the lowest predicted verify gas plus
    /// weighted prove time; the default with --evm) or `memory` (the least predicted peak
    /// proving memory: fewer rows, more columns; split segments that must fit small machines,
    /// at the price of a larger aggregation circuit).
    #[arg(long, value_parser = parse_layout)]
    layout: Option<Layout>,
}

impl QuantArgs {
    /// The layout: `--layout` when given, else `evm` for the EVM, else `speed`.
    pub fn layout(&self, evm: bool) -> Layout {
        match self.layout {
            Some(l) => l,
            None if evm => Layout::Evm,
            None => Layout::Speed,
        }
    }

    /// The calibration search settings.
    pub fn calibration(&self) -> CalibrationOptions {
        CalibrationOptions {
            target_rel_l2: self.target_rel_l2,
            ..CalibrationOptions::default()
        }
    }

    /// The fixed quantization parameters, when `--input-scale` is given.
    pub fn fixed(&self) -> Result<Option<QuantParams>> {
        match self.input_scale {
            None if self.param_scale.is_some() || self.bits.is_some() => {
                bail!("--param-scale and --bits need --input-scale")
            }
            None => Ok(None),
            Some(s) => Ok(Some(QuantParams::new(
                s,
                self.param_scale.unwrap_or(s),
                self.bits.unwrap_or(s + 8),
            ))),
        }
    }
}

/// What a proof reveals, shared by `compile` and `run`.
#[derive(Args, Clone, Debug, Default)]
pub struct VisibilityArgs {
    // The helps name the EVM limits, so they are given here rather than as doc comments.
    #[arg(
        long,
        value_parser = parse_visibility,
        help = format!(
            "The inputs: `public` (instances), `private` (not revealed) or `hashed` (only \
             their Poseidon hash is public). Default: public, except that with --evm inputs \
             of more than {EVM_MAX_PUBLIC_INPUTS} values are hashed (each public value costs \
             gas on every on-chain verification)"
        )
    )]
    input_visibility: Option<Visibility>,
    #[arg(
        long,
        value_parser = parse_visibility,
        help = format!(
            "The outputs: `public`, `private` or `hashed`. Default: public, except that with \
             --evm outputs of more than {EVM_MAX_PUBLIC_OUTPUTS} values are hashed"
        )
    )]
    output_visibility: Option<Visibility>,
    /// The weights: `fixed` (in the keys: one key per model), `private` (bound to nothing),
    /// `hashed` (their Poseidon hash is public) or `committed` (their KZG commitment is read
    /// from the proof); with hashed and committed one key serves every model of the
    /// architecture (`prove --model`).
    #[arg(long, value_parser = parse_param_visibility, default_value = "fixed")]
    param_visibility: ParamVisibility,
}

impl VisibilityArgs {
    /// The three choices (public where not given).
    pub fn visibilities(&self) -> Visibilities {
        Visibilities {
            input: self.input_visibility.unwrap_or_default(),
            output: self.output_visibility.unwrap_or_default(),
            params: self.param_visibility,
        }
    }

    /// Which of the input and output visibilities were not given.
    pub fn auto(&self) -> zkinfer::AutoVisibility {
        zkinfer::AutoVisibility {
            input: self.input_visibility.is_none(),
            output: self.output_visibility.is_none(),
        }
    }
}

/// On-chain planning, shared by `compile` and `run`.
#[derive(Args, Clone, Debug, Default)]
pub struct EvmArgs {
    /// Plan for on-chain verification: the `evm` layout (unless --layout is given), inputs
    /// and outputs with too many values hashed unless --input-visibility /
    /// --output-visibility say otherwise, the predicted verify gas recorded in
    /// settings.json, and proofs with the Keccak transcript the EVM verifier recomputes.
    #[arg(long)]
    pub evm: bool,
    // The help names the default, so it is given here rather than as a doc comment.
    #[arg(
        long,
        value_name = "GAS",
        value_parser = parse_gas_per_second,
        help = format!(
            "How much verify gas one second of proving is worth when the `evm` layout weighs \
             the two (needs --evm or --layout evm; default {})",
            circuits::halo2::DEFAULT_GAS_PER_SECOND
        )
    )]
    gas_per_second: Option<f64>,
}

impl EvmArgs {
    /// The layout and the EVM options of `quant` with these flags: `Some` when compiling for
    /// the EVM (`--evm` or `--layout evm`).
    pub fn plan(&self, quant: &QuantArgs) -> Result<(Layout, Option<zkinfer::EvmOptions>)> {
        let layout = quant.layout(self.evm);
        if !(self.evm || layout == Layout::Evm) {
            if self.gas_per_second.is_some() {
                bail!("--gas-per-second weighs the `evm` layout: it needs --evm (or --layout evm)");
            }
            return Ok((layout, None));
        }
        let mut opts = zkinfer::EvmOptions::default();
        if let Some(g) = self.gas_per_second {
            opts.gas_per_second = g;
        }
        Ok((layout, Some(opts)))
    }
}

fn parse_gas_per_second(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(g) if g.is_finite() && g >= 0.0 => Ok(g),
        _ => Err(format!(
            "bad gas per second {s:?}: expected a finite number >= 0 (0 ignores prove time)"
        )),
    }
}

/// `public`, `private` or `hashed`.
pub fn parse_visibility(s: &str) -> Result<Visibility, String> {
    match s {
        "public" => Ok(Visibility::Public),
        "private" => Ok(Visibility::Private),
        "hashed" => Ok(Visibility::Hashed),
        other => Err(format!(
            "unknown visibility {other:?}: use `public`, `private` or `hashed`"
        )),
    }
}

/// `fixed`, `private`, `hashed` or `committed`.
pub fn parse_param_visibility(s: &str) -> Result<ParamVisibility, String> {
    match s {
        "fixed" => Ok(ParamVisibility::Fixed),
        "private" => Ok(ParamVisibility::Private),
        "hashed" => Ok(ParamVisibility::Hashed),
        "committed" => Ok(ParamVisibility::Committed),
        other => Err(format!(
            "unknown parameter visibility {other:?}: use `fixed`, `private`, `hashed` or \
             `committed`"
        )),
    }
}

pub fn parse_layout(s: &str) -> Result<Layout, String> {
    match s {
        "speed" => Ok(Layout::Speed),
        "gas" => Ok(Layout::Gas),
        "evm" => Ok(Layout::Evm),
        "memory" => Ok(Layout::Memory),
        other => Err(format!(
            "unknown layout {other:?}: use `speed`, `gas`, `evm` or `memory`"
        )),
    }
}

/// `--device`, shared by `prove` and `run`.
#[derive(Args, Clone, Copy, Debug, Default)]
pub struct DeviceArgs {
    /// Where to prove. `auto` (the default): on the GPU when this zkinfer was built with the
    /// `cuda` feature, a CUDA device answers and the model's proofs hide nothing (public
    /// inputs, fixed parameters: the GPU prover does not blind), else on the CPU, saying
    /// why; a GPU failure falls back to the CPU. `cpu`: always the CPU. `cuda`: the GPU, or
    /// an error saying why not.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
}

/// The values of `--device`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum DeviceArg {
    #[default]
    Auto,
    Cpu,
    Cuda,
}

impl DeviceArgs {
    /// The requested backend.
    pub fn device(&self) -> zkinfer::Device {
        match self.device {
            DeviceArg::Auto => zkinfer::Device::Auto,
            DeviceArg::Cpu => zkinfer::Device::Cpu,
            DeviceArg::Cuda => zkinfer::Device::Cuda,
        }
    }
}
