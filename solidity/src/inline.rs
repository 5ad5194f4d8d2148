//! The single-contract verifier: the generated verifying code inside `ZkinferVerifier`
//! itself, behind the same `verifyProof(bytes proof, uint256[] instances) returns (bool)`.
//!
//! The [`wrapper`](crate::wrapper) costs a cold call and a copy of all calldata into memory
//! (about 15k gas on `digits_mlp16`). When the generated verifier fits in one contract, this
//! module removes both: snark-verifier reads its input only through `calldataload(LITERAL)`
//! from the raw layout `instances ‖ proof`, so each literal is moved to where the canonical
//! ABI encoding of `verifyProof(proof, instances)` puts that word:
//!
//! ```text
//! 0x00 selector | 0x04 0x40 (offset of proof) | 0x24 0x60+P (offset of instances)
//! 0x44 P | 0x64 proof (P bytes) | 0x64+P N | 0x84+P instances (32·N bytes)
//! ```
//!
//! (`P`, the proof length, is a multiple of 32.) `verifyProof` is decoded by hand in the
//! contract's `fallback`, not by Solidity (whose decoder reverts on a malformed call): a
//! call with the `verifyProof` selector whose encoding is not exactly that — other offsets
//! or lengths, truncated, or with trailing bytes — returns `false`, as does an instance
//! or proof scalar that is not below the scalar modulus `r` (the generated code checks every
//! one, see [`crate::codegen`]) and a rejected proof. Every ABI encoder (Solidity's
//! `abi.encodeCall`, ethers, viem, cast) produces exactly the canonical encoding. Other
//! selectors revert, like any contract without that function. Running out of gas reverts:
//! also when only a precompile call ran out (it then fails like a rejection, and the
//! contract checks how much gas is left), so a call given at least ~1.07 times the
//! verification gas always gets `true` or `false`.
//!
//! A verifier generated with committed columns also answers `paramCommitment(bytes proof)`
//! in the same `fallback`, before `verifyProof`, with the committed range as constants (see
//! [`crate::param_commitment`]); the ABI then has that entry too.

use crate::calldata::selector;
use crate::codegen::GeneratedVerifier;
use crate::natspec::{Facts, Shape};
use crate::param_commitment::param_commitment_yul;
use crate::wrapper::{VERIFY_PROOF_SIGNATURE, WRAPPER_CONTRACT};

/// The contract source, or `None` when the generated code reads calldata in a way this
/// rewrite does not understand (then the bundle falls back to the wrapper).
pub fn inline_source(verifier: &GeneratedVerifier, vk_digest: [u8; 32]) -> Option<String> {
    let (n, p) = (verifier.num_instances, verifier.proof_len);
    if p % 32 != 0 {
        return None;
    }
    let src = &verifier.source;
    // Only code whose scalar reads are canonical (see crate::codegen).
    if src.contains("mod(calldataload(") {
        return None;
    }
    // The assembly block: from its opening to the generated tail.
    let open = "assembly (\"memory-safe\") {";
    let start = src.find(open)? + open.len();
    let tail = "if iszero(success) { revert(0, 0) }";
    let end = src.rfind(tail)?;
    let body = remap_calldata(&src[start..end], n, p)?;
    let digest = hex::encode(vk_digest);
    let sel = hex::encode(selector(VERIFY_PROOF_SIGNATURE));
    let (param_doc, param_code) = match verifier.committed {
        Some(c) => {
            let r = c.proof_range();
            if r.end > p {
                return None;
            }
            (
                format!(
                    "\n    /// paramCommitment(bytes proof) returns (bytes32): keccak256(proof[{}:{}]), the \
                     commitments\n    /// of the committed parameter columns {}..{}, or 0 for a malformed call or \
                     a shorter\n    /// proof; never reverts. Compare it with the registered commitment after \
                     verifyProof\n    /// returned true for the same proof.",
                    r.start,
                    r.end,
                    c.first,
                    c.first + c.count
                ),
                param_commitment_yul(
                    "            ",
                    &format!("{:#x}", r.start),
                    &format!("{:#x}", r.len()),
                ),
            )
        }
        None => (String::new(), String::new()),
    };
    Some(format!(
        r#"// SPDX-License-Identifier: MIT

pragma solidity 0.8.19;

{doc}contract {WRAPPER_CONTRACT} {{
    /// @notice Number of public instances a proof comes with.
    uint256 public constant numInstances = {n};
    /// @notice Exact length of a proof, in bytes.
    uint256 public constant proofLength = {p};
    /// @notice sha256 of the model's vk.bin (the model commitment zkinfer prints), from which
    /// the verifying code below was generated.
    bytes32 public constant modelCommitment = 0x{digest};

    /// @notice verifyProof(bytes proof, uint256[] instances) returns (bool ok): true iff
    /// `proof` proves `instances` for this model. Decoded by hand, so that it returns false,
    /// never reverts, on a malformed call: any encoding but the canonical one, a wrong length,
    /// an instance or proof scalar not below r, or a rejected proof. Reverts only when it runs
    /// out of gas, and for other selectors.{param_doc}
    fallback(bytes calldata) external returns (bytes memory) {{
        assembly ("memory-safe") {{
{param_code}            // verifyProof(bytes,uint256[]) only.
            if iszero(eq(shr(224, calldataload(0)), 0x{sel})) {{ revert(0, 0) }}
            // The canonical encoding only: the code below reads fixed positions. Reads past
            // the end of calldata give zeros, and then the size check fails.
            let canonical := eq(calldatasize(), {size:#x})
            canonical := and(canonical, eq(calldataload(0x4), 0x40))
            canonical := and(canonical, eq(calldataload(0x24), {inst_off:#x}))
            canonical := and(canonical, eq(calldataload(0x44), {p}))
            canonical := and(canonical, eq(calldataload({inst_len:#x}), {n}))
            if iszero(canonical) {{
                mstore(0, 0)
                return(0, 0x20)
            }}
        }}
        assembly ("memory-safe") {{
            let zkinfer_gas_at_start := gas(){body}
            // A precompile that runs out of gas fails like a rejection but leaves under 1/64
            // of the gas: revert then, so that a caller never reads "false" for lack of gas
            // and eth_estimateGas finds enough.
            if and(iszero(success), lt(gas(), div(zkinfer_gas_at_start, 16))) {{
                revert(0, 0)
            }}
            mstore(0, success)
            return(0, 0x20)
        }}
    }}
}}
"#,
        doc = verifier.natspec.contract_doc(&Facts {
            vk_digest,
            num_instances: n,
            proof_len: p,
            committed: verifier.committed,
            shape: Shape::Single,
        }),
        inst_off = 0x60 + p,
        inst_len = 0x64 + p,
        size = 0x84 + p + 32 * n,
    ))
}

/// The ABI of the single-contract verifier (what solc emits for [`inline_source`], with the
/// `fallback` described as the `verifyProof` it implements): the wrapper's, without its
/// constructor and `verifier()` getter.
pub const INLINE_ABI: &str = r#"[
  {"type":"function","name":"modelCommitment","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"bytes32","internalType":"bytes32"}]},
  {"type":"function","name":"numInstances","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"proofLength","stateMutability":"view","inputs":[],"outputs":[{"name":"","type":"uint256","internalType":"uint256"}]},
  {"type":"function","name":"verifyProof","stateMutability":"view","inputs":[{"name":"proof","type":"bytes","internalType":"bytes"},{"name":"instances","type":"uint256[]","internalType":"uint256[]"}],"outputs":[{"name":"ok","type":"bool","internalType":"bool"}]}
]
"#;

/// Moves every `calldataload(0x…)` of the raw layout to the ABI layout; `None` if any
/// calldata read is not of that form or falls outside `instances ‖ proof`.
fn remap_calldata(body: &str, n: usize, p: usize) -> Option<String> {
    const CALL: &str = "calldataload(";
    let mut out = String::with_capacity(body.len() + body.len() / 16);
    let mut rest = body;
    while let Some(i) = rest.find(CALL) {
        out.push_str(&rest[..i + CALL.len()]);
        rest = &rest[i + CALL.len()..];
        let close = rest.find(')')?;
        let arg = &rest[..close];
        let x = usize::from_str_radix(arg.strip_prefix("0x")?, 16).ok()?;
        if x % 32 != 0 || x >= 32 * n + p {
            return None;
        }
        let y = if x < 32 * n {
            0x84 + p + x
        } else {
            0x64 + (x - 32 * n)
        };
        out.push_str(&format!("{y:#x}"));
        rest = &rest[close..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn remaps_instances_and_proof_words() {
        // 2 instances, a 64-byte proof: instances at 0x84+0x40, proof at 0x64.
        let body = "a(calldataload(0x0)) b(calldataload(0x20)) c(calldataload(0x40)) d(calldataload(0x60))";
        let got = remap_calldata(body, 2, 64).unwrap();
        assert_eq!(
            got,
            "a(calldataload(0xc4)) b(calldataload(0xe4)) c(calldataload(0x64)) d(calldataload(0x84))"
        );
    }

    #[test]
    fn refuses_what_it_cannot_map() {
        assert!(remap_calldata("calldataload(add(x, 1))", 2, 64).is_none());
        assert!(remap_calldata("calldataload(0x80)", 2, 64).is_none());
        assert!(remap_calldata("calldataload(0x10)", 2, 64).is_none());
        let v = GeneratedVerifier {
            source: "no assembly".into(),
            num_instances: 1,
            proof_len: 64,
            committed: None,
            natspec: Default::default(),
        };
        assert!(inline_source(&v, [0; 32]).is_none());
        // A scalar read the generated code would reduce mod r: refused.
        let raw = "assembly (\"memory-safe\") {\nmstore(0x80, mod(calldataload(0x0), f_q))\n\
                   if iszero(success) { revert(0, 0) }";
        let v = GeneratedVerifier {
            source: raw.into(),
            ..v
        };
        assert!(inline_source(&v, [0; 32]).is_none());
        let hardened = GeneratedVerifier {
            source: raw.replace(
                "mstore(0x80, mod(calldataload(0x0), f_q))",
                "{ let zkinfer_scalar := calldataload(0x0) success := and(lt(zkinfer_scalar, \
                 f_q), success) mstore(0x80, zkinfer_scalar) }",
            ),
            ..v
        };
        let src = inline_source(&hardened, [0xab; 32]).unwrap();
        // The instance moved to 0x84 + 64; verifyProof's selector dispatched by hand.
        assert!(src.contains("calldataload(0xc4)"), "{src}");
        assert!(src.contains("eq(shr(224, calldataload(0)), 0x1e8e1e13)"));
        assert!(src.contains(&format!("0x{}", hex::encode([0xab; 32]))));
        // The contract-level NatSpec, before the contract.
        assert!(src.contains(
            "\n/// @title zkinfer verifier of a zkinfer model\n/// @author generated by zkinfer"
        ));
        let flat = src.replace("\n/// ", " ");
        assert!(flat.contains("returns false, never reverting,"));
        assert!(flat.contains("reads the ABI-encoded arguments in place."));
        assert!(flat.contains("1 instance, a BN254 scalar below r"), "{src}");
        // No paramCommitment without committed columns; with them, before verifyProof.
        assert!(!src.contains("paramCommitment"));
        let committed = GeneratedVerifier {
            committed: Some(crate::CommittedColumns { first: 0, count: 1 }),
            ..hardened.clone()
        };
        let src = inline_source(&committed, [0xab; 32]).unwrap();
        let param = src.find("0x1d614581").unwrap();
        assert!(param < src.find("0x1e8e1e13").unwrap());
        assert!(
            src.contains("calldatacopy(ptr, add(0x44, 0x0), 0x40)"),
            "{src}"
        );
        // A range past the proof's end: refused.
        let outside = GeneratedVerifier {
            committed: Some(crate::CommittedColumns { first: 1, count: 1 }),
            ..hardened
        };
        assert!(inline_source(&outside, [0xab; 32]).is_none());
    }
}
