//! Calldata: the raw layout of the generated verifier, and ABI encoding of
//! `verifyProof(bytes,uint256[])` on the wrapper.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField;
use sha3::{Digest, Keccak256};

use crate::wrapper::VERIFY_PROOF_SIGNATURE;

/// Keccak-256.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// A scalar as a 32-byte big-endian word (the EVM's `uint256`).
pub fn fr_to_word(x: &Fr) -> [u8; 32] {
    let mut w = x.to_repr();
    w.reverse();
    w
}

/// The generated verifier's calldata: each instance as a 32-byte big-endian word, then the
/// proof (what the wrapper builds with `abi.encodePacked(instances, proof)`).
pub fn raw_calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(instances.len() * 32 + proof.len());
    for x in instances {
        out.extend_from_slice(&fr_to_word(x));
    }
    out.extend_from_slice(proof);
    out
}

/// The 4-byte selector of a function signature.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

fn word(n: usize) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&(n as u64).to_be_bytes());
    w
}

/// Complete transaction data for `paramCommitment(proof)` on `ZkinferVerifier` (the
/// canonical ABI encoding: selector, offset `0x20`, length, proof zero-padded to 32 bytes).
pub fn param_commitment_calldata(proof: &[u8]) -> Vec<u8> {
    let padded = proof.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 64 + padded);
    out.extend_from_slice(&selector(
        crate::param_commitment::PARAM_COMMITMENT_SIGNATURE,
    ));
    out.extend_from_slice(&word(0x20));
    out.extend_from_slice(&word(proof.len()));
    out.extend_from_slice(proof);
    out.resize(4 + 64 + padded, 0);
    out
}

/// Complete transaction data for `verifyProof(proof, instances)` on the wrapper.
pub fn verify_proof_calldata(proof: &[u8], instances: &[Fr]) -> Vec<u8> {
    let words: Vec<[u8; 32]> = instances.iter().map(fr_to_word).collect();
    verify_proof_calldata_words(proof, &words)
}

/// [`verify_proof_calldata`] with the instances already as big-endian words (which may be
/// out of the field: the wrapper rejects those).
pub fn verify_proof_calldata_words(proof: &[u8], instances: &[[u8; 32]]) -> Vec<u8> {
    let padded = proof.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 32 * 4 + padded + 32 * instances.len());
    out.extend_from_slice(&selector(VERIFY_PROOF_SIGNATURE));
    out.extend_from_slice(&word(0x40));
    out.extend_from_slice(&word(0x40 + 32 + padded));
    out.extend_from_slice(&word(proof.len()));
    out.extend_from_slice(proof);
    out.resize(out.len() + padded - proof.len(), 0);
    out.extend_from_slice(&word(instances.len()));
    for w in instances {
        out.extend_from_slice(w);
    }
    out
}

/// Decodes the `bool` an `eth_call` returned; `None` if it is not one ABI word of 0 or 1.
pub fn decode_bool(output: &[u8]) -> Option<bool> {
    if output.len() != 32 || output[..31].iter().any(|b| *b != 0) {
        return None;
    }
    match output[31] {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn selector_and_layout() {
        // Well-known selector: transfer(address,uint256) = a9059cbb.
        assert_eq!(
            hex::encode(selector("transfer(address,uint256)")),
            "a9059cbb"
        );
        let data = verify_proof_calldata(&[0xaa; 33], &[Fr::one(), -Fr::one()]);
        assert_eq!(data.len(), 4 + 32 * 3 + 64 + 32 + 64);
        assert_eq!(data[4 + 31], 0x40);
        assert_eq!(data[4 + 32 + 31], 0x40 + 32 + 64);
        assert_eq!(data[4 + 64 + 31], 33);
        assert_eq!(&data[4 + 96..4 + 96 + 33], &[0xaa; 33]);
        assert_eq!(data[4 + 96 + 33], 0);
        assert_eq!(data[4 + 96 + 64 + 31], 2);
        assert_eq!(data[4 + 96 + 64 + 32 + 31], 1);
        // -1 = r - 1, big-endian, starts with 0x30 64 4e 72.
        assert_eq!(
            &data[data.len() - 32..data.len() - 28],
            &[0x30, 0x64, 0x4e, 0x72]
        );
        let raw = raw_calldata(&[Fr::from(258u64)], &[7]);
        assert_eq!(&raw[30..], &[1, 2, 7]);
        assert_eq!(decode_bool(&word(1)), Some(true));
        assert_eq!(decode_bool(&word(0)), Some(false));
        assert_eq!(decode_bool(&word(2)), None);
        assert_eq!(decode_bool(&[]), None);
    }
}
