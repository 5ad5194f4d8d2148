//! The generated verifier: snark-verifier's EVM loader run over the model's verifying key.
//!
//! The output is one Solidity contract, `Halo2Verifier`, whose `fallback` takes calldata
//! `instances || proof` (each instance a 32-byte big-endian word, then the Keccak-transcript
//! proof) and returns empty data when the proof is valid, reverting otherwise. The
//! verifying key (fixed and permutation commitments, the domain, the KZG points) is
//! inlined as constants. Compile it with solc 0.8.19 and the optimizer **off** (with it on,
//! solc fails with "stack too deep").
//!
//! **Canonical scalars.** snark-verifier reads every scalar of the calldata (the instances
//! and the proof's evaluations) as `mstore(PTR, mod(calldataload(OFFSET), f_q))`: a word
//! `s ≥ r` is silently reduced, so `s` and `s + r` would both verify (the native verifier
//! rejects `s + r`). [`generate_verifier`] therefore rewrites each such read into
//!
//! ```text
//! { let zkinfer_scalar := calldataload(OFFSET)
//!   success := and(lt(zkinfer_scalar, f_q), success)      // s < r, else the proof fails
//!   mstore(PTR, zkinfer_scalar) }
//! ```
//!
//! and refuses code with any other kind of calldata read than these and snark-verifier's
//! point reads (`let x := calldataload(..)`, `let y := calldataload(..)`, then
//! `validate_ec_point(x, y)`: both coordinates below `p` and on the curve). So the EVM accepts
//! exactly one encoding of every scalar and point, like the native verifier.
//!
//! **Precompiles only while the proof still passes.** snark-verifier calls each precompile
//! (modexp `0x5`, ecAdd `0x6`, ecMul `0x7`, ecPairing `0x8`) as
//! `success := and(eq(staticcall(gas(), P, IN, IN_LEN, OUT, OUT_LEN), 1), success)`, with all
//! the gas, also after a check has failed: a point off the curve, or with a coordinate
//! `≥ p`, sets `success` to false in `validate_ec_point` and then reaches ecAdd/ecMul, which
//! fail by consuming all the gas they were given, so the whole call reverts out of gas
//! instead of rejecting the proof. [`generate_verifier`] therefore guards every such call,
//!
//! ```text
//! if success { success := and(eq(staticcall(gas(), P, IN, IN_LEN, OUT, OUT_LEN), 1), success) }
//! ```
//!
//! so that once `success` is false no precompile runs (the rest of the code only computes
//! garbage that no longer matters; nothing in it can revert), and refuses code with any
//! other `staticcall`. A rejected proof then costs no more execution gas than a valid one
//! (the guard itself about 20 gas per call); a precompile that runs out of gas still leaves
//! the caller under 1/64 of its gas, which the entry contracts detect and revert on (see
//! [`crate::inline`], [`crate::wrapper`]).

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
use crate::natspec::NatSpec;
use crate::param_commitment::CommittedColumns;

/// Name of the generated contract.
pub const VERIFIER_CONTRACT: &str = "Halo2Verifier";

/// The Solidity version the generated code pins (`pragma solidity 0.8.19;`).
pub const SOLC_VERSION: &str = "0.8.19";

/// A generated verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedVerifier {
    /// Solidity source of [`VERIFIER_CONTRACT`] as snark-verifier writes it, with every scalar
    /// read made canonical and every precompile call guarded by `success` (see the module
    /// docs).
    pub source: String,
    /// Number of public instances (32-byte words before the proof in the calldata).
    pub num_instances: usize,
    /// Exact length in bytes of a Keccak-transcript proof for this key.
    pub proof_len: usize,
    /// The committed (unblinded) advice columns, when generated with them: the entry
    /// contract then answers `paramCommitment(bytes)` (see [`crate::param_commitment`]).
    pub committed: Option<CommittedColumns>,
    /// What `ZkinferVerifier`'s NatSpec says beyond the key's facts (see [`crate::natspec`]).
    pub natspec: NatSpec,
}

/// What [`generate_verifier_with`] may add to the plain verifier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifierOptions {
    /// The key's committed parameter columns (consecutive phase-0 advice columns, e.g.
    /// [`CommittedColumns::from_indices`] of `circuits::halo2::committed_columns`): the
    /// entry contract gets `paramCommitment(bytes proof)`. `None`: no such function, the
    /// same code as [`generate_verifier`].
    pub committed: Option<CommittedColumns>,
    /// The model's name, what each instance is and the gas, for `ZkinferVerifier`'s
    /// NatSpec (see [`crate::natspec`]); the default gives the generic text. Only the
    /// comments depend on it, never the code.
    pub natspec: NatSpec,
}

/// Generates the Solidity verifier for a SHPLONK/KZG halo2 key with one instance column of
/// `num_instances` values, proven with the Keccak transcript. `params` needs only `k`,
/// `g[0]`, `g2` and `s·g2` (the verifier's part of the SRS).
pub fn generate_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<GeneratedVerifier> {
    generate_verifier_with(params, vk, num_instances, &VerifierOptions::default())
}

/// [`generate_verifier`] with `options`. Committed columns must be at least one column, all
/// of them and every column before them phase-0 advice columns of `vk` (so that their
/// commitments are the proof's points `first .. first + count`), else
/// [`SolidityError::Codegen`]; so are instance labels outside `0..num_instances`, overlapping
/// or out of order ([`NatSpec::check`]).
pub fn generate_verifier_with(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    options: &VerifierOptions,
) -> Result<GeneratedVerifier> {
    generate(params, vk, num_instances, options, None)
}

/// Instances a KZG accumulator takes at the start of an aggregation key's instance column
/// (4 coordinates × 3 limbs of 88 bits).
pub const ACCUMULATOR_LIMBS: usize = 12;

/// [`generate_verifier_with`] for an aggregation key (a key whose circuit configuration has
/// `kzg_accumulator`): its first [`ACCUMULATOR_LIMBS`] instances are a KZG accumulator
/// (snark-verifier's `LimbsEncoding<3, 88>`), which the contract decides with the same
/// pairing as the proof's own (snark-verifier's `accumulator_indices`: instance column 0,
/// rows `0..12`), so it accepts only if the aggregated proofs are valid too. Fewer than
/// [`ACCUMULATOR_LIMBS`] instances is [`SolidityError::Codegen`].
pub fn generate_aggregation_verifier(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    options: &VerifierOptions,
) -> Result<GeneratedVerifier> {
    if num_instances < ACCUMULATOR_LIMBS {
        return Err(SolidityError::Codegen(format!(
            "an aggregation key has at least {ACCUMULATOR_LIMBS} instances (its accumulator), \
             not {num_instances}"
        )));
    }
    let indices = (0..ACCUMULATOR_LIMBS).map(|row| (0, row)).collect();
    generate(params, vk, num_instances, options, Some(indices))
}

/// The verifier of [`generate_verifier_with`], deciding the accumulator at
/// `accumulator_indices` when given.
fn generate(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
    options: &VerifierOptions,
    accumulator_indices: Option<Vec<(usize, usize)>>,
) -> Result<GeneratedVerifier> {
    if let Some(c) = options.committed {
        let phases = vk.cs().advice_column_phase();
        let end = c.first.checked_add(c.count);
        let leading_phase0 = phases.iter().take_while(|p| **p == 0).count();
        if c.count == 0 || end.is_none_or(|e| e > leading_phase0) {
            return Err(SolidityError::Codegen(format!(
                "committed columns (first {}, count {}): need at least one column, all among \
                 the key's {leading_phase0} leading phase-0 advice columns (of {})",
                c.first,
                c.count,
                phases.len()
            )));
        }
    }
    options.natspec.check(num_instances)?;
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
    let (source, proof_len) = guard("generating the verifier", || {
        let protocol = compile(
            params,
            vk,
            Config::kzg()
                .with_num_instance(vec![num_instances])
                .with_accumulator_indices(accumulator_indices),
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
        Ok::<_, SolidityError>((loader.solidity_code(), proof_len))
    })??;
    Ok(GeneratedVerifier {
        source: harden(&source, num_instances)?,
        num_instances,
        proof_len,
        committed: options.committed,
        natspec: options.natspec.clone(),
    })
}

impl GeneratedVerifier {
    /// Offsets in the raw calldata (`instances || proof`) of every scalar the code reads, in
    /// code order: the instances (`0, 32, …`), then the proof's scalars (offsets from
    /// `32 · num_instances` on); the other proof words are point coordinates.
    pub fn scalar_offsets(&self) -> Vec<usize> {
        self.source
            .match_indices(HARDENED_READ)
            .filter_map(|(i, _)| {
                let rest = &self.source[i + HARDENED_READ.len()..];
                parse_literal(&rest[..rest.find(')')?])
            })
            .collect()
    }
}

/// The BN254 scalar modulus `r`, as the generated header declares `f_q`.
const F_Q_LINE: &str =
    "let f_q := 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// How a hardened scalar read starts (see the module docs).
const HARDENED_READ: &str = "{ let zkinfer_scalar := calldataload(";

/// A Yul number literal (`0x…` or decimal).
pub(crate) fn parse_literal(s: &str) -> Option<usize> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => usize::from_str_radix(h, 16).ok(),
        None if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        None => None,
    }
}

/// How snark-verifier calls a precompile (`EvmLoader::staticcall`), up to its arguments.
const PRECOMPILE_CALL: (&str, &str) = ("success := and(eq(staticcall(gas(), ", "), 1), success)");

/// The precompiles snark-verifier calls, as (address, input length, output length).
const PRECOMPILES: [(usize, usize, usize); 4] = [
    (0x5, 0xc0, 0x20),  // modexp: an inversion x^(r-2) mod r
    (0x6, 0x80, 0x40),  // ecAdd
    (0x7, 0x60, 0x40),  // ecMul
    (0x8, 0x180, 0x20), // ecPairing of two pairs
];

/// `statement` (trimmed) guarded by `success` if it is exactly a precompile call of
/// snark-verifier's form with literal memory ranges, else `None`.
fn guard_precompile_call(statement: &str) -> Option<String> {
    let args = statement
        .strip_prefix(PRECOMPILE_CALL.0)?
        .strip_suffix(PRECOMPILE_CALL.1)?;
    let args: Vec<usize> = args.split(", ").map(parse_literal).collect::<Option<_>>()?;
    let &[address, _, in_len, _, out_len] = args.as_slice() else {
        return None;
    };
    PRECOMPILES
        .contains(&(address, in_len, out_len))
        .then(|| format!("if success {{ {statement} }}"))
}

/// Rewrites snark-verifier's scalar reads to reject non-canonical scalars and guards its
/// precompile calls by `success` (see the module docs); checks that every calldata read is
/// a scalar read or a validated point read, and every `staticcall` such a precompile call.
pub(crate) fn harden(source: &str, num_instances: usize) -> Result<String> {
    const CHECK: &str = "every calldata read a canonical scalar or a validated point";
    const CALLS: &str = "every staticcall a precompile call of snark-verifier's form";
    let bad = |m: String| SolidityError::unexpected(CHECK, m);
    if !source.lines().any(|l| l.trim() == F_Q_LINE) {
        return Err(bad("no `f_q` (the scalar modulus) in the header".into()));
    }
    let lines: Vec<&str> = source.lines().collect();
    let mut out = String::with_capacity(source.len() + source.len() / 4);
    let mut instance_reads = vec![false; num_instances];
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let indent = &line[..line.len() - line.trim_start().len()];
        if t.contains("staticcall") {
            let guarded = guard_precompile_call(t).ok_or_else(|| {
                SolidityError::unexpected(CALLS, format!("a call of another form: {t}"))
            })?;
            out.push_str(indent);
            out.push_str(&guarded);
            out.push('\n');
            continue;
        }
        if !t.contains("calldataload(") {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // The scalar read: mstore(PTR, mod(calldataload(OFFSET), f_q)).
        let scalar = t
            .strip_prefix("mstore(")
            .and_then(|r| r.strip_suffix("), f_q))"))
            .and_then(|r| r.split_once(", mod(calldataload("))
            .filter(|(p, o)| parse_literal(p).is_some() && parse_literal(o).is_some());
        if let Some((ptr, offset)) = scalar {
            if let Some(seen) = parse_literal(offset)
                .filter(|o| o % 32 == 0)
                .and_then(|o| instance_reads.get_mut(o / 32))
            {
                *seen = true;
            }
            out.push_str(&format!(
                "{indent}{HARDENED_READ}{offset}) success := and(lt(zkinfer_scalar, f_q), success) \
                 mstore({ptr}, zkinfer_scalar) }}\n"
            ));
            continue;
        }
        // A point read: x, then y, then validate_ec_point(x, y) (see snark-verifier's
        // EvmLoader::calldataload_ec_point).
        let is_read = |l: Option<&&str>, var: &str| {
            l.and_then(|l| l.trim().strip_prefix(var))
                .and_then(|r| r.strip_prefix(" := calldataload("))
                .and_then(|r| r.strip_suffix(')'))
                .is_some_and(|o| parse_literal(o).is_some())
        };
        let validated = |k: usize| {
            lines.get(k).map(|l| l.trim())
                == Some("success := and(validate_ec_point(x, y), success)")
        };
        let point_x =
            is_read(Some(line), "let x") && is_read(lines.get(i + 2), "let y") && validated(i + 4);
        let point_y = i >= 2
            && is_read(lines.get(i - 2), "let x")
            && is_read(Some(line), "let y")
            && validated(i + 2);
        if !(point_x || point_y) {
            return Err(bad(format!(
                "a calldata read that is neither a scalar nor a point: {t}"
            )));
        }
        out.push_str(line);
        out.push('\n');
    }
    if let Some(i) = instance_reads.iter().position(|seen| !seen) {
        return Err(bad(format!("instance {i} is never read as a scalar")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn source(body: &str) -> String {
        format!("{{\n            {F_Q_LINE}\n{body}}}\n")
    }

    const POINT: &str = "        {
            let x := calldataload(0x20)
            mstore(0xc0, x)
            let y := calldataload(0x40)
            mstore(0xe0, y)
            success := and(validate_ec_point(x, y), success)
        }
";

    #[test]
    fn scalar_reads_become_canonical_and_points_stay_validated() {
        let src = source(&format!(
            "        mstore(0xa0, mod(calldataload(0x0), f_q))\n{POINT}mstore(0x100, mod(calldataload(0x60), f_q))\n"
        ));
        let out = harden(&src, 1).unwrap();
        assert!(!out.contains("mod(calldataload("), "{out}");
        assert!(out.contains(
            "        { let zkinfer_scalar := calldataload(0x0) success := and(lt(zkinfer_scalar, \
             f_q), success) mstore(0xa0, zkinfer_scalar) }\n"
        ));
        assert!(out.contains(POINT));
        let v = GeneratedVerifier {
            source: out,
            num_instances: 1,
            proof_len: 96,
            committed: None,
            natspec: NatSpec::default(),
        };
        assert_eq!(v.scalar_offsets(), [0, 0x60]);
    }

    #[test]
    fn refuses_reads_it_cannot_vouch_for() {
        let scalar = "mstore(0xa0, mod(calldataload(0x0), f_q))\n";
        // A point without validate_ec_point, a bare read, a computed offset.
        let unvalidated = POINT.replace("success := and(validate_ec_point(x, y), success)", "");
        for body in [
            format!("{scalar}{unvalidated}"),
            format!("{scalar}let z := calldataload(0x20)\n"),
            format!("{scalar}mstore(0xc0, mod(calldataload(add(0x20, 1)), f_q))\n"),
            format!("{scalar}mstore(0xc0, calldataload(0x20))\n"),
        ] {
            assert!(harden(&source(&body), 1).is_err(), "{body}");
        }
        // The second instance is never read; no f_q in the header.
        assert!(harden(&source(scalar), 2).is_err());
        assert!(harden(scalar, 1).is_err());
        assert!(harden(&source(scalar), 1).is_ok());
    }

    #[test]
    fn precompile_calls_run_only_while_success_holds() {
        let scalar = "            mstore(0xa0, mod(calldataload(0x0), f_q))\n";
        let calls = [
            "success := and(eq(staticcall(gas(), 0x5, 0x100, 0xc0, 0x1c0, 0x20), 1), success)",
            "success := and(eq(staticcall(gas(), 0x6, 0x200, 0x80, 0x200, 0x40), 1), success)",
            "success := and(eq(staticcall(gas(), 0x7, 0x280, 0x60, 0x280, 0x40), 1), success)",
            "success := and(eq(staticcall(gas(), 0x8, 0x300, 0x180, 0x300, 0x20), 1), success)",
        ];
        let body: String = calls.iter().map(|c| format!("            {c}\n")).collect();
        // snark-verifier's layout: the header, the statements, the final check.
        let src = format!(
            "contract Halo2Verifier {{\n    fallback(bytes calldata) external returns (bytes memory) {{\n        \
             assembly (\"memory-safe\") {{\n            let data := mload(0x40)\n            \
             if iszero(eq(data, 0x80)) {{\n                revert(0, 0)\n            }}\n            \
             let success := true\n            let f_p := 1\n            {F_Q_LINE}\n            \
             function validate_ec_point(x, y) -> valid {{\n                valid := 1\n            }}\n\
             {scalar}{POINT}{body}            if iszero(success) {{ revert(0, 0) }}\n            \
             return(0, 0)\n        }}\n    }}\n}}\n"
        );
        let out = harden(&src, 1).unwrap();
        for c in calls {
            assert!(
                out.contains(&format!("\n            if success {{ {c} }}\n")),
                "{out}"
            );
        }
        assert_eq!(out.matches("staticcall").count(), 4);
        assert_eq!(
            out.matches("if success { success := and(eq(staticcall")
                .count(),
            4
        );
        // The point read is kept as it was; the guarded calls are statements of the split,
        // with the same memory ranges.
        assert!(out.contains(POINT));
        let parsed = crate::split::parse(&out).unwrap();
        for c in calls {
            assert!(
                parsed.body.contains(&format!("if success {{ {c} }}")),
                "{parsed:?}"
            );
        }
        assert_eq!(
            crate::memory::memory_size(&parsed.body.join("\n")).unwrap(),
            0x480
        );
    }

    #[test]
    fn refuses_calls_it_cannot_guard() {
        let scalar = "mstore(0xa0, mod(calldataload(0x0), f_q))\n";
        for call in [
            // Not a precompile, a wrong length, a computed address, other gas, other form.
            "success := and(eq(staticcall(gas(), 0x4, 0x100, 0x20, 0x100, 0x20), 1), success)",
            "success := and(eq(staticcall(gas(), 0x8, 0x300, 0xc0, 0x300, 0x20), 1), success)",
            "success := and(eq(staticcall(gas(), 0x7, add(0x280, 1), 0x60, 0x280, 0x40), 1), success)",
            "success := and(eq(staticcall(1000, 0x6, 0x200, 0x80, 0x200, 0x40), 1), success)",
            "pop(staticcall(gas(), 0x6, 0x200, 0x80, 0x200, 0x40))",
            "success := and(eq(staticcall(gas(), 0x6, 0x200, 0x80, 0x200, 0x40, 0x0), 1), success)",
            "if success { success := and(eq(staticcall(gas(), 0x6, 0x200, 0x80, 0x200, 0x40), 1), success) }",
        ] {
            let err = harden(&source(&format!("{scalar}{call}\n")), 1).unwrap_err();
            assert!(format!("{err}").contains("staticcall"), "{call}: {err}");
        }
    }
}
