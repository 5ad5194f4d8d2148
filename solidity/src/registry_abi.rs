//! Hand-rolled ABI encoding and strict, bounds-checked decoding for the registry contracts
//! ([`crate::registry`]): calldata of every function, decoders of their return data.
//!
//! Decoders never panic: any byte string gives a value or [`SolidityError::Abi`]. They are
//! strict where a Solidity decoder is (an address, `bool`, enum or `uintN` out of range is
//! an error) and check every offset and length against the data.

use crate::bundle::Address;
use crate::calldata::selector;
use crate::error::{Result, SolidityError};
use crate::registry::{LogEntry, OnchainKind, OnchainLayout, RegisteredModel};

/// A 32-byte ABI word.
pub type Word = [u8; 32];

/// An argument of [`encode_call`].
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// A static value (or one word of a static tuple, encoded in place).
    Word(Word),
    /// `bytes` or `string`.
    Bytes(&'a [u8]),
    /// `uint256[]` (or `bytes32[]`).
    Words(&'a [Word]),
}

/// `n` as a `uint256` word.
pub fn u64_word(n: u64) -> Word {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&n.to_be_bytes());
    w
}

/// An address as a word (left-padded with zeros).
pub fn address_word(a: &Address) -> Word {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a);
    w
}

/// The layout as the six words of its static tuple.
pub fn layout_words(l: &OnchainLayout) -> [Word; 6] {
    [
        l.num_instances,
        l.input_start,
        l.input_count,
        l.output_start,
        l.output_count,
        l.param_index,
    ]
    .map(|x| u64_word(u64::from(x)))
}

/// Complete calldata of `signature` (canonical types, e.g. `submit(uint256,bytes,uint256[])`)
/// with `args`: selector, heads, then the dynamic tails in order, each zero-padded.
pub fn encode_call(signature: &str, args: &[Arg<'_>]) -> Vec<u8> {
    let head_len = args.len() * 32;
    let mut head = Vec::with_capacity(head_len);
    let mut tail = Vec::new();
    for a in args {
        match a {
            Arg::Word(w) => head.extend_from_slice(w),
            Arg::Bytes(b) => {
                head.extend_from_slice(&u64_word((head_len + tail.len()) as u64));
                tail.extend_from_slice(&u64_word(b.len() as u64));
                tail.extend_from_slice(b);
                tail.resize(tail.len() + b.len().div_ceil(32) * 32 - b.len(), 0);
            }
            Arg::Words(ws) => {
                head.extend_from_slice(&u64_word((head_len + tail.len()) as u64));
                tail.extend_from_slice(&u64_word(ws.len() as u64));
                ws.iter().for_each(|w| tail.extend_from_slice(w));
            }
        }
    }
    let mut out = Vec::with_capacity(4 + head.len() + tail.len());
    out.extend_from_slice(&selector(signature));
    out.extend_from_slice(&head);
    out.extend_from_slice(&tail);
    out
}

/// A bounds-checked view of ABI-encoded data; `what` names it in errors.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader of `data`.
    pub fn new(data: &'a [u8], what: &'static str) -> Self {
        Self { data, what }
    }

    fn err(&self, message: impl Into<String>) -> SolidityError {
        SolidityError::Abi {
            what: self.what,
            message: message.into(),
        }
    }

    /// The word at byte offset `at`.
    pub fn word(&self, at: usize) -> Result<Word> {
        at.checked_add(32)
            .and_then(|end| self.data.get(at..end))
            .and_then(|s| <Word>::try_from(s).ok())
            .ok_or_else(|| {
                self.err(format!(
                    "{} bytes, too short for a word at {at}",
                    self.data.len()
                ))
            })
    }

    /// The word at `at` as an unsigned integer of at most `bits` bits (≤ 64).
    pub fn uint(&self, at: usize, bits: u32) -> Result<u64> {
        let w = self.word(at)?;
        let v = u64::from_be_bytes(w[24..].try_into().unwrap_or_default());
        if w[..24].iter().any(|b| *b != 0) || (bits < 64 && v >> bits != 0) {
            return Err(self.err(format!("the word at {at} is not a uint{bits}")));
        }
        Ok(v)
    }

    /// The word at `at` as an address.
    pub fn address(&self, at: usize) -> Result<Address> {
        let w = self.word(at)?;
        if w[..12].iter().any(|b| *b != 0) {
            return Err(self.err(format!("the word at {at} is not an address")));
        }
        let mut a = [0u8; 20];
        a.copy_from_slice(&w[12..]);
        Ok(a)
    }

    /// The word at `at` as a `bool`.
    pub fn boolean(&self, at: usize) -> Result<bool> {
        match self.uint(at, 8) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            _ => Err(self.err(format!("the word at {at} is not a bool"))),
        }
    }

    /// The word at `at` as a [`OnchainKind`].
    pub fn kind(&self, at: usize) -> Result<OnchainKind> {
        self.uint(at, 8)
            .ok()
            .and_then(|v| u8::try_from(v).ok())
            .and_then(OnchainKind::from_u8)
            .ok_or_else(|| self.err(format!("the word at {at} is not a CommitmentKind (0..=2)")))
    }

    /// `base` plus the offset stored at `at` (the start of a dynamic value).
    pub fn offset(&self, at: usize, base: usize) -> Result<usize> {
        let off = usize::try_from(self.uint(at, 64)?).map_err(|_| self.err("offset too large"))?;
        base.checked_add(off)
            .filter(|p| *p <= self.data.len())
            .ok_or_else(|| self.err(format!("the offset at {at} points past the data")))
    }

    /// Length word at `start`, then checks that `len * unit` bytes follow; returns the length.
    fn len_at(&self, start: usize, unit: usize) -> Result<usize> {
        let len =
            usize::try_from(self.uint(start, 64)?).map_err(|_| self.err("length too large"))?;
        len.checked_mul(unit)
            .and_then(|n| n.checked_add(start + 32))
            .filter(|end| *end <= self.data.len())
            .map(|_| len)
            .ok_or_else(|| self.err(format!("a length of {len} at {start} runs past the data")))
    }

    /// The `bytes`/`string` whose offset (relative to `base`) is at `at`.
    pub fn bytes(&self, at: usize, base: usize) -> Result<&'a [u8]> {
        let start = self.offset(at, base)?;
        let len = self.len_at(start, 1)?;
        Ok(&self.data[start + 32..start + 32 + len])
    }

    /// The `string` whose offset (relative to `base`) is at `at`, as UTF-8.
    pub fn string(&self, at: usize, base: usize) -> Result<String> {
        String::from_utf8(self.bytes(at, base)?.to_vec())
            .map_err(|_| self.err("a string that is not UTF-8"))
    }

    /// The `uint256[]` whose offset (relative to `base`) is at `at`.
    pub fn words(&self, at: usize, base: usize) -> Result<Vec<Word>> {
        let start = self.offset(at, base)?;
        let len = self.len_at(start, 32)?;
        (0..len).map(|i| self.word(start + 32 + 32 * i)).collect()
    }

    /// The layout tuple whose six words start at `at`.
    pub fn layout(&self, at: usize) -> Result<OnchainLayout> {
        let f = |i: usize| -> Result<u32> {
            self.uint(at + 32 * i, 32)
                .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
        };
        Ok(OnchainLayout {
            num_instances: f(0)?,
            input_start: f(1)?,
            input_count: f(2)?,
            output_start: f(3)?,
            output_count: f(4)?,
            param_index: f(5)?,
        })
    }
}

/// Decodes a single `uint256` return (an id or a count) that fits in a `u64`.
pub fn decode_u64(output: &[u8]) -> Result<u64> {
    Reader::new(output, "uint256 return").uint(0, 64)
}

/// Decodes a single `address` return.
pub fn decode_address(output: &[u8]) -> Result<Address> {
    Reader::new(output, "address return").address(0)
}

/// Decodes a single `bool` return.
pub fn decode_bool(output: &[u8]) -> Result<bool> {
    Reader::new(output, "bool return").boolean(0)
}

/// Decodes the `(bytes32 inputHash, bytes32 outputHash)` of `hashesOf`.
pub fn decode_hashes(output: &[u8]) -> Result<(Word, Word)> {
    let r = Reader::new(output, "hashesOf return");
    Ok((r.word(0)?, r.word(32)?))
}

/// Decodes the `uint256[]` of `entriesByModel` / `entriesByInput` (ids that fit in `u64`).
pub fn decode_id_list(output: &[u8]) -> Result<Vec<u64>> {
    Reader::new(output, "entry id list")
        .words(0, 0)?
        .iter()
        .map(|w| Reader::new(w, "entry id list").uint(0, 64))
        .collect()
}

/// Decodes the `Model` that `model(uint256)` returns.
pub fn decode_model(output: &[u8]) -> Result<RegisteredModel> {
    let r = Reader::new(output, "model return");
    let t = r.offset(0, 0)?;
    Ok(RegisteredModel {
        commitment: r.word(t)?,
        kind: r.kind(t + 32)?,
        verifier: r.address(t + 64)?,
        owner: r.address(t + 96)?,
        deprecated: r.boolean(t + 128)?,
        registered_block: r.uint(t + 160, 64)?,
        layout: r.layout(t + 192)?,
        metadata_uri: r.string(t + 384, t)?,
    })
}

/// Decodes the `Entry` that `entry(uint256)` returns.
pub fn decode_entry(output: &[u8]) -> Result<LogEntry> {
    let r = Reader::new(output, "entry return");
    let t = r.offset(0, 0)?;
    Ok(LogEntry {
        model_id: r.uint(t, 64)?,
        input_hash: r.word(t + 32)?,
        output_hash: r.word(t + 64)?,
        outputs: r.words(t + 96, t)?,
        submitter: r.address(t + 128)?,
        block_number: r.uint(t + 160, 64)?,
    })
}

/// Signature of `register`.
pub const REGISTER_SIGNATURE: &str =
    "register(bytes32,uint8,address,(uint32,uint32,uint32,uint32,uint32,uint32),string)";
/// Signature of `submit`.
pub const SUBMIT_SIGNATURE: &str = "submit(uint256,bytes,uint256[])";

/// Calldata of `register(commitment, kind, verifier, layout, metadataURI)`.
pub fn register_calldata(
    commitment: &Word,
    kind: OnchainKind,
    verifier: &Address,
    layout: &OnchainLayout,
    metadata_uri: &str,
) -> Vec<u8> {
    let mut args = vec![
        Arg::Word(*commitment),
        Arg::Word(u64_word(kind as u64)),
        Arg::Word(address_word(verifier)),
    ];
    args.extend(layout_words(layout).map(Arg::Word));
    args.push(Arg::Bytes(metadata_uri.as_bytes()));
    encode_call(REGISTER_SIGNATURE, &args)
}

/// Calldata of `deprecate(modelId)`.
pub fn deprecate_calldata(model_id: u64) -> Vec<u8> {
    encode_call("deprecate(uint256)", &[Arg::Word(u64_word(model_id))])
}

/// Calldata of `model(modelId)` (decode with [`decode_model`]).
pub fn model_calldata(model_id: u64) -> Vec<u8> {
    encode_call("model(uint256)", &[Arg::Word(u64_word(model_id))])
}

/// Calldata of `modelIdOf(commitment)` (decode with [`decode_u64`]; 0 = none).
pub fn model_id_of_calldata(commitment: &Word) -> Vec<u8> {
    encode_call("modelIdOf(bytes32)", &[Arg::Word(*commitment)])
}

/// Calldata of `modelCount()` (decode with [`decode_u64`]).
pub fn model_count_calldata() -> Vec<u8> {
    encode_call("modelCount()", &[])
}

/// Calldata of `inferenceLog()` (decode with [`decode_address`]).
pub fn inference_log_calldata() -> Vec<u8> {
    encode_call("inferenceLog()", &[])
}

/// Calldata of `submit(modelId, proof, instances)` on the log (instances as big-endian
/// words; the return is the entry id, [`decode_u64`]).
pub fn submit_calldata(model_id: u64, proof: &[u8], instances: &[Word]) -> Vec<u8> {
    encode_call(
        SUBMIT_SIGNATURE,
        &[
            Arg::Word(u64_word(model_id)),
            Arg::Bytes(proof),
            Arg::Words(instances),
        ],
    )
}

/// Calldata of `entry(entryId)` (decode with [`decode_entry`]).
pub fn entry_calldata(entry_id: u64) -> Vec<u8> {
    encode_call("entry(uint256)", &[Arg::Word(u64_word(entry_id))])
}

/// Calldata of `entryCount()` (decode with [`decode_u64`]).
pub fn entry_count_calldata() -> Vec<u8> {
    encode_call("entryCount()", &[])
}

/// Calldata of `entriesByModel(modelId)` (decode with [`decode_id_list`]).
pub fn entries_by_model_calldata(model_id: u64) -> Vec<u8> {
    encode_call("entriesByModel(uint256)", &[Arg::Word(u64_word(model_id))])
}

/// Calldata of `entriesByInput(inputHash)` (decode with [`decode_id_list`]).
pub fn entries_by_input_calldata(input_hash: &Word) -> Vec<u8> {
    encode_call("entriesByInput(bytes32)", &[Arg::Word(*input_hash)])
}

/// Calldata of `isVerified(modelId, inputHash, outputHash)` (decode with [`decode_bool`]).
pub fn is_verified_calldata(model_id: u64, input_hash: &Word, output_hash: &Word) -> Vec<u8> {
    encode_call(
        "isVerified(uint256,bytes32,bytes32)",
        &[
            Arg::Word(u64_word(model_id)),
            Arg::Word(*input_hash),
            Arg::Word(*output_hash),
        ],
    )
}

/// Calldata of `hashesOf(modelId, instances)` (decode with [`decode_hashes`]).
pub fn hashes_of_calldata(model_id: u64, instances: &[Word]) -> Vec<u8> {
    encode_call(
        "hashesOf(uint256,uint256[])",
        &[Arg::Word(u64_word(model_id)), Arg::Words(instances)],
    )
}

/// The `ModelRegistered` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRegistered {
    /// The new model's id.
    pub model_id: u64,
    /// Its commitment.
    pub commitment: Word,
    /// Who registered it.
    pub owner: Address,
    /// Its verifier.
    pub verifier: Address,
    /// Its commitment kind.
    pub kind: OnchainKind,
    /// Its metadata URI.
    pub metadata_uri: String,
}

/// Topic 0 must be `keccak256(signature)`; the topics must be exactly `n`.
fn event_topics<'t>(topics: &'t [Word], signature: &str, n: usize) -> Option<&'t [Word]> {
    (topics.len() == n && topics.first()? == &crate::calldata::keccak256(signature.as_bytes()))
        .then_some(topics)
}

/// A topic as a `u64` (an indexed id).
fn topic_u64(t: &Word) -> Option<u64> {
    Reader::new(t, "topic").uint(0, 64).ok()
}

impl ModelRegistered {
    /// The event signature.
    pub const SIGNATURE: &'static str =
        "ModelRegistered(uint256,bytes32,address,address,uint8,string)";

    /// Decodes a log; `None` if it is not this event or is malformed.
    pub fn decode(topics: &[Word], data: &[u8]) -> Option<Self> {
        let t = event_topics(topics, Self::SIGNATURE, 4)?;
        let r = Reader::new(data, "ModelRegistered data");
        Some(Self {
            model_id: topic_u64(&t[1])?,
            commitment: t[2],
            owner: Reader::new(&t[3], "topic").address(0).ok()?,
            verifier: r.address(0).ok()?,
            kind: r.kind(32).ok()?,
            metadata_uri: r.string(64, 0).ok()?,
        })
    }
}

/// The `ModelDeprecated` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelDeprecated {
    /// The model.
    pub model_id: u64,
    /// Its owner, who deprecated it.
    pub owner: Address,
}

impl ModelDeprecated {
    /// The event signature.
    pub const SIGNATURE: &'static str = "ModelDeprecated(uint256,address)";

    /// Decodes a log; `None` if it is not this event or is malformed.
    pub fn decode(topics: &[Word], data: &[u8]) -> Option<Self> {
        let t = event_topics(topics, Self::SIGNATURE, 3)?;
        data.is_empty().then_some(())?;
        Some(Self {
            model_id: topic_u64(&t[1])?,
            owner: Reader::new(&t[2], "topic").address(0).ok()?,
        })
    }
}

/// The `InferenceVerified` event: the new entry's id and the entry as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InferenceVerified {
    /// The new entry's id.
    pub entry_id: u64,
    /// The entry (the same fields `entry(entryId)` returns).
    pub entry: LogEntry,
}

impl InferenceVerified {
    /// The event signature.
    pub const SIGNATURE: &'static str =
        "InferenceVerified(uint256,uint256,bytes32,bytes32,uint256[],address,uint64)";

    /// Decodes a log; `None` if it is not this event or is malformed.
    pub fn decode(topics: &[Word], data: &[u8]) -> Option<Self> {
        let t = event_topics(topics, Self::SIGNATURE, 4)?;
        let r = Reader::new(data, "InferenceVerified data");
        Some(Self {
            entry_id: topic_u64(&t[1])?,
            entry: LogEntry {
                model_id: topic_u64(&t[2])?,
                input_hash: t[3],
                output_hash: r.word(0).ok()?,
                outputs: r.words(32, 0).ok()?,
                submitter: r.address(64).ok()?,
                block_number: r.uint(96, 64).ok()?,
            },
        })
    }
}
