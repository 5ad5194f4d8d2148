//! Unit tests of `split.rs` (kept apart to keep that file small).
#![allow(clippy::unwrap_used)]
use super::*;
use crate::codegen::harden;

/// A verifier-shaped source: 40 scalar reads (2 instances, then the proof) and blocks.
fn fake() -> GeneratedVerifier {
    let body: String = (0..40)
        .map(|i| format!("mstore({:#x}, mod(calldataload({:#x}), f_q))\n        {{\n            let x := {i}\n        }}\n", 0xa0 + 32 * i, 32 * i))
        .collect();
    let source = format!(
        "pragma solidity 0.8.19;\ncontract Halo2Verifier {{\n    fallback(bytes calldata) external returns (bytes memory) {{\n        assembly (\"memory-safe\") {{\n            // Enforce\n            let data := mload(0x40)\n            if iszero(eq(data, 0x80)) {{\n                revert(0, 0)\n            }}\n            let success := true\n            let f_p := 1\n            let f_q := 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001\n            function validate_ec_point(x, y) -> valid {{\n                {{ valid := 1 }}\n            }}\n{body}\n            // Revert if anything fails\n            if iszero(success) {{ revert(0, 0) }}\n\n            // Return empty bytes on success\n            return(0, 0)\n        }}\n    }}\n}}\n"
    );
    GeneratedVerifier {
        source: harden(&source, 2).unwrap(),
        num_instances: 2,
        proof_len: 38 * 32,
        committed: None,
        natspec: crate::NatSpec {
            model: "fake".into(),
            ..Default::default()
        },
    }
}

#[test]
fn parses_and_splits_keeping_every_statement() {
    let v = fake();
    assert_eq!(
        v.scalar_offsets(),
        (0..40).map(|i| 32 * i).collect::<Vec<_>>()
    );
    let p = parse(&v.source).unwrap();
    assert_eq!(p.header.len(), 6);
    assert_eq!(p.body.len(), 80);
    let s = split(&v, 3).unwrap();
    assert_eq!(s.parts.len(), 2);
    // The highest access: mstore(0xa0 + 32·39) = 0x580, one word.
    assert_eq!(s.memory, 0x5a0);
    let hashes = [[1u8; 32], [2u8; 32]];
    let entry = s.entry([7; 32], PartHashes::Constants(&hashes)).unwrap();
    assert_eq!(entry.name, "Halo2Verifier");
    assert_eq!(
        entry.constructor,
        [
            ConstructorArg::Address("Halo2VerifierPart1".into()),
            ConstructorArg::Address("Halo2VerifierPart2".into())
        ]
    );
    assert!(entry
        .source
        .contains(&format!("PART_2_CODEHASH = 0x{}", hex::encode([2u8; 32]))));
    assert!(entry
        .source
        .contains(&format!("mstore(0, 0x{})", hex::encode([7u8; 32]))));
    assert!(entry.source.contains("eq(returndatasize(), 1440)"));
    // The part addresses live in memory above what the entry uses (its 1440 bytes, then
    // calldata || memory for the parts), not in Solidity locals ("Stack too deep" from
    // seven parts on).
    assert!(!entry.source.contains("address part1 ="));
    assert!(entry.source.contains("mstore(0x1040, part)"));
    assert!(entry.source.contains("mstore(0x1060, part)"));
    assert!(entry
        .source
        .contains("staticcall(gas(), mload(0x1060), 1440, 2720, 0, 0)"));
    assert!(entry.source.contains(
        "constructor(address[2] memory parts) {\n        require(parts[0].code.length > 0"
    ));
    // One-line notices: whom to call instead.
    assert!(entry.source.contains(&format!(
        "/// @notice The generated verifier (vk.bin sha256 0x{}) for fake: call \
         ZkinferVerifier.verifyProof, not this contract.\n/// @dev zkinfer: ",
        hex::encode([7u8; 32])
    )));
    assert!(s.parts[1].source.contains(
        "/// @notice Part 2 of 3 of the generated verifier for fake: call \
         ZkinferVerifier.verifyProof, not this contract.\n/// @dev Part 2 of 3"
    ));
    // Every body statement appears in exactly one contract, in order.
    let all: String = s
        .parts
        .iter()
        .map(|p| p.source.clone())
        .chain([entry.source.clone()])
        .collect();
    for st in &p.body {
        assert_eq!(all.matches(st.as_str()).count(), 1, "{st}");
    }
    // The fake's statements all read calldata: instances || proof (1280 bytes) first.
    assert!(s.parts[0]
        .source
        .contains("if iszero(eq(calldatasize(), 2720)) { revert(0, 0) }"));
    assert!(s.parts[0].source.contains("calldatacopy(0, 1280, 1440)"));
    // Without compiled parts, the hashes are constructor arguments.
    let args = s.entry([7; 32], PartHashes::ConstructorArgs).unwrap();
    assert_eq!(
        args.constructor[2..],
        [
            ConstructorArg::Codehash("Halo2VerifierPart1".into()),
            ConstructorArg::Codehash("Halo2VerifierPart2".into())
        ]
    );
    assert!(args
        .source
        .contains("constructor(address[2] memory parts, bytes32[2] memory partCodeHashes)"));
    assert!(args
        .source
        .contains("require(parts[1].codehash == partCodeHashes[1]"));
    assert!(s
        .entry([7; 32], PartHashes::Constants(&hashes[..1]))
        .is_err());
    // Unsplit: no parts, no constructor, the same queries.
    let whole = split(&v, 1).unwrap();
    assert!(whole.parts.is_empty());
    let e = whole.entry([7; 32], PartHashes::ConstructorArgs).unwrap();
    assert!(e.constructor.is_empty() && !e.source.contains("constructor"));
    assert!(e.source.contains("case 0x80f73cd4"));
    // Committed columns 1..3: the entry answers paramCommitmentRange() = (64, 128).
    assert!(!e.source.contains("paramCommitmentRange"));
    let committed = GeneratedVerifier {
        committed: Some(crate::CommittedColumns { first: 1, count: 2 }),
        ..v.clone()
    };
    let e = split(&committed, 2)
        .unwrap()
        .entry([7; 32], PartHashes::ConstructorArgs)
        .unwrap();
    assert!(e
        .source
        .contains("case 0x6cd8d2ba { mstore(0, 64) mstore(0x20, 128) return(0, 0x40) }"));
    let outside = GeneratedVerifier {
        committed: Some(crate::CommittedColumns {
            first: 0,
            count: 20,
        }),
        ..v.clone()
    };
    assert!(split(&outside, 1)
        .unwrap()
        .entry([7; 32], PartHashes::ConstructorArgs)
        .is_err());
    assert!(split(&v, 1000).is_err());
    assert!(parse("contract X {}").is_err());
}

#[test]
fn refuses_unhardened_scalar_reads() {
    let v = fake();
    let raw = GeneratedVerifier {
        source: v.source.replace(
            "{ let zkinfer_scalar := calldataload(0x20) success := and(lt(zkinfer_scalar, f_q), success) mstore(0xc0, zkinfer_scalar) }",
            "mstore(0xc0, mod(calldataload(0x20), f_q))",
        ),
        ..v
    };
    assert_ne!(raw.source, fake().source);
    assert!(split(&raw, 2).is_err());
}

#[test]
fn part_counts() {
    assert_eq!(initial_parts(1000), 1);
    assert_eq!(initial_parts(113_369), 2);
    assert_eq!(initial_parts(171_724), 2);
    assert_eq!(initial_parts(300_000), 3);
}
