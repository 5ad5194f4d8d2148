//! The CUDA backend (`cuda` feature): halo2-axiom-gpu 1.0.1's KZG prover.
//!
//! halo2-axiom-gpu depends on exactly our halo2-axiom 0.5.3 and re-exports its circuit,
//! key and transcript types, so it proves our [`ModelCircuit`] with our [`ProvingKey`] into
//! our transcripts; only its KZG parameter type is its own (filled from our SRS's bytes).
//!
//! Every failure comes back as a [`CudaFailure`], never a panic: the device is checked with
//! the CUDA runtime before anything touches it ([`probe`]), and a panic inside the GPU
//! prover (its kernels' wrappers `expect` on driver errors) is caught and reported.

use circuits::halo2::ModelCircuit;
use halo2_axiom_gpu::plonk::GpuError;
use halo2_axiom_gpu::poly::kzg::commitment::{
    KZGCommitmentScheme as GpuKzg, ParamsKZG as GpuParams,
};
use halo2_axiom_gpu::poly::kzg::multiopen::ProverSHPLONK as GpuShplonk;
use halo2_axiom_gpu::SerdeFormat;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::transcript::{EncodedChallenge, TranscriptWriterBuffer};
use rand_chacha::ChaCha20Rng;

use crate::error::{panic_message, ProverError};
use crate::srs::Srs;

/// Why the GPU did not produce a proof.
#[derive(Debug)]
pub(crate) enum CudaFailure {
    /// The device ran out of memory (or the prover's preflight said it would).
    OutOfMemory(String),
    /// Any other driver, kernel or prover error, or a caught panic.
    Failed(String),
}

impl CudaFailure {
    /// The named error for a failure proving a circuit of 2^`k` rows.
    pub(crate) fn into_error(self, k: u32) -> ProverError {
        match self {
            CudaFailure::OutOfMemory(detail) => ProverError::CudaOutOfMemory { k, detail },
            CudaFailure::Failed(detail) => ProverError::Cuda { detail },
        }
    }
}

/// The ordinal of a usable CUDA device, or what the CUDA runtime said: `cudaGetDevice`,
/// `cudaSetDevice` and a context-initializing `cudaFree(0)`, which fail cleanly with
/// "no CUDA-capable device" or "driver too old" instead of at the first kernel.
pub(crate) fn probe() -> Result<i32, String> {
    match std::panic::catch_unwind(openvm_cuda_common::common::set_device) {
        Ok(Ok(device)) => Ok(device),
        Ok(Err(e)) => Err(e.to_string()),
        Err(payload) => Err(format!(
            "the CUDA runtime panicked: {}",
            panic_message(&*payload)
        )),
    }
}

/// One SHPLONK proof of `circuit` on the GPU, written to `transcript`.
pub(crate) fn create<E, T>(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: &[ModelCircuit],
    instances: &[Fr],
    rng: ChaCha20Rng,
    mut transcript: T,
) -> Result<Vec<u8>, CudaFailure>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWriterBuffer<Vec<u8>, G1Affine, E>,
{
    // The GPU crate's own parameter type, from our SRS's bytes (64 bytes a point: a few
    // milliseconds against a proof's seconds).
    let mut bytes = Vec::new();
    srs.write_custom(&mut bytes, SerdeFormat::RawBytesUnchecked)
        .map_err(|e| CudaFailure::Failed(format!("cannot serialize the SRS: {e}")))?;
    let params =
        GpuParams::<Bn256>::read_custom(&mut &bytes[..], SerdeFormat::RawBytesUnchecked)
            .map_err(|e| CudaFailure::Failed(format!("cannot load the SRS for the GPU: {e}")))?;
    drop(bytes);
    let instance_columns: [&[Fr]; 1] = [instances];
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        halo2_axiom_gpu::plonk::create_proof::<GpuKzg<Bn256>, GpuShplonk<'_, Bn256>, E, _, T, _>(
            &params,
            pk,
            circuit,
            &[&instance_columns],
            rng,
            &mut transcript,
        )
    }));
    match result {
        Ok(Ok(())) => Ok(transcript.finalize()),
        Ok(Err(e)) => Err(classify(&e)),
        Err(payload) => {
            let message = panic_message(&*payload);
            if looks_like_oom(&message) {
                Err(CudaFailure::OutOfMemory(message))
            } else {
                Err(CudaFailure::Failed(format!(
                    "the GPU prover panicked: {message}"
                )))
            }
        }
    }
}

/// Sorts a GPU prover error into out-of-memory or other.
fn classify(e: &GpuError) -> CudaFailure {
    use halo2_axiom_gpu::cuda::HaloGpuError;
    let oom = match e {
        GpuError::Cuda(c) => c.is_out_of_memory(),
        GpuError::HaloGpu(HaloGpuError::InsufficientGpuMemory { .. }) => true,
        GpuError::HaloGpu(HaloGpuError::Cuda(c)) => c.is_out_of_memory(),
        _ => false,
    };
    if oom {
        CudaFailure::OutOfMemory(e.to_string())
    } else {
        CudaFailure::Failed(e.to_string())
    }
}

/// Panics from the device memory manager carry its `OutOfMemory` error or CUDA's
/// "out of memory" string.
fn looks_like_oom(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("out of memory") || m.contains("outofmemory") || m.contains("memoryallocation")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_memory_panics_are_recognized() {
        assert!(looks_like_oom(
            "called `Result::unwrap()` on an `Err` value: OutOfMemory { requested: 1, available: 0 }"
        ));
        assert!(looks_like_oom(
            "CUDA error: out of memory (cudaErrorMemoryAllocation)"
        ));
        assert!(!looks_like_oom("no CUDA-capable device is detected"));
    }

    fn cuda_error(code: i32, name: &str) -> openvm_cuda_common::error::CudaError {
        openvm_cuda_common::error::CudaError {
            code,
            name: name.to_string(),
            message: name.to_string(),
        }
    }

    #[test]
    fn gpu_errors_are_sorted_into_out_of_memory_or_other() {
        use halo2_axiom_gpu::cuda::HaloGpuError;
        let oom = [
            GpuError::Cuda(cuda_error(2, "cudaErrorMemoryAllocation")),
            GpuError::HaloGpu(HaloGpuError::InsufficientGpuMemory {
                context: "test",
                magnitude: 24,
                free_bytes: 0,
            }),
            GpuError::HaloGpu(HaloGpuError::Cuda(cuda_error(
                2,
                "cudaErrorMemoryAllocation",
            ))),
        ];
        for e in &oom {
            assert!(matches!(classify(e), CudaFailure::OutOfMemory(_)), "{e}");
        }
        let other = GpuError::Cuda(cuda_error(100, "cudaErrorNoDevice"));
        assert!(matches!(classify(&other), CudaFailure::Failed(_)));
        let e = classify(&oom[0]).into_error(17);
        assert!(
            matches!(e, ProverError::CudaOutOfMemory { k: 17, .. }),
            "{e}"
        );
        let e = classify(&other).into_error(17);
        assert!(e.to_string().contains("cudaErrorNoDevice"), "{e}");
    }
}
