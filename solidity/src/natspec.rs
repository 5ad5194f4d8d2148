//! NatSpec of the generated `ZkinferVerifier`: what it checks, what `verifyProof` returns
//! for bad input, what each instance is, and what a call costs.
//!
//! Every `ZkinferVerifier` (the single contract of [`crate::inline`] and the
//! [wrapper](crate::wrapper)) gets a contract-level `@title`, `@author`, `@notice` and
//! `@dev` written here from the facts of the bundle (verifying-key digest, instance count,
//! proof length, shape, committed columns) and the caller's [`NatSpec`] (model name,
//! instance labels, gas). solc 0.8.19 exports the contract-level text in its `userdoc` and
//! `devdoc` (it exports nothing for a `fallback`, where `verifyProof` is implemented), so the
//! whole description of `verifyProof` is there. Only those four tags are used, each once;
//! the caller's text is reduced to printable ASCII without `@` (which would start a tag) and
//! cut to [`MAX_TEXT`] characters, so no label can end the comment or break the NatSpec.
//!
//! The comment affects the compiled code only through the metadata hash solc appends, which
//! is never executed: regenerating the text with a measured gas figure
//! ([`crate::Bundle::set_natspec`]) leaves the gas of `verifyProof` as it was.

use std::ops::Range;

use crate::bundle::{checked_version, compile_contracts, take_compiled, Bundle, MANIFEST};
use crate::error::{Result, SolidityError};
use crate::param_commitment::{CommittedColumns, WRAPPER_COMMITTED_SOURCE};
use crate::solc::Solc;
use crate::wrapper::{WRAPPER_CONTRACT, WRAPPER_SOURCE};

/// The most characters kept of a caller's text (model name, one instance label).
pub const MAX_TEXT: usize = 160;

/// The BN254 scalar modulus `r`, as the documentation spells it.
const R_HEX: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// The BN254 base field modulus `p`, as the documentation spells it.
const P_HEX: &str = "0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

/// Characters per documentation line (after `/// `).
const WIDTH: usize = 96;

/// What the caller knows about the verifier that the key does not say: written into the
/// NatSpec of `ZkinferVerifier` (see the module docs). The default (no name, no labels, no
/// gas) still describes the checks, the failure behaviour and the instance count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NatSpec {
    /// The model's name (e.g. its directory name); empty: "a zkinfer model".
    pub model: String,
    /// What the instances are: `(range of instance indices, label)`, ascending and
    /// non-overlapping, inside `0..num_instances` (checked by
    /// [`crate::generate_verifier_with`]). Indices no range covers are listed as
    /// "unlabelled"; no ranges at all: one line for all of them.
    pub instances: Vec<(Range<usize>, String)>,
    /// Gas of one `verifyProof` transaction predicted by zkinfer's cost model of the
    /// generated verifier (`circuits::halo2::evm_gas`).
    pub predicted_gas: Option<u64>,
    /// Gas of one measured `verifyProof` transaction, and how it was measured (e.g. "revm,
    /// the proof in proof.json").
    pub measured_gas: Option<(u64, String)>,
}

/// How `ZkinferVerifier` reaches the verifying code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The verifying code is `ZkinferVerifier`'s own (one contract).
    Single,
    /// `ZkinferVerifier` calls `Halo2Verifier`, which calls `parts` part contracts.
    Wrapper {
        /// Number of `Halo2VerifierPart{i}` contracts (0: not split).
        parts: usize,
    },
}

/// The facts of a bundle the documentation states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Facts {
    /// sha256 of `vk.bin`.
    pub vk_digest: [u8; 32],
    /// Instances per proof.
    pub num_instances: usize,
    /// Proof length in bytes.
    pub proof_len: usize,
    /// The committed columns, when `paramCommitment(bytes)` exists.
    pub committed: Option<CommittedColumns>,
    /// The contracts' shape.
    pub shape: Shape,
}

/// `text` as documentation text: printable ASCII only (anything else, `@` included, becomes
/// `?`; whitespace runs one space), at most [`MAX_TEXT`] characters.
pub fn clean(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let c = match ch {
            c if c.is_whitespace() => ' ',
            '@' => '?',
            c if c.is_ascii_graphic() => c,
            _ => '?',
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
        if out.chars().count() >= MAX_TEXT {
            break;
        }
    }
    out.trim_end().to_string()
}

impl NatSpec {
    /// Checks the instance ranges against `num_instances` ([`SolidityError::Codegen`]).
    pub fn check(&self, num_instances: usize) -> Result<()> {
        let mut end = 0;
        for (r, label) in &self.instances {
            if r.start < end || r.start >= r.end || r.end > num_instances {
                return Err(SolidityError::Codegen(format!(
                    "instance label {label:?} covers {r:?}: ranges must be non-empty, ascending, \
                     non-overlapping and inside 0..{num_instances}"
                )));
            }
            end = r.end;
        }
        Ok(())
    }

    /// The model as the text names it.
    fn model_name(&self) -> String {
        match clean(&self.model) {
            m if m.is_empty() => "a zkinfer model".into(),
            m => m,
        }
    }

    /// The one-line `@notice` of a contract behind the wrapper (the generated entry or a
    /// part), `what` it is: whom to call instead.
    pub fn part_notice(&self, what: &str) -> String {
        format!(
            "/// @notice {what} for {}: call ZkinferVerifier.verifyProof, not this contract.\n",
            self.model_name()
        )
    }

    /// The instance layout sentence: each range with its label.
    fn layout(&self, n: usize) -> String {
        let span = |r: &Range<usize>| match r.len() {
            1 => format!("instances[{}]", r.start),
            _ => format!("instances[{}..{}]", r.start, r.end),
        };
        if self.instances.is_empty() {
            return format!(
                "{}: the proof's public instances, in the order of the proof artifact's \
                 `instances` (`zkinfer encode-calldata` writes the call).",
                span(&(0..n))
            );
        }
        let mut parts = Vec::new();
        let mut at = 0;
        for (r, label) in &self.instances {
            if r.start > at {
                parts.push(format!("{} unlabelled", span(&(at..r.start))));
            }
            parts.push(format!("{} {}", span(r), clean(label)));
            at = r.end;
        }
        if at < n {
            parts.push(format!("{} unlabelled", span(&(at..n))));
        }
        format!("{}.", parts.join("; "))
    }

    /// The gas sentence.
    fn gas(&self) -> String {
        let mut s =
            "Gas of one verifyProof transaction (21,000 and calldata included): ".to_string();
        match (&self.measured_gas, self.predicted_gas) {
            (None, None) => s.push_str(
                "not measured when this file was written (`zkinfer create-evm-verifier` \
                 measures it with a Solidity compiler and a Keccak proof.json in the model \
                 directory).",
            ),
            (Some((g, how)), p) => {
                s.push_str(&format!("{} measured ({})", thousands(*g), clean(how)));
                if let Some(p) = p {
                    s.push_str(&format!(
                        "; {} predicted by zkinfer's cost model",
                        thousands(p)
                    ));
                }
                s.push_str(". Other proofs differ by a little calldata gas.");
            }
            (None, Some(p)) => s.push_str(&format!(
                "{} predicted by zkinfer's cost model (not measured).",
                thousands(p)
            )),
        }
        s
    }

    /// The contract-level NatSpec of `ZkinferVerifier` (`/// @title` … `/// @dev` lines).
    pub fn contract_doc(&self, f: &Facts) -> String {
        let model = self.model_name();
        let digest = hex::encode(f.vk_digest);
        let (n, p) = (f.num_instances, f.proof_len);
        let notice = format!(
            "verifyProof(bytes proof, uint256[] instances) returns (bool ok): true iff `proof` \
             is a valid halo2 proof (KZG commitments, SHPLONK multi-opening, BN254) of the \
             circuit of {model} for `instances`, checked against the verifying key embedded \
             in this code (vk.bin sha256 0x{digest}, also modelCommitment()). It returns \
             false, never reverting, for a wrong proof, wrong or changed instances, a call \
             that is not the canonical ABI encoding, a proof that is not exactly {p} bytes, a \
             number of instances other than {n}, an instance or proof scalar not below r, and a proof point \
             not on the curve; it reverts only when it runs out of gas (about 1.07 times the \
             gas below always gets true or false), and for functions it does not have or \
             a call with ether. \
             {count}, a BN254 scalar below r (a negative fixed-point value -x is r - x): \
             {layout} {gas}{param}",
            count = match n {
                1 => "1 instance".to_string(),
                n => format!("{n} instances, each"),
            },
            layout = self.layout(n),
            gas = self.gas(),
            param = match f.committed {
                Some(c) => {
                    let r = c.proof_range();
                    format!(
                        " paramCommitment(bytes proof) returns (bytes32): keccak256(proof[{}:{}]), \
                         the commitments of the committed parameter columns {}..{} (0 for a \
                         malformed call or a shorter proof, never a revert); compare it with the \
                         registered commitment after verifyProof returned true for the same proof.",
                        r.start,
                        r.end,
                        c.first,
                        c.first + c.count
                    )
                }
                None => String::new(),
            }
        );
        let shape = match f.shape {
            Shape::Single => "This contract holds the verifying code and reads the ABI-encoded \
                              arguments in place."
                .to_string(),
            Shape::Wrapper { parts } => format!(
                "This contract checks the encoding and calls Halo2Verifier with \
                 abi.encodePacked(instances, proof){}; a revert there is a rejection (false).",
                match parts {
                    0 => String::new(),
                    1 => ", which runs Halo2VerifierPart1 (whose code hash it pins)".into(),
                    k =>
                        format!(", which runs Halo2VerifierPart1..{k} (whose code hashes it pins)"),
                }
            ),
        };
        let dev = format!(
            "verifyProof checks, in order: the canonical ABI encoding (offsets 0x40 and \
             0x60 + {p}, the two lengths, nothing after); exactly numInstances = {n} \
             instances and proofLength = {p} proof bytes; every instance and proof scalar \
             below r = {R_HEX} (never reduced mod r, so each value has one encoding); every \
             proof point (x, y) with x, y below p = {P_HEX} and y^2 = x^3 + 3 (so not the \
             point at infinity); the Fiat-Shamir challenges as Keccak-256 of the transcript; \
             the gate, permutation and lookup identities at the challenge point; and the \
             SHPLONK opening as one pairing check e(L, G2) * e(R, -s*G2) = 1 (ecPairing \
             precompile; G2 and s*G2 of the SRS embedded). The precompiles (modexp, ecAdd, \
             ecMul, ecPairing) run only while every check so far passed, so a rejection costs \
             no more than an acceptance. {shape} Code generated by snark-verifier 0.2.7 and \
             hardened by zkinfer (canonical scalars, guarded precompile calls); compile with \
             solc 0.8.19, optimizer off."
        );
        let mut out = format!(
            "/// @title zkinfer verifier of {model}\n/// @author generated by zkinfer {}\n",
            env!("CARGO_PKG_VERSION")
        );
        out.push_str(&tagged("@notice", &notice));
        out.push_str(&tagged("@dev", &dev));
        out
    }
}

/// `/// TAG text` wrapped at [`WIDTH`], continuation lines `/// text`.
fn tagged(tag: &str, text: &str) -> String {
    let mut out = String::new();
    let mut line = tag.to_string();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if line.len() + 1 + word.len() > WIDTH && !line.is_empty() && line != tag {
            out.push_str(&format!("/// {line}\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&format!("/// {line}\n"));
    out
}

/// `1234567` as `1,234,567`.
pub fn thousands(x: u64) -> String {
    let digits = x.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `source` with the `///` lines right before `contract NAME {` replaced by `doc`, or `None`
/// when there is no such contract.
pub fn replace_contract_doc(source: &str, name: &str, doc: &str) -> Option<String> {
    let decl = format!("contract {name} {{");
    let at = source
        .match_indices(&decl)
        .map(|(i, _)| i)
        .find(|&i| i == 0 || source[..i].ends_with('\n'))?;
    let mut start = at;
    while start > 0 {
        let prev = source[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        if !source[prev..start].trim_start().starts_with("///") {
            break;
        }
        start = prev;
    }
    Some(format!("{}{doc}{}", &source[..start], &source[at..]))
}

impl Bundle {
    /// Rewrites `ZkinferVerifier`'s NatSpec with `natspec` (e.g. once its gas was measured)
    /// and, with a compiler, compiles that contract again so that its bytecode (whose
    /// metadata hash covers the comments) matches; without one, its bytecode is dropped.
    /// Only the comment changes: the code, the other contracts and the gas stay as they
    /// were.
    pub fn set_natspec(&mut self, natspec: &NatSpec, solc: Option<&Solc>) -> Result<()> {
        natspec.check(self.num_instances)?;
        let facts = self.facts();
        let version = solc.map(checked_version).transpose()?;
        let entry = self
            .contracts
            .last_mut()
            .filter(|c| c.name == WRAPPER_CONTRACT)
            .ok_or_else(|| {
                SolidityError::bundle(
                    MANIFEST,
                    format!("the last contract is not {WRAPPER_CONTRACT}"),
                )
            })?;
        entry.source = replace_contract_doc(
            &entry.source,
            WRAPPER_CONTRACT,
            &natspec.contract_doc(&facts),
        )
        .ok_or_else(|| {
            SolidityError::Codegen(format!("no contract {WRAPPER_CONTRACT} in its source"))
        })?;
        entry.compiled = None;
        self.solc_version = None;
        if let Some(solc) = solc {
            let mut out = compile_contracts(solc, std::slice::from_ref(entry))?;
            entry.compiled = Some(take_compiled(&mut out, WRAPPER_CONTRACT)?);
            if self.is_compiled() {
                self.solc_version = version;
            }
        }
        Ok(())
    }

    /// What the NatSpec states about this bundle.
    fn facts(&self) -> Facts {
        Facts {
            vk_digest: self.vk_digest,
            num_instances: self.num_instances,
            proof_len: self.proof_len,
            committed: self.committed,
            shape: match self.contracts.len() {
                0 | 1 => Shape::Single,
                n => Shape::Wrapper { parts: n - 2 },
            },
        }
    }
}

/// The wrapper's source (with `paramCommitment` when `committed`) with `natspec`'s
/// contract-level NatSpec in place of the template's.
pub(crate) fn wrapper_source(committed: bool, natspec: &NatSpec, facts: &Facts) -> Result<String> {
    let template = if committed {
        WRAPPER_COMMITTED_SOURCE
    } else {
        WRAPPER_SOURCE
    };
    replace_contract_doc(template, WRAPPER_CONTRACT, &natspec.contract_doc(facts)).ok_or_else(
        || SolidityError::Codegen(format!("no contract {WRAPPER_CONTRACT} in the wrapper")),
    )
}

#[cfg(test)]
#[path = "natspec_tests.rs"]
mod tests;
