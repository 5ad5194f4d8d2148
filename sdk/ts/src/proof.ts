// Reading proof.json (format "zkinfer-proof", written by `zkinfer prove`) and the fixed-point
// arithmetic needed to show its proven numbers exactly.
import type { Hex } from "viem";
import { ZkinferError } from "./errors.js";

/** The BN254 scalar field modulus `r`: every instance is an integer in `[0, r)`. */
export const BN254_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** `(r - 1) / 2`: field elements above it stand for the negative integers `x - r`. */
export const BN254_HALF = (BN254_R - 1n) / 2n;

/** A tensor as proof.json shows it: row-major `data` of the given `shape`. */
export interface Tensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Values, flattened row-major. */
  data: number[];
}

/** Which weights a proof is bound to (`commitment` in proof.json and commitment.json). */
export interface ProofCommitment {
  /** "fixed" (sha256 of vk.bin), "hashed" (parameter Poseidon hash) or "committed" (KZG). */
  kind: string;
  /** The commitment, 32 bytes as `0x` hex. */
  value: Hex;
}

/** A parsed proof.json, ready to submit on chain. */
export interface ParsedProof {
  /** The proof bytes (calldata for `verifyProof`). */
  proof: Hex;
  /** The public instances as the uint256 words the contracts take. */
  instances: bigint[];
  /** The public outputs, dequantized (absent outputs: `{}`). */
  outputs: Record<string, Tensor>;
  /** The public inputs, dequantized (absent inputs: `{}`). */
  inputs: Record<string, Tensor>;
  /** The hashed parts' instances (`input`, `output`, `params`), `0x` big-endian hex. */
  hashes: Record<string, Hex>;
  /** The commitment the proof is bound to, or `null` (private parameters). */
  commitment: ProofCommitment | null;
  /** The Fiat–Shamir transcript: always "keccak" here (others are refused). */
  transcript: string;
  /** Hex sha256 of the verifying key the proof was made for, when recorded. */
  vkDigest: string | null;
  /** proof.json's `insecure_srs`: the key came from zkinfer's INSECURE local SRS. */
  insecureSrs: boolean;
}

const HEX = /^(0x)?([0-9a-fA-F]*)$/;

function fail(message: string, detail: Record<string, unknown> = {}): never {
  throw new ZkinferError("proof-format", `proof.json: ${message}`, detail);
}

/** `0x`-prefixed lower-case hex of a hex string with or without `0x`; `null` if not hex of whole bytes. */
function normalizeHex(value: unknown): Hex | null {
  if (typeof value !== "string") return null;
  const m = HEX.exec(value);
  if (!m || (m[2] ?? "").length % 2 !== 0) return null;
  return `0x${(m[2] ?? "").toLowerCase()}`;
}

/**
 * The uint256 encoded by 32 bytes of little-endian hex (proof.json's instance format), with
 * or without `0x`. Throws unless it is exactly 64 hex digits of a value below `r`.
 */
export function leHexToBigInt(hex: string): bigint {
  const h = normalizeHex(hex);
  if (h === null || h.length !== 66) {
    fail(`instance ${JSON.stringify(hex)} is not 64 hex digits (32 little-endian bytes)`, { value: hex });
  }
  const bytes = h.slice(2).match(/../g) ?? [];
  const x = BigInt(`0x${bytes.reverse().join("")}`);
  if (x >= BN254_R) fail(`instance ${hex} is not below the BN254 scalar modulus`, { value: hex });
  return x;
}

/** The inverse of {@link leHexToBigInt}: 64 hex digits, little-endian, no `0x`. */
export function bigIntToLeHex(x: bigint): string {
  if (x < 0n || x >= 1n << 256n) {
    throw new ZkinferError("proof-format", `${x} does not fit in 32 bytes`, { value: x.toString() });
  }
  const be = x.toString(16).padStart(64, "0");
  return (be.match(/../g) ?? []).reverse().join("");
}

/**
 * The signed integer a field element stands for: `x` itself up to `(r - 1) / 2`, `x - r` above
 * (so `r - 5` is `-5`). Throws for `x` outside `[0, r)`.
 */
export function fieldToSigned(x: bigint): bigint {
  if (x < 0n || x >= BN254_R) {
    throw new ZkinferError("proof-format", `${x} is not a BN254 field element`, { value: x.toString() });
  }
  return x > BN254_HALF ? x - BN254_R : x;
}

/**
 * `q · 2^-scale` as a number, exactly, as proof.json writes it. Throws (`code: "inexact"`)
 * when no number equals it: `q` needs more than 53 significant bits (always fine for
 * `|q| < 2^53`), or the result would underflow.
 */
export function dequantize(q: bigint, scale: number): number {
  if (!Number.isInteger(scale) || scale < 0 || scale > 1000) {
    throw new ZkinferError("inexact", `scale ${scale} is not an integer number of bits in 0..1000`, { scale });
  }
  const f = Number(q);
  if (!Number.isFinite(f) || BigInt(f) !== q) {
    throw new ZkinferError(
      "inexact",
      `fixed-point value ${q} has more than 53 significant bits: no JavaScript number equals ${q} / 2^${scale}`,
      { q: q.toString(), scale },
    );
  }
  const g = f / 2 ** scale;
  // Dividing by a power of two is exact unless the result underflows into subnormals.
  if (g * 2 ** scale !== f) {
    throw new ZkinferError("inexact", `${q} / 2^${scale} underflows`, { q: q.toString(), scale });
  }
  return g;
}

function tensors(value: unknown, field: string): Record<string, Tensor> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(`"${field}" is not an object`);
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(value as Record<string, unknown>)) {
    const tensor = t as { shape?: unknown; data?: unknown };
    const shape = tensor?.shape;
    const data = tensor?.data;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`${field}.${name}.shape is not a list of sizes`);
    }
    if (!Array.isArray(data) || !data.every((d) => typeof d === "number")) {
      fail(`${field}.${name}.data is not a list of numbers`);
    }
    out[name] = { shape: shape as number[], data: data as number[] };
  }
  return out;
}

/**
 * Parses proof.json (its text, or the already-parsed object). Refuses a proof whose
 * transcript is not Keccak (`code: "transcript"`): EVM verifiers only check Keccak proofs
 * (`zkinfer prove --evm`).
 */
export function parseProof(json: string | object): ParsedProof {
  let obj: unknown = json;
  if (typeof json === "string") {
    try {
      obj = JSON.parse(json);
    } catch (e) {
      fail(`not JSON (${(e as Error).message})`);
    }
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) fail("not a JSON object");
  const p = obj as Record<string, unknown>;
  if (p.format !== undefined && p.format !== "zkinfer-proof") {
    fail(`"format" is ${JSON.stringify(p.format)}, not "zkinfer-proof"`);
  }
  const transcript = p.transcript;
  if (transcript !== "keccak") {
    throw new ZkinferError(
      "transcript",
      `proof.json was made with the ${JSON.stringify(transcript ?? "default")} transcript; ` +
        `on-chain verifiers check only Keccak proofs (prove with \`zkinfer prove --evm\`)`,
      { transcript },
    );
  }
  const proof = normalizeHex(p.proof);
  if (proof === null || proof.length <= 2) fail(`"proof" is not hex bytes`);
  if (!Array.isArray(p.instances)) fail(`"instances" is not a list`);
  const instances = p.instances.map((h, index) => {
    if (typeof h !== "string") fail(`instances[${index}] is not a string`, { index });
    return leHexToBigInt(h);
  });
  const hashes: Record<string, Hex> = {};
  if (p.hashes !== undefined && p.hashes !== null) {
    if (typeof p.hashes !== "object") fail(`"hashes" is not an object`);
    for (const [k, v] of Object.entries(p.hashes as Record<string, unknown>)) {
      const h = normalizeHex(v);
      if (h === null || h.length !== 66) fail(`hashes.${k} is not 32 bytes of hex`);
      hashes[k] = h;
    }
  }
  let commitment: ProofCommitment | null = null;
  if (p.commitment !== undefined && p.commitment !== null) {
    const c = p.commitment as { kind?: unknown; value?: unknown };
    const value = normalizeHex(c.value);
    if (typeof c.kind !== "string" || value === null || value.length !== 66) {
      fail(`"commitment" is not {"kind", "value": 32 bytes of hex}`);
    }
    commitment = { kind: c.kind, value };
  }
  return {
    proof,
    instances,
    outputs: tensors(p.outputs, "outputs"),
    inputs: tensors(p.inputs, "inputs"),
    hashes,
    commitment,
    transcript,
    vkDigest: typeof p.vk_digest === "string" ? p.vk_digest : null,
    insecureSrs: p.insecure_srs === true,
  };
}
