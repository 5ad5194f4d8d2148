//! Signing legacy (EIP-155) transactions with a secp256k1 key, for deploying without an
//! unlocked node account.

use k256::ecdsa::SigningKey;

use crate::bundle::Address;
use crate::calldata::keccak256;
use crate::error::{Result, SolidityError};

/// A private key and its address.
pub struct Signer {
    key: SigningKey,
    address: Address,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        write!(f, "Signer(0x{})", hex::encode(self.address))
    }
}

/// A legacy transaction (type 0) with EIP-155 replay protection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyTx {
    /// Sender nonce.
    pub nonce: u64,
    /// Gas price in wei.
    pub gas_price: u128,
    /// Gas limit.
    pub gas: u64,
    /// Recipient; `None` creates a contract.
    pub to: Option<Address>,
    /// Value in wei.
    pub value: u128,
    /// Transaction data (creation code when `to` is `None`).
    pub data: Vec<u8>,
}

impl Signer {
    /// Parses a 32-byte private key (64 hex digits, `0x` optional).
    pub fn from_hex(s: &str) -> Result<Self> {
        let s = s.trim();
        let s = s.strip_prefix("0x").unwrap_or(s);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes)
            .map_err(|_| SolidityError::input("private key", "expected 64 hex digits"))?;
        let key = SigningKey::from_slice(&bytes)
            .map_err(|_| SolidityError::input("private key", "not a valid secp256k1 scalar"))?;
        let point = key.verifying_key().to_encoded_point(false);
        let hash = keccak256(&point.as_bytes()[1..]);
        let mut address = [0u8; 20];
        address.copy_from_slice(&hash[12..]);
        Ok(Self { key, address })
    }

    /// The sender address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs `tx` for `chain_id`; returns the raw transaction (for
    /// `eth_sendRawTransaction`).
    pub fn sign(&self, tx: &LegacyTx, chain_id: u64) -> Result<Vec<u8>> {
        let fields = |v: &[u8], r: &[u8], s: &[u8]| {
            let to = tx.to.map(|a| a.to_vec()).unwrap_or_default();
            rlp_list(&[
                rlp_uint(u128::from(tx.nonce)),
                rlp_uint(tx.gas_price),
                rlp_uint(u128::from(tx.gas)),
                rlp_bytes(&to),
                rlp_uint(tx.value),
                rlp_bytes(&tx.data),
                rlp_bytes(v),
                rlp_bytes(r),
                rlp_bytes(s),
            ])
        };
        let chain = trim(&chain_id.to_be_bytes()).to_vec();
        let hash = keccak256(&fields(&chain, &[], &[]));
        let (sig, recid) = self
            .key
            .sign_prehash_recoverable(&hash)
            .map_err(|e| SolidityError::input("transaction", format!("signing failed: {e}")))?;
        let v = u128::from(chain_id) * 2 + 35 + u128::from(recid.to_byte());
        let (r, s) = (sig.r().to_bytes(), sig.s().to_bytes());
        Ok(fields(trim(&v.to_be_bytes()), trim(&r), trim(&s)))
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[first..]
}

fn rlp_len_prefix(len: usize, short: u8, long: u8) -> Vec<u8> {
    if len < 56 {
        vec![short + len as u8]
    } else {
        let be = (len as u64).to_be_bytes();
        let l = trim(&be);
        let mut out = vec![long + l.len() as u8];
        out.extend_from_slice(l);
        out
    }
}

/// RLP of a byte string.
pub fn rlp_bytes(b: &[u8]) -> Vec<u8> {
    if b.len() == 1 && b[0] < 0x80 {
        return b.to_vec();
    }
    let mut out = rlp_len_prefix(b.len(), 0x80, 0xb7);
    out.extend_from_slice(b);
    out
}

/// RLP of an unsigned integer (minimal big-endian bytes).
pub fn rlp_uint(v: u128) -> Vec<u8> {
    rlp_bytes(trim(&v.to_be_bytes()))
}

/// RLP of a list of encoded items.
pub fn rlp_list(items: &[Vec<u8>]) -> Vec<u8> {
    let len: usize = items.iter().map(Vec::len).sum();
    let mut out = rlp_len_prefix(len, 0xc0, 0xf7);
    for i in items {
        out.extend_from_slice(i);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn rlp_vectors() {
        assert_eq!(rlp_bytes(b"dog"), [0x83, b'd', b'o', b'g']);
        assert_eq!(rlp_uint(0), [0x80]);
        assert_eq!(rlp_uint(15), [0x0f]);
        assert_eq!(rlp_uint(1024), [0x82, 0x04, 0x00]);
        assert_eq!(rlp_list(&[]), [0xc0]);
        let long = rlp_bytes(&[b'a'; 56]);
        assert_eq!(&long[..2], &[0xb8, 56]);
    }

    #[test]
    fn eip155_example() {
        // The example transaction of EIP-155.
        let signer = Signer::from_hex(&"46".repeat(32)).unwrap();
        let tx = LegacyTx {
            nonce: 9,
            gas_price: 20_000_000_000,
            gas: 21_000,
            to: Some([0x35; 20]),
            value: 1_000_000_000_000_000_000,
            data: Vec::new(),
        };
        assert_eq!(
            hex::encode(signer.sign(&tx, 1).unwrap()),
            "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
        );
        // anvil's first dev account.
        let anvil =
            Signer::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
                .unwrap();
        assert_eq!(
            hex::encode(anvil.address()),
            "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
        );
        assert!(!format!("{anvil:?}").contains("ac0974"));
        assert!(Signer::from_hex("zz").is_err());
        assert!(Signer::from_hex(&"0".repeat(64)).is_err());
    }
}
