//! Prover backends: where a proof is computed.
//!
//! Key generation always runs on the CPU, and every backend proves with the same proving
//! key into the same proof format, so one verifying key (and the native and Solidity
//! verifiers made from it) checks a proof whichever backend made it.
//!
//! - [`Backend::Cpu`]: halo2-axiom's prover on all cores (`cpu.rs`). Always available.
//! - [`Backend::Cuda`]: halo2-axiom-gpu's CUDA KZG prover (`cuda.rs`: MSM, NTT, quotient, lookups,
//!   permutation, SHPLONK on the GPU). Built only with the `cuda` cargo feature.
//!
//! # Zero knowledge on the GPU
//!
//! halo2-axiom-gpu 1.0.1 is **not zero-knowledge**: its vanishing argument commits to the
//! constant polynomial 1 instead of a random one (so `h(x)`'s evaluations are unmasked) and
//! it leaves the blinding rows of the lookups' permuted columns zero. Its proofs are sound
//! (the verifier is unchanged), but they may leak the witness. zkinfer therefore proves on
//! the GPU only statements whose witness is a function of public data: **public inputs and
//! fixed parameters** (the default visibility). Every activation is then computable by the
//! verifier from the input and the verifying key, so there is nothing to hide, whatever the
//! output's visibility (the output is a function of the same public data). A model with
//! private or hashed inputs, or hashed, committed or private parameters, proves on the CPU:
//! [`Device::Auto`] falls back and says why ([`CpuFallback::SecretWitness`]); an explicit
//! [`Device::Cuda`] is refused ([`ProverError::CudaNotZeroKnowledge`]).

pub(crate) mod cpu;
#[cfg(feature = "cuda")]
mod cuda;

use std::fmt;
use std::str::FromStr;

use circuits::visibility::{ParamVisibility, Visibilities, Visibility};

use crate::error::{ProverError, Result};

/// Which backend the caller asks for (`--device`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Device {
    /// The GPU when this build has the `cuda` feature, a device answers and the statement
    /// may be proved there (see the module docs), else the CPU, with the reason reported.
    /// A GPU failure while proving (out of memory, a driver error) also falls back.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// The CUDA backend, or an error saying why it cannot be used; never a silent CPU proof.
    Cuda,
}

impl Device {
    /// The name `--device` takes.
    pub fn name(self) -> &'static str {
        match self {
            Device::Auto => "auto",
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--device` value that is not `auto`, `cpu` or `cuda`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown device {given:?}: expected auto, cpu or cuda")]
pub struct UnknownDevice {
    /// What was given.
    pub given: String,
}

impl FromStr for Device {
    type Err = UnknownDevice;

    fn from_str(s: &str) -> std::result::Result<Self, UnknownDevice> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(Device::Auto),
            "cpu" => Ok(Device::Cpu),
            "cuda" | "gpu" => Ok(Device::Cuda),
            _ => Err(UnknownDevice {
                given: s.to_string(),
            }),
        }
    }
}

/// The backend a proof was computed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// halo2-axiom on the CPU.
    Cpu,
    /// halo2-axiom-gpu on CUDA device `device`.
    Cuda {
        /// The CUDA device ordinal (after `CUDA_VISIBLE_DEVICES`).
        device: i32,
    },
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::Cpu => f.write_str("cpu"),
            Backend::Cuda { device } => write!(f, "cuda (device {device})"),
        }
    }
}

/// Why [`Device::Auto`] proved on the CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CpuFallback {
    /// This build has no CUDA backend.
    NotBuilt,
    /// The statement hides a witness the GPU prover would not blind (module docs).
    SecretWitness {
        /// The model's visibility.
        visibility: Visibilities,
    },
    /// No CUDA device answered.
    NoDevice {
        /// What the CUDA runtime said.
        reason: String,
    },
    /// The GPU was tried and failed (out of memory, a driver error, a rejected proof).
    GpuFailed {
        /// What failed.
        reason: String,
    },
}

impl fmt::Display for CpuFallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CpuFallback::NotBuilt => f.write_str(
                "this zkinfer was built without the `cuda` feature; build with \
                 `--features cuda` to prove on an NVIDIA GPU",
            ),
            CpuFallback::SecretWitness { visibility } => write!(
                f,
                "the GPU prover does not blind its proofs, and this model's proofs hide {}",
                hidden(visibility)
            ),
            CpuFallback::NoDevice { reason } => write!(f, "no usable CUDA device ({reason})"),
            CpuFallback::GpuFailed { reason } => {
                write!(
                    f,
                    "the GPU prover failed ({reason}); proved again on the CPU"
                )
            }
        }
    }
}

/// Where a proof was computed, and why not on the GPU when [`Device::Auto`] chose the CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvedOn {
    /// The backend that made the proof.
    pub backend: Backend,
    /// Set when [`Device::Auto`] proved on the CPU: why.
    pub fallback: Option<CpuFallback>,
}

/// True when every witness value is a function of public data (public inputs, fixed
/// parameters), so a proof that does not blind its witness reveals nothing extra.
pub fn witness_is_public(visibility: &Visibilities) -> bool {
    visibility.input == Visibility::Public && visibility.params == ParamVisibility::Fixed
}

/// What a model's proofs hide, in words (for messages).
pub(crate) fn hidden(v: &Visibilities) -> String {
    let mut parts = Vec::new();
    if v.input != Visibility::Public {
        parts.push(format!("its {} inputs", v.input));
    }
    if v.params != ParamVisibility::Fixed {
        parts.push(format!("its {} parameters", v.params));
    }
    parts.join(" and ")
}

/// The backend to try first for `device` and a model of `visibility`: `Ok((backend,
/// fallback))` where `fallback` says why [`Device::Auto`] chose the CPU. An explicit
/// [`Device::Cuda`] that cannot be honoured is an error naming why.
pub fn select(device: Device, visibility: &Visibilities) -> Result<(Backend, Option<CpuFallback>)> {
    match device {
        Device::Cpu => Ok((Backend::Cpu, None)),
        Device::Cuda => {
            // The visibility first: a CUDA build would refuse this model too.
            if !witness_is_public(visibility) {
                return Err(ProverError::CudaNotZeroKnowledge {
                    visibility: *visibility,
                });
            }
            if !cfg!(feature = "cuda") {
                return Err(ProverError::CudaNotBuilt);
            }
            let device = probe().map_err(|reason| ProverError::CudaUnavailable { reason })?;
            Ok((Backend::Cuda { device }, None))
        }
        Device::Auto => {
            if !cfg!(feature = "cuda") {
                return Ok((Backend::Cpu, Some(CpuFallback::NotBuilt)));
            }
            if !witness_is_public(visibility) {
                let visibility = *visibility;
                return Ok((
                    Backend::Cpu,
                    Some(CpuFallback::SecretWitness { visibility }),
                ));
            }
            match probe() {
                Ok(device) => Ok((Backend::Cuda { device }, None)),
                Err(reason) => Ok((Backend::Cpu, Some(CpuFallback::NoDevice { reason }))),
            }
        }
    }
}

/// What to do after the GPU failed with `error`: under [`Device::Auto`], prove on the CPU
/// for the returned reason; under an explicit [`Device::Cuda`], report `error`.
pub(crate) fn after_gpu_failure(device: Device, error: ProverError) -> Result<CpuFallback> {
    match device {
        Device::Auto => Ok(CpuFallback::GpuFailed {
            reason: error.to_string(),
        }),
        Device::Cpu | Device::Cuda => Err(error),
    }
}

/// Asks the CUDA runtime for a usable device: its ordinal, or what the runtime said.
#[cfg(feature = "cuda")]
pub fn probe() -> std::result::Result<i32, String> {
    cuda::probe()
}

/// Without the `cuda` feature no device is ever usable.
#[cfg(not(feature = "cuda"))]
pub fn probe() -> std::result::Result<i32, String> {
    Err("this zkinfer was built without the `cuda` feature".to_string())
}

#[cfg(feature = "cuda")]
pub(crate) use cuda::create as create_cuda;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn vis(input: Visibility, params: ParamVisibility) -> Visibilities {
        Visibilities {
            input,
            params,
            ..Visibilities::default()
        }
    }

    #[test]
    fn device_names_round_trip() {
        for d in [Device::Auto, Device::Cpu, Device::Cuda] {
            assert_eq!(d.name().parse::<Device>(), Ok(d));
        }
        assert_eq!("GPU".parse::<Device>(), Ok(Device::Cuda));
        let err = "tpu".parse::<Device>().unwrap_err();
        assert!(err.to_string().contains("auto, cpu or cuda"), "{err}");
    }

    #[test]
    fn only_public_witnesses_may_use_the_gpu() {
        assert!(witness_is_public(&Visibilities::default()));
        // The output's visibility does not matter: it is a function of public data.
        let hashed_out = Visibilities {
            output: Visibility::Hashed,
            ..Visibilities::default()
        };
        assert!(witness_is_public(&hashed_out));
        for input in [Visibility::Private, Visibility::Hashed] {
            assert!(!witness_is_public(&vis(input, ParamVisibility::Fixed)));
        }
        for params in [
            ParamVisibility::Private,
            ParamVisibility::Hashed,
            ParamVisibility::Committed,
        ] {
            assert!(!witness_is_public(&vis(Visibility::Public, params)));
        }
        assert_eq!(
            hidden(&vis(Visibility::Hashed, ParamVisibility::Committed)),
            "its hashed inputs and its committed parameters"
        );
    }

    #[test]
    fn cpu_is_always_the_cpu() {
        let secret = vis(Visibility::Private, ParamVisibility::Private);
        for v in [Visibilities::default(), secret] {
            assert_eq!(select(Device::Cpu, &v).unwrap(), (Backend::Cpu, None));
        }
    }

    #[test]
    fn cuda_refuses_a_secret_witness_whatever_the_build() {
        let secret = vis(Visibility::Hashed, ParamVisibility::Fixed);
        let err = select(Device::Cuda, &secret).unwrap_err();
        assert!(
            matches!(err, ProverError::CudaNotZeroKnowledge { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("hide its hashed inputs"), "{text}");
    }

    #[test]
    fn only_auto_falls_back_after_a_gpu_failure() {
        let oom = || ProverError::CudaOutOfMemory {
            k: 24,
            detail: "cudaErrorMemoryAllocation".into(),
        };
        match after_gpu_failure(Device::Auto, oom()).unwrap() {
            CpuFallback::GpuFailed { reason } => {
                assert!(reason.contains("ran out of memory"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
        let err = after_gpu_failure(Device::Cuda, oom()).unwrap_err();
        assert!(
            matches!(err, ProverError::CudaOutOfMemory { k: 24, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2^24 rows"), "{err}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn without_the_feature_auto_is_the_cpu_and_cuda_an_error() {
        let (b, why) = select(Device::Auto, &Visibilities::default()).unwrap();
        assert_eq!((b, why), (Backend::Cpu, Some(CpuFallback::NotBuilt)));
        let err = select(Device::Cuda, &Visibilities::default()).unwrap_err();
        assert!(matches!(err, ProverError::CudaNotBuilt));
        assert!(err.to_string().contains("--features cuda"), "{err}");
    }

    #[cfg(feature = "cuda")]
    #[test]
    fn with_the_feature_auto_falls_back_on_a_secret_witness() {
        let secret = vis(Visibility::Public, ParamVisibility::Committed);
        let (b, why) = select(Device::Auto, &secret).unwrap();
        assert_eq!(b, Backend::Cpu);
        assert!(
            matches!(why, Some(CpuFallback::SecretWitness { .. })),
            "{why:?}"
        );
    }
}
