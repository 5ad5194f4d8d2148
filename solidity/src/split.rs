//! Splitting a generated verifier that is over the EIP-170 limit (24,576 bytes of runtime
//! code) into several contracts, so no chain needs a code-size flag.
//!
//! snark-verifier's verifier is one straight-line `assembly` block: a header (the
//! memory-layout check, `success`, the moduli `f_p` and `f_q`, `validate_ec_point`), then
//! statements whose only shared state is memory and `success`, then the final
//! `if iszero(success) { revert(0, 0) } return(0, 0)`. Every memory access is at a literal
//! address, so the code's memory size `M` (the highest byte it touches, rounded up to a
//! word) is known here. Its code grows with the number of public instances (each adds a
//! Lagrange-basis evaluation) and with the circuit's columns.
//!
//! The split keeps that code verbatim and cuts the statement list into parts:
//!
//! * `Halo2VerifierPart{i}` (i ≥ 1) runs part `i`. Its calldata is exactly the caller's
//!   memory (`M` bytes), preceded by the verifier's own calldata (`instances || proof`) when
//!   the part reads it; it restores the memory, runs its statements, reverts if `success`
//!   is false, and returns its whole memory (`return(0, msize())`, `M` bytes).
//! * `Halo2Verifier` (the entry, same calldata as the unsplit contract) checks the calldata
//!   length, expands its memory to `M`, runs part 0, then for each part staticcalls it and
//!   copies the returned memory back, and finally `return(0, 0)` on success or reverts.
//!
//! **Any number of parts compiles with stock solc 0.8.19 (optimizer off).** The entry's
//! assembly block reads each part's address from a memory word above everything else it
//! uses (`M`, or `2M + L` when a part gets the calldata `L` too), written there by a small
//! block per part before it, not from a Solidity local: locals sit on the stack under the
//! block's own variables, and from seven parts on the first one was beyond the 16 slots
//! `DUP` reaches ("Stack too deep", seen on LeNet-5's verifier with eight parts). The
//! constructor takes the addresses (and the code hashes, when they are arguments) as static
//! arrays, `address[k]` and `bytes32[k]`: the same ABI encoding as `k` separate words, in
//! two stack slots. This costs about 25 gas per part.
//!
//! **The entry trusts its parts only as far as it checked them.** A staticcall to an
//! address without code succeeds with empty return data, so an unchecked part address would
//! let the final pairing check be skipped and any proof pass. Therefore the entry:
//!
//! * pins each part's runtime code hash (`keccak256` of its code): its constructor requires
//!   that each part address has code with exactly that hash, and every verification checks
//!   `extcodehash` again before calling (≈100 gas per part: the call that follows is then
//!   warm), so an address whose code changed fails closed. The hashes are `bytes32`
//!   constants of the entry's own source when the parts were compiled first
//!   ([`PartHashes::Constants`], what [`crate::Bundle::new`] does with a compiler): the
//!   entry's code then transitively pins every part, and auditing one code hash covers the
//!   whole verifier. A bundle written without a compiler cannot know them, so its entry
//!   takes them as constructor arguments ([`PartHashes::ConstructorArgs`], manifest kind
//!   `{"codehash": "<part>"}`, resolved from the compiled part at deployment);
//! * requires every part to return exactly `M` bytes (`returndatasize`), and reverts
//!   otherwise — never returns success.
//!
//! The entry (also when not split) answers three 4-byte calls in its fallback:
//! `modelCommitment()` (the sha256 of `vk.bin` it was generated from, a constant of its
//! code), `numInstances()` and `proofLength()`. A proof's calldata is exactly
//! `32 · instances + proof length ≥ 32` bytes long, so it never collides with them; the
//! entry has no Solidity functions, whose selector dispatch could catch a proof's first
//! instance. A verifier generated with committed columns also answers
//! `paramCommitmentRange()` with `(offset, length)`, the proof bytes of their commitments, in
//! two words (see [`crate::param_commitment`]); others revert on it like on any other query.
//!
//! Every part is a pure function of its calldata, so anyone may call it; only the entry's
//! verdict means anything. The extra cost is a few cold calls and memory copies (measured
//! by the tests; see the crate docs).

use crate::bundle::ConstructorArg;
use crate::calldata::selector;
use crate::codegen::{GeneratedVerifier, VERIFIER_CONTRACT};
use crate::error::{Result, SolidityError};
use crate::memory::memory_size;
use crate::natspec::NatSpec;
use crate::param_commitment::{CommittedColumns, PARAM_RANGE_SIGNATURE};

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
    /// The constructor's arguments, in order.
    pub constructor: Vec<ConstructorArg>,
}

/// Where the entry gets its parts' code hashes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartHashes<'a> {
    /// `keccak256` of each part's runtime code, in part order, compiled into the entry.
    Constants(&'a [[u8; 32]]),
    /// Constructor arguments (`{"codehash": "<part>"}` in the manifest), for bundles whose
    /// parts are not compiled yet.
    ConstructorArgs,
}

/// A verifier cut into parts; [`SplitVerifier::entry`] writes the entry contract once the
/// parts' code hashes are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitVerifier {
    /// `Halo2VerifierPart1`, … (deployed before the entry); empty when not split.
    pub parts: Vec<VerifierPart>,
    header: String,
    first_run: String,
    reads_calldata: Vec<bool>,
    calldata_len: usize,
    memory: usize,
    num_instances: usize,
    proof_len: usize,
    committed: Option<CommittedColumns>,
    natspec: NatSpec,
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
    if body.iter().any(|s| s.contains("mod(calldataload(")) {
        return Err(bad(
            "a scalar read that is not canonical (make the verifier with generate_verifier)",
        ));
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

/// Splits `verifier` into an entry contract (named [`VERIFIER_CONTRACT`], written by
/// [`SplitVerifier::entry`]) and `n - 1` parts; `n == 1` gives no parts and an entry with
/// the whole code.
pub fn split(verifier: &GeneratedVerifier, n: usize) -> Result<SplitVerifier> {
    let n = n.max(1);
    let parsed = parse(&verifier.source)?;
    if parsed.body.len() < n {
        return Err(SolidityError::Codegen(format!(
            "cannot split {} statements into {n} parts",
            parsed.body.len()
        )));
    }
    let calldata_len = verifier.num_instances * 32 + verifier.proof_len;
    let memory = memory_size(&parsed.body.join("\n"))?;
    let header = indent(&parsed.header);
    let runs = cut(&parsed.body, n);
    // Parts that read the proof get it before the memory; the others (usually all: the
    // proof is read early) get only the memory, which saves a copy.
    let reads_calldata: Vec<bool> = runs
        .iter()
        .map(|run| run.iter().any(|s| s.contains("calldata")))
        .collect();
    let mut parts = Vec::with_capacity(n - 1);
    for (i, run) in runs.iter().enumerate().skip(1) {
        let name = format!("{VERIFIER_CONTRACT}Part{i}");
        let (input, skip) = if reads_calldata[i] {
            (
                format!("instances || proof ({calldata_len} bytes) || its memory ({memory} bytes)"),
                calldata_len,
            )
        } else {
            (format!("its memory ({memory} bytes)"), 0)
        };
        parts.push(VerifierPart {
            name: name.clone(),
            source: format!(
                "{PRELUDE}
{notice}/// @dev Part {i} of {n} of a zkinfer verifier (generated by snark-verifier, split by zkinfer).
/// Called by {VERIFIER_CONTRACT} with calldata = {input};
/// returns its memory after this part's statements. Reverts on any other calldata length.
contract {name} {{
    fallback(bytes calldata) external returns (bytes memory) {{
        assembly (\"memory-safe\") {{
{header}            if iszero(eq(calldatasize(), {size})) {{ revert(0, 0) }}
            calldatacopy(0, {skip}, {memory})
{body}            if iszero(success) {{ revert(0, 0) }}
            return(0, msize())
        }}
    }}
}}
",
                notice = verifier
                    .natspec
                    .part_notice(&format!("Part {i} of {n} of the generated verifier")),
                size = skip + memory,
                body = indent(run),
            ),
            constructor: Vec::new(),
        });
    }
    Ok(SplitVerifier {
        parts,
        header,
        first_run: indent(runs[0]),
        reads_calldata,
        calldata_len,
        memory,
        num_instances: verifier.num_instances,
        proof_len: verifier.proof_len,
        committed: verifier.committed,
        natspec: verifier.natspec.clone(),
    })
}

impl SplitVerifier {
    /// The entry contract for `vk_digest` (the sha256 of `vk.bin`, answered by
    /// `modelCommitment()`), deployed after the parts (see the module docs).
    pub fn entry(&self, vk_digest: [u8; 32], hashes: PartHashes<'_>) -> Result<VerifierPart> {
        let k = self.parts.len();
        if let PartHashes::Constants(h) = hashes {
            if h.len() != k {
                return Err(SolidityError::Codegen(format!(
                    "{} code hashes for {k} parts",
                    h.len()
                )));
            }
        }
        let (l, m) = (self.calldata_len, self.memory);
        // The part addresses go to memory the entry never uses otherwise (above its own
        // memory, and above the input it builds for parts that read the calldata), one word
        // each, so that the assembly block needs no Solidity locals: with seven or more
        // parts, locals for them put solc 0.8.19 (optimizer off) over its 16-slot stack
        // reach ("Stack too deep").
        let slots = if self.reads_calldata.iter().skip(1).any(|r| *r) {
            2 * m + l
        } else {
            m
        };
        let slot = |i: usize| slots + 32 * (i - 1);
        let mut fields = String::new();
        let mut checks = String::new();
        let mut assigns = String::new();
        let mut pinned = String::new();
        let mut constructor = Vec::new();
        for (i, part) in self.parts.iter().enumerate().map(|(i, p)| (i + 1, p)) {
            let name = &part.name;
            fields.push_str(&format!(
                "    /// Address of {name}.\n    address private immutable PART_{i};\n"
            ));
            let hash = match hashes {
                PartHashes::Constants(h) => {
                    fields.push_str(&format!(
                        "    /// keccak256 of {name}'s runtime code.\n    bytes32 private constant \
                         PART_{i}_CODEHASH = 0x{};\n",
                        hex::encode(h[i - 1])
                    ));
                    format!("PART_{i}_CODEHASH")
                }
                PartHashes::ConstructorArgs => {
                    fields.push_str(&format!(
                        "    /// keccak256 of {name}'s runtime code.\n    bytes32 private immutable \
                         PART_{i}_CODEHASH;\n"
                    ));
                    assigns.push_str(&format!(
                        "        PART_{i}_CODEHASH = partCodeHashes[{}];\n",
                        i - 1
                    ));
                    format!("partCodeHashes[{}]", i - 1)
                }
            };
            checks.push_str(&format!(
                "        require(parts[{j}].code.length > 0, \"{VERIFIER_CONTRACT}: no code at part {i}\");
        require(parts[{j}].codehash == {hash}, \"{VERIFIER_CONTRACT}: wrong code at part {i}\");
",
                j = i - 1
            ));
            assigns.push_str(&format!("        PART_{i} = parts[{}];\n", i - 1));
            pinned.push_str(&format!(
                "        if (PART_{i}.codehash != PART_{i}_CODEHASH) {{ revert(); }}
        {{
            address part = PART_{i};
            assembly (\"memory-safe\") {{ mstore({at:#x}, part) }}
        }}
",
                at = slot(i)
            ));
            constructor.push(ConstructorArg::Address(name.clone()));
        }
        // Static arrays: ABI-encoded in place, one word per element, exactly like as many
        // separate parameters, but two stack slots whatever the part count.
        let mut params = vec![format!("address[{k}] memory parts")];
        if hashes == PartHashes::ConstructorArgs {
            for part in &self.parts {
                constructor.push(ConstructorArg::Codehash(part.name.clone()));
            }
            params.push(format!("bytes32[{k}] memory partCodeHashes"));
        }
        let constructor_code = if k == 0 {
            String::new()
        } else {
            format!(
                "\n    /// Reverts unless every part address holds exactly the pinned code.
    constructor({}) {{
{checks}{assigns}    }}
",
                params.join(", ")
            )
        };
        let calls: String = (1..=k)
            .map(|i| {
                let call = if self.reads_calldata[i] {
                    format!(
                        "                // Part {i}: calldata || memory in, memory back.
                calldatacopy({m}, 0, {l})
                success := and(eq(staticcall(gas(), 0x4, 0, {m}, {at}, {m}), 1), success)
                success := and(eq(staticcall(gas(), mload({part_at:#x}), {m}, {len}, 0, 0), 1), success)
",
                        at = m + l,
                        len = l + m,
                        part_at = slot(i),
                    )
                } else {
                    format!(
                        "                // Part {i}: memory in, memory back.
                success := and(eq(staticcall(gas(), mload({part_at:#x}), 0, {m}, 0, 0), 1), success)
",
                        part_at = slot(i),
                    )
                };
                format!(
                    "            if iszero(success) {{ revert(0, 0) }}
            {{
{call}                // Exactly the memory back, or this is not part {i}.
                success := and(eq(returndatasize(), {m}), success)
                if iszero(success) {{ revert(0, 0) }}
                returndatacopy(0, 0, {m})
            }}
"
                )
            })
            .collect();
        let expand = if k == 0 {
            String::new()
        } else {
            format!(
                "            // Memory is {m} bytes from here on: what every part gets and returns.\n            pop(mload({:#x}))\n",
                m - 32
            )
        };
        let range_case = match self.committed.map(|c| c.proof_range()) {
            Some(r) if r.end <= self.proof_len => format!(
                "                // paramCommitmentRange(): the committed columns' commitments in a proof.
                case 0x{} {{ mstore(0, {}) mstore(0x20, {}) return(0, 0x40) }}
",
                hex::encode(selector(PARAM_RANGE_SIGNATURE)),
                r.start,
                r.len()
            ),
            Some(r) => {
                return Err(SolidityError::Codegen(format!(
                    "committed proof bytes {r:?} outside a proof of {} bytes",
                    self.proof_len
                )))
            }
            None => String::new(),
        };
        let shape = match k {
            0 => "the verifier generated by snark-verifier.".to_string(),
            _ => format!(
                "a verifier generated by snark-verifier, split by zkinfer into\n/// this entry \
                 and {k} part contract{} (whose code hashes it pins) to stay under the\n/// \
                 EIP-170 code-size limit.",
                if k == 1 { "" } else { "s" }
            ),
        };
        Ok(VerifierPart {
            name: VERIFIER_CONTRACT.into(),
            source: format!(
                "{PRELUDE}
{notice}/// @dev zkinfer: {shape}
/// Calldata: instances (32-byte big-endian words, each below r) || proof, exactly {l} bytes.
/// Returns empty data when the proof is
/// valid and reverts otherwise. A 4-byte call of modelCommitment(), numInstances() or
/// proofLength() returns that value (no proof's calldata is 4 bytes long).
contract {VERIFIER_CONTRACT} {{
{fields}{constructor_code}
    fallback(bytes calldata) external returns (bytes memory) {{
{pinned}        assembly (\"memory-safe\") {{
            if eq(calldatasize(), 4) {{
                switch shr(224, calldataload(0))
                // modelCommitment(): sha256 of the vk.bin this verifier was generated from.
                case 0x{sel_commitment} {{ mstore(0, 0x{digest}) return(0, 0x20) }}
                // numInstances()
                case 0x{sel_instances} {{ mstore(0, {n}) return(0, 0x20) }}
                // proofLength()
                case 0x{sel_length} {{ mstore(0, {p}) return(0, 0x20) }}
{range_case}                default {{ revert(0, 0) }}
            }}
{header}            if iszero(eq(calldatasize(), {l})) {{ revert(0, 0) }}
{expand}{body}{calls}            // Revert if anything fails
            if iszero(success) {{ revert(0, 0) }}
            // Return empty bytes on success
            return(0, 0)
        }}
    }}
}}
",
                notice = self.natspec.part_notice(&format!(
                    "The generated verifier (vk.bin sha256 0x{})",
                    hex::encode(vk_digest)
                )),
                header = self.header,
                body = self.first_run,
                digest = hex::encode(vk_digest),
                sel_commitment = hex::encode(selector("modelCommitment()")),
                sel_instances = hex::encode(selector("numInstances()")),
                sel_length = hex::encode(selector("proofLength()")),
                n = self.num_instances,
                p = self.proof_len,
            ),
            constructor,
        })
    }
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
#[path = "split_tests.rs"]
mod tests;
