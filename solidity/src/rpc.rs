//! A tiny Ethereum JSON-RPC client over plain HTTP (`http://` only, std `TcpStream`):
//! enough to deploy a bundle with signed raw transactions and to call the verifier.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::bundle::{Address, Bundle};
use crate::error::{Result, SolidityError};
use crate::tx::{LegacyTx, Signer};

/// Largest response accepted.
const MAX_RESPONSE: u64 = 64 << 20;

/// A JSON-RPC endpoint.
#[derive(Clone, Debug)]
pub struct RpcClient {
    url: String,
    host: String,
    port: u16,
    path: String,
    /// Socket timeout of each request.
    pub timeout: Duration,
    /// How long to wait for a transaction to be mined.
    pub receipt_timeout: Duration,
}

/// A deployed contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployed {
    /// Contract name.
    pub name: String,
    /// Its address.
    pub address: Address,
    /// The creating transaction.
    pub tx_hash: String,
    /// Gas the creation used.
    pub gas_used: u64,
}

/// What an `eth_call` gave ([`RpcClient::try_call`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallResult {
    /// The call returned this output.
    Returned(Vec<u8>),
    /// The call reverted with this revert data (empty for a bare `revert()`).
    Reverted(Vec<u8>),
}

/// `0x`-prefixed lowercase hex.
pub fn to_hex(b: &[u8]) -> String {
    format!("0x{}", hex::encode(b))
}

/// Parses a `0x`-prefixed (or bare) hex string.
pub fn from_hex(s: &str) -> Result<Vec<u8>> {
    let s = s.trim();
    let s = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(s).map_err(|e| SolidityError::input("hex", format!("{e}")))
}

/// Parses a 20-byte address (`0x` optional; checksums are not checked).
pub fn parse_address(s: &str) -> Result<Address> {
    let b =
        from_hex(s).map_err(|_| SolidityError::input("address", format!("{s:?} is not hex")))?;
    b.try_into()
        .map_err(|_| SolidityError::input("address", format!("{s:?} is not 20 bytes")))
}

fn quantity(v: &Value, what: &str) -> Result<u128> {
    let s = v
        .as_str()
        .ok_or_else(|| SolidityError::input("quantity", format!("{what}: {v}")))?;
    u128::from_str_radix(s.trim_start_matches("0x"), 16)
        .map_err(|_| SolidityError::input("quantity", format!("{what}: {s:?}")))
}

impl RpcClient {
    /// An endpoint `http://host[:port][/path]`.
    pub fn new(url: &str) -> Result<Self> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            SolidityError::input(
                "RPC URL",
                format!("{url:?}: only http:// endpoints are supported (use a local node or a proxy for https)"),
            )
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| SolidityError::input("RPC URL", format!("bad port in {url:?}")))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(SolidityError::input(
                "RPC URL",
                format!("no host in {url:?}"),
            ));
        }
        Ok(Self {
            url: url.to_string(),
            host: host.to_string(),
            port,
            path: path.to_string(),
            timeout: Duration::from_secs(60),
            receipt_timeout: Duration::from_secs(120),
        })
    }

    fn transport(&self, message: impl Into<String>) -> SolidityError {
        SolidityError::Transport {
            url: self.url.clone(),
            message: message.into(),
        }
    }

    fn post(&self, body: &str) -> Result<Vec<u8>> {
        let addr = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| self.transport(e.to_string()))?
            .next()
            .ok_or_else(|| self.transport("the host resolves to no address"))?;
        let mut stream = TcpStream::connect_timeout(&addr, self.timeout)
            .map_err(|e| self.transport(format!("cannot connect: {e}")))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
            .map_err(|e| self.transport(e.to_string()))?;
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.host,
            self.port,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| self.transport(format!("sending: {e}")))?;
        let mut response = Vec::new();
        stream
            .take(MAX_RESPONSE)
            .read_to_end(&mut response)
            .map_err(|e| self.transport(format!("reading: {e}")))?;
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| self.transport("malformed HTTP response"))?;
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        let body = &response[split + 4..];
        let status = head.lines().next().unwrap_or("");
        if status.split_whitespace().nth(1) != Some("200") {
            return Err(self.transport(format!(
                "HTTP status {status:?}: {}",
                String::from_utf8_lossy(body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
            return dechunk(body).ok_or_else(|| self.transport("malformed chunked body"));
        }
        match header("content-length:").and_then(|v| v.parse::<usize>().ok()) {
            Some(n) if n <= body.len() => Ok(body[..n].to_vec()),
            Some(_) => Err(self.transport("truncated body")),
            None => Ok(body.to_vec()),
        }
    }

    /// Calls `method` with `params`; returns the `result`, or the node's `error` object
    /// (`Err` of the inner result) when it answered one.
    fn request_raw(
        &self,
        method: &str,
        params: Value,
    ) -> Result<std::result::Result<Value, Value>> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let bytes = self.post(&body.to_string())?;
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.transport(format!("{method}: response is not JSON: {e}")))?;
        if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
            return Ok(Err(err.clone()));
        }
        v.get("result")
            .cloned()
            .map(Ok)
            .ok_or_else(|| self.transport(format!("{method}: no result in the response")))
    }

    /// `eth_call` of `to` with `data` (from `from`, if given) at the latest block: the
    /// output, or the revert data when the call reverted (nodes answer a revert with an
    /// error whose `data` is the revert data; see [`CallResult`]).
    pub fn try_call(
        &self,
        from: Option<&Address>,
        to: &Address,
        data: &[u8],
    ) -> Result<CallResult> {
        let mut tx = json!({"to": to_hex(to), "data": to_hex(data)});
        if let Some(f) = from {
            tx["from"] = json!(to_hex(f));
        }
        match self.request_raw("eth_call", json!([tx, "latest"]))? {
            Ok(v) => Ok(CallResult::Returned(from_hex(
                v.as_str().unwrap_or_default(),
            )?)),
            Err(err) => {
                let message = err["message"].as_str().unwrap_or_default();
                // A revert carries its data (possibly empty); other errors are failures.
                let data = match &err["data"] {
                    Value::String(s) => from_hex(s).ok(),
                    Value::Object(o) => o
                        .get("data")
                        .and_then(|d| d.as_str())
                        .and_then(|s| from_hex(s).ok()),
                    _ => None,
                };
                match data {
                    Some(d) => Ok(CallResult::Reverted(d)),
                    None if message.contains("revert") => Ok(CallResult::Reverted(Vec::new())),
                    None => Err(SolidityError::Rpc {
                        method: "eth_call".into(),
                        message: format!("{message} (error: {err})"),
                    }),
                }
            }
        }
    }

    /// Calls `method` with `params`; returns the `result`.
    pub fn request(&self, method: &str, params: Value) -> Result<Value> {
        let err = match self.request_raw(method, params)? {
            Ok(v) => return Ok(v),
            Err(err) => err,
        };
        let mut message = err["message"]
            .as_str()
            .unwrap_or("unknown error")
            .to_string();
        if let Some(data) = err.get("data").filter(|d| !d.is_null()) {
            message.push_str(&format!(" (data: {data})"));
        }
        Err(SolidityError::Rpc {
            method: method.into(),
            message,
        })
    }

    /// `eth_chainId`.
    pub fn chain_id(&self) -> Result<u64> {
        let v = quantity(&self.request("eth_chainId", json!([]))?, "chain id")?;
        u64::try_from(v).map_err(|_| SolidityError::input("quantity", "chain id too large"))
    }

    /// `eth_call` of `to` with `data` at the latest block; returns the output.
    pub fn call(&self, to: &Address, data: &[u8]) -> Result<Vec<u8>> {
        let v = self.request(
            "eth_call",
            json!([{"to": to_hex(to), "data": to_hex(data)}, "latest"]),
        )?;
        from_hex(v.as_str().unwrap_or_default())
    }

    /// `eth_estimateGas` of a call (or creation, `to = None`).
    pub fn estimate_gas(
        &self,
        from: Option<&Address>,
        to: Option<&Address>,
        data: &[u8],
    ) -> Result<u64> {
        let mut tx = json!({"data": to_hex(data)});
        if let Some(f) = from {
            tx["from"] = json!(to_hex(f));
        }
        if let Some(t) = to {
            tx["to"] = json!(to_hex(t));
        }
        let v = quantity(&self.request("eth_estimateGas", json!([tx]))?, "gas")?;
        u64::try_from(v).map_err(|_| SolidityError::input("quantity", "gas too large"))
    }

    /// `eth_getCode` at the latest block.
    pub fn code(&self, address: &Address) -> Result<Vec<u8>> {
        let v = self.request("eth_getCode", json!([to_hex(address), "latest"]))?;
        from_hex(v.as_str().unwrap_or_default())
    }

    /// Signs and sends a transaction from `signer`, waits for its receipt and checks that
    /// it succeeded. Returns the receipt.
    pub fn send(&self, signer: &Signer, to: Option<&Address>, data: Vec<u8>) -> Result<Value> {
        let from = signer.address();
        let chain_id = self.chain_id()?;
        let nonce = quantity(
            &self.request("eth_getTransactionCount", json!([to_hex(&from), "pending"]))?,
            "nonce",
        )?;
        let gas_price = quantity(&self.request("eth_gasPrice", json!([]))?, "gas price")?;
        let estimate = self.estimate_gas(Some(&from), to, &data)?;
        let tx = LegacyTx {
            nonce: u64::try_from(nonce).map_err(|_| SolidityError::input("quantity", "nonce"))?,
            gas_price,
            gas: estimate.saturating_add(estimate / 5),
            to: to.copied(),
            value: 0,
            data,
        };
        let raw = signer.sign(&tx, chain_id)?;
        let hash = self.request("eth_sendRawTransaction", json!([to_hex(&raw)]))?;
        let hash = hash.as_str().unwrap_or_default().to_string();
        let start = Instant::now();
        let receipt = loop {
            let r = self.request("eth_getTransactionReceipt", json!([hash]))?;
            if !r.is_null() {
                break r;
            }
            if start.elapsed() > self.receipt_timeout {
                return Err(SolidityError::Transaction {
                    tx: hash,
                    message: format!("not mined within {:?}", self.receipt_timeout),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        if receipt["status"].as_str() != Some("0x1") {
            return Err(SolidityError::Transaction {
                tx: hash,
                message: format!("failed (status {})", receipt["status"]),
            });
        }
        Ok(receipt)
    }

    /// Deploys every contract of a compiled bundle from `signer`, in order; the wrapper
    /// (the address to call) is last.
    pub fn deploy_bundle(&self, bundle: &Bundle, signer: &Signer) -> Result<Vec<Deployed>> {
        let mut deployed = Vec::new();
        bundle.deploy(|name, code| {
            let receipt = self.send(signer, None, code)?;
            let tx_hash = receipt["transactionHash"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let address = parse_address(receipt["contractAddress"].as_str().unwrap_or_default())
                .map_err(|_| SolidityError::Transaction {
                    tx: tx_hash.clone(),
                    message: "the receipt has no contract address".into(),
                })?;
            if self.code(&address)?.is_empty() {
                return Err(SolidityError::Transaction {
                    tx: tx_hash,
                    message: format!("no code at the new {name} contract"),
                });
            }
            let gas_used = quantity(&receipt["gasUsed"], "gas used")? as u64;
            deployed.push(Deployed {
                name: name.to_string(),
                address,
                tx_hash,
                gas_used,
            });
            Ok(address)
        })?;
        Ok(deployed)
    }
}

/// One event log of a transaction receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptLog {
    /// The emitting contract.
    pub address: Address,
    /// The topics (the event signature's keccak256 first, then the indexed fields).
    pub topics: Vec<[u8; 32]>,
    /// The non-indexed fields, ABI-encoded.
    pub data: Vec<u8>,
}

/// The `gasUsed` of a receipt.
pub fn receipt_gas_used(receipt: &Value) -> Result<u64> {
    u64::try_from(quantity(&receipt["gasUsed"], "gas used")?)
        .map_err(|_| SolidityError::input("quantity", "gas used too large"))
}

/// The event logs of a receipt, in order.
pub fn receipt_logs(receipt: &Value) -> Result<Vec<ReceiptLog>> {
    let bad = |m: &str| SolidityError::input("receipt", m.to_string());
    let logs = receipt["logs"]
        .as_array()
        .ok_or_else(|| bad("no logs array"))?;
    logs.iter()
        .map(|l| {
            let address = parse_address(l["address"].as_str().unwrap_or_default())?;
            let topics = l["topics"]
                .as_array()
                .ok_or_else(|| bad("a log without topics"))?
                .iter()
                .map(|t| {
                    from_hex(t.as_str().unwrap_or_default())?
                        .try_into()
                        .map_err(|_| bad("a topic that is not 32 bytes"))
                })
                .collect::<Result<Vec<[u8; 32]>>>()?;
            let data = from_hex(l["data"].as_str().unwrap_or("0x"))?;
            Ok(ReceiptLog {
                address,
                topics,
                data,
            })
        })
        .collect()
}

/// Decodes an HTTP chunked body.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_hex_and_chunks() {
        let c = RpcClient::new("http://127.0.0.1:8545").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str()),
            ("127.0.0.1", 8545, "/")
        );
        let c = RpcClient::new("http://node/rpc/v1").unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.path.as_str()),
            ("node", 80, "/rpc/v1")
        );
        assert!(RpcClient::new("https://x").is_err());
        assert!(RpcClient::new("http://:1").is_err());
        assert!(RpcClient::new("http://h:notaport").is_err());
        assert_eq!(
            dechunk(b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap(),
            b"abcde"
        );
        assert!(dechunk(b"5\r\nab").is_none());
        assert_eq!(
            parse_address("0x00000000000000000000000000000000000000ff").unwrap()[19],
            0xff
        );
        assert!(parse_address("0x12").is_err());
        assert_eq!(to_hex(&[1, 2]), "0x0102");
        // Nothing listens on port 1.
        assert!(matches!(
            RpcClient::new("http://127.0.0.1:1").unwrap().chain_id(),
            Err(SolidityError::Transport { .. })
        ));
    }
}
