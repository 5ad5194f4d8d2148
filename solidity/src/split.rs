//! Splitting a generated verifier that is over the EIP-170 limit (24,576 bytes of runtime
//! code) into several contracts, so no chain needs a code-size flag.
//!
//! snark-verifier's verifier is one straight-line `assembly` block: a header (the
//! memory-layout check, `success`, the moduli `f_p` and `f_q`, `validate_ec_point`), then
//! statements whose only shared state is memory and `success`, then the final
//! `if iszero(success) { revert(0, 0) } return(0, 0)`. Its code grows with the number of
//! public instances (each adds a Lagrange-basis evaluation) and with the circuit's columns.
//!
//! The split keeps that code verbatim and cuts the statement list into parts:
//!
//! * `Halo2VerifierPart{i}` (i ≥ 1) runs part `i`. Its calldata is the verifier's own
//!   calldata (`instances || proof`, exactly `calldata_len` bytes) followed by a snapshot of
//!   the caller's memory; it restores the snapshot, runs its statements, reverts if
//!   `success` is false, and returns its whole memory (`return(0, msize())`).
//! * `Halo2Verifier` (the entry, same interface as the unsplit contract) checks the
//!   calldata length, runs part 0, then for each part staticcalls it with
//!   `calldata || memory` and copies the returned memory back, and finally
//!   `return(0, 0)` on success or reverts. The parts' addresses are constructor arguments
//!   (immutables).
//!
//! Every part is a pure function of its calldata, so anyone may call it; only the entry's
//! verdict means anything. The extra cost is a few cold calls and memory copies (measured
//! by the tests; see the crate docs).

use crate::codegen::{GeneratedVerifier, VERIFIER_CONTRACT};
use crate::error::{Result, SolidityError};

/// EIP-170: the most runtime code a contract may have.
pub const EIP170_LIMIT: usize = 24_576;

/// Bytes of unoptimized solc 0.8.19 runtime code per byte of generated source, measured on
/// snark-verifier output (0.231 on the test models); slightly rounded up.
const CODE_PER_SOURCE_BYTE: f64 = 0.235;

/// The statements of a generated verifier's assembly block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Header statements (up to and including `function validate_ec_point`).
    pub header: Vec<String>,
    /// The verification statements, in order.
    pub body: Vec<String>,
}

/// Estimated runtime code size (bytes) of a Solidity source of snark-verifier code.
pub fn estimate_code_size(source_len: usize) -> usize {
    (source_len as f64 * CODE_PER_SOURCE_BYTE).ceil() as usize
}

/// One contract of a (possibly split) verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierPart {
    /// Contract name (also the source file's stem).
    pub name: String,
    /// Solidity source.
    pub source: String,
    /// Names of the contracts whose addresses the constructor takes, in order.
    pub constructor_addresses: Vec<String>,
}

/// Splits the top level of the assembly block into statements: a statement ends at a
/// newline with balanced braces (comments ignored).
fn top_level_statements(block: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut cur = String::new();
    for line in block.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or("");
        for ch in code.chars() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    // The closing brace of the assembly block itself.
                    if !cur.trim().is_empty() {
                        out.push(cur.trim().to_string());
                    }
                    return Ok(out);
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        cur.push_str(line);
        if depth == 0 {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        }
    }
    Err(SolidityError::Codegen(
        "unexpected verifier code: unbalanced braces".into(),
    ))
}

/// Parses snark-verifier's output into header and body statements, checking the shape
/// the split relies on.
pub fn parse(source: &str) -> Result<Parsed> {
    let bad = |m: &str| SolidityError::Codegen(format!("unexpected verifier code shape: {m}"));
    let marker = "assembly (\"memory-safe\") {";
    let start = source
        .find(marker)
        .ok_or_else(|| bad("no assembly block"))?
        + marker.len();
    let statements = top_level_statements(&source[start..])?;
    let statements: Vec<String> = statements
        .into_iter()
        .filter(|s| !s.starts_with("//"))
        .collect();
    let header_end = statements
        .iter()
        .position(|s| s.starts_with("function validate_ec_point"))
        .ok_or_else(|| bad("no validate_ec_point"))?;
    let header = statements[..=header_end].to_vec();
    let mut body = statements[header_end + 1..].to_vec();
    // The generated tail: `if iszero(success) { revert(0, 0) }` then `return(0, 0)`.
    let tail_ok = body.len() >= 2
        && body[body.len() - 1] == "return(0, 0)"
        && body[body.len() - 2] == "if iszero(success) { revert(0, 0) }";
    if !tail_ok {
        return Err(bad("no final success check"));
    }
    body.truncate(body.len() - 2);
    let expected_header = [
        "let data := mload(0x40)",
        "if iszero(eq(data, 0x80))",
        "let success := true",
        "let f_p :=",
        "let f_q :=",
    ];
    if header.len() != expected_header.len() + 1
        || !header
            .iter()
            .zip(expected_header)
            .all(|(h, e)| h.starts_with(e))
    {
        return Err(bad("unexpected header"));
    }
    if body
        .iter()
        .any(|s| s.starts_with("let ") || s.starts_with("function") || s.contains("msize"))
    {
        return Err(bad("top-level variables or functions after the header"));
    }
    Ok(Parsed { header, body })
}

/// Cuts `body` into `n` runs of about equal source length.
fn cut(body: &[String], n: usize) -> Vec<&[String]> {
    let total: usize = body.iter().map(String::len).sum();
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    let mut acc = 0;
    for (i, s) in body.iter().enumerate() {
        acc += s.len();
        if parts.len() + 1 < n && acc * n >= total * (parts.len() + 1) {
            parts.push(&body[start..=i]);
            start = i + 1;
        }
    }
    parts.push(&body[start..]);
    parts
}

const PRELUDE: &str = "// SPDX-License-Identifier: MIT\n\npragma solidity 0.8.19;\n";

fn indent(statements: &[String]) -> String {
    let mut s = String::new();
    for st in statements {
        s.push_str("            ");
        s.push_str(st);
        s.push('\n');
    }
    s
}

/// Splits `verifier` into an entry contract (named [`VERIFIER_CONTRACT`]) and `n - 1`
/// parts; `n == 1` returns the generated contract unchanged. The entry comes last: it is
/// deployed after the parts, whose addresses its constructor takes.
pub fn split(verifier: &GeneratedVerifier, n: usize) -> Result<Vec<VerifierPart>> {
    if n <= 1 {
        return Ok(vec![VerifierPart {
            name: VERIFIER_CONTRACT.into(),
            source: verifier.source.clone(),
            constructor_addresses: Vec::new(),
        }]);
    }
    let parsed = parse(&verifier.source)?;
    if parsed.body.len() < n {
        return Err(SolidityError::Codegen(format!(
            "cannot split {} statements into {n} parts",
            parsed.body.len()
        )));
    }
    let calldata_len = verifier.num_instances * 32 + verifier.proof_len;
    let header = indent(&parsed.header);
    let runs = cut(&parsed.body, n);
    let mut out = Vec::with_capacity(n);
    let names: Vec<String> = (1..n)
        .map(|i| format!("{VERIFIER_CONTRACT}Part{i}"))
        .collect();
    // Parts that read the proof get it before the memory snapshot; the others (usually
    // all: the proof is read early) get only the snapshot, which saves a memory copy.
    let reads_calldata: Vec<bool> = runs
        .iter()
        .map(|run| run.iter().any(|s| s.contains("calldata")))
        .collect();
    for (i, run) in runs.iter().enumerate().skip(1) {
        let name = &names[i - 1];
        let (input, restore) = if reads_calldata[i] {
            (
                format!("instances || proof ({calldata_len} bytes) || a snapshot of its memory"),
                format!(
                    "            if lt(calldatasize(), {calldata_len}) {{ revert(0, 0) }}
            calldatacopy(0, {calldata_len}, sub(calldatasize(), {calldata_len}))
"
                ),
            )
        } else {
            (
                "a snapshot of its memory".to_string(),
                "            calldatacopy(0, 0, calldatasize())\n".to_string(),
            )
        };
        out.push(VerifierPart {
            name: name.clone(),
            source: format!(
                "{PRELUDE}
/// Part {i} of {n} of a zkinfer verifier (generated by snark-verifier, split by zkinfer).
/// Called by {VERIFIER_CONTRACT} with calldata = {input};
/// returns its memory after this part's statements.
contract {name} {{
    fallback(bytes calldata) external returns (bytes memory) {{
        assembly (\"memory-safe\") {{
{header}{restore}{body}            if iszero(success) {{ revert(0, 0) }}
            return(0, msize())
        }}
    }}
}}
",
                body = indent(run),
            ),
            constructor_addresses: Vec::new(),
        });
    }
    let fields: String = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            format!(
                "    /// Address of {n}.\n    address private immutable PART_{};\n",
                i + 1
            )
        })
        .collect();
    let params: Vec<String> = (1..n).map(|i| format!("address part{i}")).collect();
    let assigns: String = (1..n)
        .map(|i| format!("        PART_{i} = part{i};\n"))
        .collect();
    let locals: String = (1..n)
        .map(|i| format!("        address part{i} = PART_{i};\n"))
        .collect();
    let calls: String = (1..n)
        .map(|i| if !reads_calldata[i] {
            format!(
                "            if iszero(success) {{ revert(0, 0) }}
            {{
                // Part {i}: memory snapshot in, memory back.
                success := and(eq(staticcall(gas(), part{i}, 0, msize(), 0, 0), 1), success)
                if iszero(success) {{ revert(0, 0) }}
                returndatacopy(0, 0, returndatasize())
            }}
"
            )
        } else {
            format!(
                "            if iszero(success) {{ revert(0, 0) }}
            {{
                // Part {i}: calldata || memory snapshot in, memory back.
                let m := msize()
                calldatacopy(m, 0, {calldata_len})
                success := and(eq(staticcall(gas(), 0x4, 0, m, add(m, {calldata_len}), m), 1), success)
                success := and(eq(staticcall(gas(), part{i}, m, add(m, {calldata_len}), 0, 0), 1), success)
                if iszero(success) {{ revert(0, 0) }}
                returndatacopy(0, 0, returndatasize())
            }}
"
            )
        })
        .collect();
    out.push(VerifierPart {
        name: VERIFIER_CONTRACT.into(),
        source: format!(
            "{PRELUDE}
/// A zkinfer verifier generated by snark-verifier, split by zkinfer into this entry and
/// {parts} part contracts to stay under the EIP-170 code-size limit. Calldata: instances
/// (32-byte big-endian words) || proof, exactly {calldata_len} bytes. Returns empty data
/// when the proof is valid and reverts otherwise.
contract {VERIFIER_CONTRACT} {{
{fields}
    constructor({params}) {{
{assigns}    }}

    fallback(bytes calldata) external returns (bytes memory) {{
{locals}        assembly (\"memory-safe\") {{
{header}            if iszero(eq(calldatasize(), {calldata_len})) {{ revert(0, 0) }}
{body}{calls}            // Revert if anything fails
            if iszero(success) {{ revert(0, 0) }}
            // Return empty bytes on success
            return(0, 0)
        }}
    }}
}}
",
            parts = n - 1,
            params = params.join(", "),
            body = indent(runs[0]),
        ),
        constructor_addresses: names,
    });
    Ok(out)
}

/// The number of contracts a verifier of `source_len` bytes of source is first split
/// into: enough that each part's estimated code is at most the limit. The estimate rounds
/// up, and every split part costs a cross-contract call (13k–20k gas), so a verifier that
/// is estimated to just fit is first tried whole. (Compiling then checks the real sizes
/// and splits finer if needed; see [`crate::Bundle::new`].)
pub fn initial_parts(source_len: usize) -> usize {
    let budget = EIP170_LIMIT;
    estimate_code_size(source_len).div_ceil(budget).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fake() -> GeneratedVerifier {
        let body: String = (0..40)
            .map(|i| format!("mstore({:#x}, mod(calldataload({:#x}), f_q))\n        {{\n            let x := {i}\n        }}\n", 0xa0 + 32 * i, 32 * i))
            .collect();
        GeneratedVerifier {
            source: format!(
                "pragma solidity 0.8.19;\ncontract Halo2Verifier {{\n    fallback(bytes calldata) external returns (bytes memory) {{\n        assembly (\"memory-safe\") {{\n            // Enforce\n            let data := mload(0x40)\n            if iszero(eq(data, 0x80)) {{\n                revert(0, 0)\n            }}\n            let success := true\n            let f_p := 1\n            let f_q := 2\n            function validate_ec_point(x, y) -> valid {{\n                {{ valid := 1 }}\n            }}\n{body}\n            // Revert if anything fails\n            if iszero(success) {{ revert(0, 0) }}\n\n            // Return empty bytes on success\n            return(0, 0)\n        }}\n    }}\n}}\n"
            ),
            num_instances: 2,
            proof_len: 64,
        }
    }

    #[test]
    fn parses_and_splits_keeping_every_statement() {
        let v = fake();
        let p = parse(&v.source).unwrap();
        assert_eq!(p.header.len(), 6);
        assert_eq!(p.body.len(), 80);
        let parts = split(&v, 3).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].name, "Halo2Verifier");
        assert_eq!(
            parts[2].constructor_addresses,
            ["Halo2VerifierPart1", "Halo2VerifierPart2"]
        );
        // Every body statement appears in exactly one contract, in order.
        let all: String = parts.iter().map(|p| p.source.clone()).collect();
        for s in &p.body {
            assert_eq!(all.matches(s.as_str()).count(), 1, "{s}");
        }
        // The fake's statements all read calldata.
        assert!(parts[0]
            .source
            .contains("calldatacopy(0, 128, sub(calldatasize(), 128))"));
        assert_eq!(split(&v, 1).unwrap()[0].source, v.source);
        assert!(split(&v, 1000).is_err());
        assert!(parse("contract X {}").is_err());
    }

    #[test]
    fn part_counts() {
        assert_eq!(initial_parts(1000), 1);
        assert_eq!(initial_parts(113_369), 2);
        assert_eq!(initial_parts(171_724), 2);
        assert_eq!(initial_parts(300_000), 3);
    }
}
