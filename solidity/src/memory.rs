//! The memory size of snark-verifier's code: every memory access of the generated
//! verifier is at a literal address with a literal length, so the highest byte it touches
//! is known before it runs. The split verifier ([`crate::split`]) hands exactly that much
//! memory between its contracts and refuses any other amount back.

use crate::codegen::parse_literal;
use crate::error::{Result, SolidityError};

/// How many bytes a memory access covers.
#[derive(Clone, Copy)]
enum Span {
    /// One word (`mload`, `mstore`).
    Word,
    /// One byte (`mstore8`).
    Byte,
    /// The length in argument `k`.
    Arg(usize),
}

/// Memory operations of the generated code, with the argument index of each offset they
/// access and how far.
const MEMORY_OPS: &[(&str, &[(usize, Span)])] = &[
    ("mload", &[(0, Span::Word)]),
    ("mstore", &[(0, Span::Word)]),
    ("mstore8", &[(0, Span::Byte)]),
    ("keccak256", &[(0, Span::Arg(1))]),
    ("staticcall", &[(2, Span::Arg(3)), (4, Span::Arg(5))]),
    ("calldatacopy", &[(0, Span::Arg(2))]),
    ("returndatacopy", &[(0, Span::Arg(2))]),
];

/// Operations that touch memory which the generated code never uses: refused.
const OTHER_MEMORY_OPS: &[&str] = &[
    "mcopy",
    "codecopy",
    "extcodecopy",
    "log0",
    "log1",
    "log2",
    "log3",
    "log4",
    "call",
    "callcode",
    "delegatecall",
    "create",
    "create2",
    "return",
    "revert",
];

/// The arguments of the call whose `(` is at the start of `s`, split at top-level commas.
fn call_args(s: &str) -> Option<Vec<&str>> {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut start = 1;
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    args.push(s[start..i].trim());
                    return Some(args);
                }
            }
            ',' if depth == 1 => {
                args.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    None
}

/// The memory size of `code` (statements of the generated verifier): one past the highest
/// byte it reads or writes, rounded up to a word, at least `0x80` (Solidity's reserved
/// area). Errors on a memory access at a computed address.
pub fn memory_size(code: &str) -> Result<usize> {
    let bad = |m: String| SolidityError::unexpected("memory accessed at literal addresses only", m);
    let mut end = 0x80;
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (name, spans) in MEMORY_OPS {
        let pattern = format!("{name}(");
        for (i, _) in code.match_indices(&pattern) {
            if code[..i].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let args = call_args(&code[i + name.len()..])
                .ok_or_else(|| bad(format!("unbalanced {name}(")))?;
            for (offset, len) in *spans {
                let literal = |k: usize| args.get(k).and_then(|a| parse_literal(a));
                let at =
                    literal(*offset).ok_or_else(|| bad(format!("{name} at a computed address")))?;
                let len = match len {
                    Span::Word => 32,
                    Span::Byte => 1,
                    Span::Arg(k) => {
                        literal(*k).ok_or_else(|| bad(format!("{name} of a computed length")))?
                    }
                };
                if len > 0 {
                    end = end.max(at + len);
                }
            }
        }
    }
    for name in OTHER_MEMORY_OPS {
        let pattern = format!("{name}(");
        if code
            .match_indices(&pattern)
            .any(|(i, _)| !code[..i].chars().next_back().is_some_and(is_ident))
        {
            return Err(bad(format!("{name} in the verification statements")));
        }
    }
    Ok(end.div_ceil(32) * 32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn memory_size_of_literal_accesses() {
        assert_eq!(memory_size("mstore(0x80, 1)").unwrap(), 0xa0);
        assert_eq!(memory_size("mstore8(2688, 1)").unwrap(), 2688 + 32);
        assert_eq!(
            memory_size("x := keccak256(0x80, 4832)").unwrap(),
            0x80 + 4832
        );
        assert_eq!(
            memory_size("success := and(eq(staticcall(gas(), 0x8, 0x6320, 0x180, 0x6320, 0x20), 1), success)")
                .unwrap(),
            0x6320 + 0x180
        );
        assert_eq!(
            memory_size("mstore(0x100, mulmod(mload(0x2000), 1, f_q))").unwrap(),
            0x2020
        );
        assert_eq!(memory_size("let y := 1").unwrap(), 0x80);
        assert!(memory_size("mstore(add(p, 1), 1)").is_err());
        assert!(memory_size("pop(keccak256(0x80, n))").is_err());
        assert!(memory_size("codecopy(0, 0, 10)").is_err());
        assert!(memory_size("mstore(0x80, 1").is_err());
    }
}
