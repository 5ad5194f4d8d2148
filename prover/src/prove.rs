//! Witness generation and proving (SHPLONK multi-open KZG on BN254).
//!
//! # Randomness and zero knowledge
//!
//! The prover's randomness (halo2's blinding factors) comes from a ChaCha20 stream. By
//! default its seed is drawn from the operating system's randomness for every proof, so the
//! blinding is secret and the proof is **zero-knowledge**: it reveals nothing about the
//! private witness (the intermediate activations) beyond the public instances. Two proofs of
//! the same statement then differ in every advice commitment.
//!
//! [`ProveOptions::seed`] set to `Some(seed)` makes the blinding a function of that seed:
//! for reproducible tests only. Whoever knows the seed can strip the blinding, so such a
//! proof is **not zero-knowledge**. The seed reproduces the advice commitments exactly; the
//! later proof bytes may still differ between two seeded runs (halo2-axiom's prover also
//! draws on state the seed does not control, e.g. it orders equal looked-up values through a
//! randomly seeded hash map). Both proofs verify; instances and outputs are deterministic.

use circuits::halo2::{build, CircuitShape};
use circuits::ops::CellTensor;
use circuits::QuantParams;
use halo2_base::gates::circuit::CircuitBuilderStage;
use halo2_base::halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::Circuit;
use halo2_base::halo2_proofs::plonk::ProvingKey;
use halo2_base::halo2_proofs::poly::commitment::ParamsProver;
use halo2_base::halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
use onnx_import::ir::Graph;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::{ChallengeEvm, EvmTranscript};
use verifier::poseidon::{PoseidonChallenge, PoseidonTranscript};
use verifier::TranscriptKind;

use crate::backend::cpu::create;
use crate::backend::{self, Backend, Device, ProvedOn};
use crate::committed::UnblindingRng;
use crate::error::{ProverError, Result};
use crate::srs::Srs;
use crate::Stage;

/// 32 bytes of operating-system randomness (the default blinding seed).
fn os_seed() -> Result<[u8; 32]> {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| ProverError::Randomness {
            message: e.to_string(),
        })?;
    Ok(seed)
}

/// The Keccak (EVM) transcript writing a proof.
type EvmWriter = EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;

/// How to prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProveOptions {
    /// Fiat–Shamir transcript hash.
    pub transcript: TranscriptKind,
    /// Seed of the blinding randomness. `None` (the default): fresh operating-system
    /// randomness, zero-knowledge. `Some`: reproducible blinding, **not zero-knowledge**
    /// (see the module docs).
    pub seed: Option<[u8; 32]>,
    /// Verify the proof before returning it (costs about one verification).
    pub self_check: bool,
    /// Which backend to prove on ([`Device::Auto`] by default: the GPU where this build and
    /// the machine have one and the statement allows it, else the CPU).
    pub device: Device,
}

impl Default for ProveOptions {
    fn default() -> Self {
        Self {
            transcript: TranscriptKind::Blake2b,
            seed: None,
            self_check: true,
            device: Device::Auto,
        }
    }
}

/// A proof with the statement it proves.
#[derive(Clone, Debug)]
pub struct Proof {
    /// The halo2 proof bytes.
    pub bytes: Vec<u8>,
    /// The public instance column: quantized inputs, then quantized outputs.
    pub instances: Vec<Fr>,
    /// The transcript the proof was made with.
    pub transcript: TranscriptKind,
    /// The quantized outputs, as the circuit computed them.
    pub outputs: Vec<CellTensor<i128>>,
    /// The backend that made the proof (and why not the GPU, under [`Device::Auto`]).
    pub proved_on: ProvedOn,
}

/// Proves that the model maps the quantized `inputs` (in `graph.inputs` order) to the
/// outputs it computes. `srs` must be for `shape.k`, and `pk` must come from
/// [`crate::keys::setup`] with the same graph, params and shape.
#[allow(clippy::too_many_arguments)]
pub fn prove(
    graph: &Graph,
    params: &QuantParams,
    shape: &CircuitShape,
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    inputs: &[CellTensor<i128>],
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<Proof> {
    // The backend first: an explicit `cuda` that cannot be honoured fails before the witness.
    let (first, mut fallback) = backend::select(opts.device, &shape.visibility)?;
    progress(Stage::Witness);
    let built = build(
        CircuitBuilderStage::Prover,
        graph,
        params,
        shape,
        Some(inputs),
    )?;
    let instances = built.instances;
    let seed = match opts.seed {
        Some(s) => s,
        None => os_seed()?,
    };
    let circuit = [built.circuit];
    if let Backend::Cuda { .. } = first {
        progress(Stage::ProofCuda);
        match prove_cuda(srs, pk, &circuit, &instances, seed, opts, progress) {
            Ok(bytes) => {
                return Ok(Proof {
                    bytes,
                    instances,
                    transcript: opts.transcript,
                    outputs: built.outputs,
                    proved_on: ProvedOn {
                        backend: first,
                        fallback: None,
                    },
                })
            }
            Err(e) => fallback = Some(backend::after_gpu_failure(opts.device, e)?),
        }
    }
    progress(Stage::Proof);
    let chacha = ChaCha20Rng::from_seed(seed);
    // Committed parameters: their columns' blinding rows are left zero, so the columns'
    // commitments are a function of the weights (see `crate::committed`).
    let committed = circuits::halo2::committed_columns(&circuit[0].params());
    let rng: Box<dyn RngCore> = if committed.is_empty() {
        Box::new(chacha)
    } else {
        Box::new(UnblindingRng::for_verifying_key(
            chacha,
            pk.get_vk(),
            &committed,
        )?)
    };
    let bytes = match opts.transcript {
        TranscriptKind::Blake2b => create::<Challenge255<G1Affine>, _>(
            srs,
            pk,
            &circuit,
            &instances,
            rng,
            Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]),
        )?,
        TranscriptKind::Keccak => create::<ChallengeEvm<G1Affine>, _>(
            srs,
            pk,
            &circuit,
            &instances,
            rng,
            EvmWriter::init(vec![]),
        )?,
        TranscriptKind::Poseidon => create::<PoseidonChallenge, _>(
            srs,
            pk,
            &circuit,
            &instances,
            rng,
            PoseidonTranscript::<Vec<u8>>::init(vec![]),
        )?,
    };
    if opts.self_check {
        progress(Stage::SelfCheck);
        self_check(srs, pk, opts.transcript, &bytes, &instances)?;
    }
    Ok(Proof {
        bytes,
        instances,
        transcript: opts.transcript,
        outputs: built.outputs,
        proved_on: ProvedOn {
            backend: Backend::Cpu,
            fallback,
        },
    })
}

/// One proof on the GPU, checked by the CPU verifier when `opts.self_check` (a GPU proof the
/// verifier rejects is a failure of the GPU backend, so `auto` proves again on the CPU).
#[cfg(feature = "cuda")]
fn prove_cuda(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    circuit: &[circuits::halo2::ModelCircuit],
    instances: &[Fr],
    seed: [u8; 32],
    opts: &ProveOptions,
    progress: &dyn Fn(Stage),
) -> Result<Vec<u8>> {
    use crate::backend::create_cuda;
    // No committed columns here (`backend::select` keeps them on the CPU), so the plain
    // ChaCha stream is the whole of the prover's randomness.
    let rng = ChaCha20Rng::from_seed(seed);
    let made = match opts.transcript {
        TranscriptKind::Blake2b => create_cuda::<Challenge255<G1Affine>, _>(
            srs,
            pk,
            circuit,
            instances,
            rng,
            Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]),
        ),
        TranscriptKind::Keccak => create_cuda::<ChallengeEvm<G1Affine>, _>(
            srs,
            pk,
            circuit,
            instances,
            rng,
            EvmWriter::init(vec![]),
        ),
        TranscriptKind::Poseidon => create_cuda::<PoseidonChallenge, _>(
            srs,
            pk,
            circuit,
            instances,
            rng,
            PoseidonTranscript::<Vec<u8>>::init(vec![]),
        ),
    };
    let bytes = made.map_err(|failure| failure.into_error(pk.get_vk().get_domain().k()))?;
    if opts.self_check {
        progress(Stage::SelfCheck);
        self_check(srs, pk, opts.transcript, &bytes, instances).map_err(|_| ProverError::Cuda {
            detail: "the GPU's proof does not verify with the proving key's own verifying \
                         key (a GPU prover bug); the CPU proves this statement"
                .to_string(),
        })?;
    }
    Ok(bytes)
}

/// Never called: without the `cuda` feature [`backend::select`] never picks the GPU.
#[cfg(not(feature = "cuda"))]
fn prove_cuda(
    _srs: &Srs,
    _pk: &ProvingKey<G1Affine>,
    _circuit: &[circuits::halo2::ModelCircuit],
    _instances: &[Fr],
    _seed: [u8; 32],
    _opts: &ProveOptions,
    _progress: &dyn Fn(Stage),
) -> Result<Vec<u8>> {
    Err(ProverError::CudaNotBuilt)
}

/// Verifies a fresh proof with the proving key's own verifying key.
fn self_check(
    srs: &Srs,
    pk: &ProvingKey<G1Affine>,
    transcript: TranscriptKind,
    proof: &[u8],
    instances: &[Fr],
) -> Result<()> {
    // The verifier crate's own check, as a verifier would run it.
    let ok = verifier::verify_halo2_proof(
        srs.verifier_params(),
        pk.get_vk(),
        transcript,
        proof,
        instances,
    )
    .is_ok();
    if ok {
        Ok(())
    } else {
        Err(ProverError::halo2(
            "the generated proof does not verify: the witness violates a circuit constraint \
             (an input outside the calibrated range?) or the key does not match the settings",
        ))
    }
}
