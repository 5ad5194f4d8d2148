//! The generated verifier: snark-verifier's EVM loader run over the model's verifying key.
//!
//! The output is one Solidity contract, `Halo2Verifier`, whose `fallback` takes calldata
//! `instances || proof` (each instance a 32-byte big-endian word, then the Keccak-transcript
//! proof) and returns empty data when the proof is valid, reverting otherwise. The
//! verifying key (fixed and permutation commitments, the domain, the KZG points) is
//! inlined as constants. Compile it with solc 0.8.19 and the optimizer **off** (with it on,
//! solc fails with "stack too deep").

use std::rc::Rc;

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine};
use halo2_base::halo2_proofs::plonk::VerifyingKey;
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier_sdk::snark_verifier::cost::CostEstimation;
use snark_verifier_sdk::snark_verifier::loader::evm::EvmLoader;
use snark_verifier_sdk::snark_verifier::pcs::kzg::KzgDecidingKey;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier_sdk::snark_verifier::system::halo2::{compile, Config};
use snark_verifier_sdk::snark_verifier::verifier::SnarkVerifier;
use snark_verifier_sdk::{PlonkVerifier, SHPLONK};

use crate::error::{guard, Result, SolidityError};

/// Name of the generated contract.
pub const VERIFIER_CONTRACT: &str = "Halo2Verifier";

/// The Solidity version the generated code pins (`pragma solidity 0.8.19;`).
pub const SOLC_VERSION: &str = "0.8.19";

/// A generated verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedVerifier {
    /// Solidity source of [`VERIFIER_CONTRACT`], exactly as snark-verifier writes it.
    pub source: String,
    /// Number of public instances (32-byte words before the proof in the calldata).
    pub num_instances: usize,
    /// Exact length in bytes of a Keccak-transcript proof for this key.
    pub proof_len: usize,
}

/// Generates the Solidity verifier for a SHPLONK/KZG halo2 key with one instance column of
/// `num_instances` values, proven with the Keccak transcript. `params` needs only `k`,
/// `g[0]`, `g2` and `s·g2` (the verifier's part of the SRS).
pub fn generate_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<GeneratedVerifier> {
    if vk.get_domain().k() != params.k() {
        return Err(SolidityError::Codegen(format!(
            "the key has k = {} but the parameters k = {}",
            vk.get_domain().k(),
            params.k()
        )));
    }
    if vk.cs().num_instance_columns() != 1 {
        return Err(SolidityError::Codegen(format!(
            "expected one instance column, the key has {}",
            vk.cs().num_instance_columns()
        )));
    }
    let g0 = *params
        .get_g()
        .first()
        .ok_or_else(|| SolidityError::Codegen("the parameters hold no G1 point".into()))?;
    guard("generating the verifier", || {
        let protocol = compile(
            params,
            vk,
            Config::kzg().with_num_instance(vec![num_instances]),
        );
        let cost = PlonkVerifier::<SHPLONK>::estimate_cost(&protocol);
        let proof_len = cost.num_commitment * 64 + cost.num_evaluation * 32;
        let dk: KzgDecidingKey<Bn256> = (g0, params.g2(), params.s_g2()).into();
        let loader = EvmLoader::new::<Fq, Fr>();
        let protocol = protocol.loaded(&loader);
        let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
        let instances = transcript.load_instances(vec![num_instances]);
        let proof =
            PlonkVerifier::<SHPLONK>::read_proof(&dk, &protocol, &instances, &mut transcript)
                .map_err(|e| SolidityError::Codegen(format!("{e:?}")))?;
        PlonkVerifier::<SHPLONK>::verify(&dk, &protocol, &instances, &proof)
            .map_err(|e| SolidityError::Codegen(format!("{e:?}")))?;
        Ok(GeneratedVerifier {
            source: loader.solidity_code(),
            num_instances,
            proof_len,
        })
    })?
}
