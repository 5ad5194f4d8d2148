// The metadataURI convention (what `zkinfer register` stores with a model) and decoding the
// outputs a log entry records into the numbers proof.json shows.
import { ZkinferError } from "./errors.js";
import { COMMITMENT_KINDS, type CommitmentKindName, elementCount, type ZkinferSettings } from "./layout.js";
import { dequantize, fieldToSigned, type Tensor } from "./proof.js";

/** The prefix of every zkinfer metadataURI. */
export const METADATA_PREFIX = "data:application/json,";

/** One output as the metadata describes it. */
export interface OutputMeta {
  /** The ONNX graph's output name. */
  name: string;
  /** Dimensions, outermost first (data is row-major). */
  shape: number[];
  /** Fixed-point scale in bits: a value is `signed(q) / 2^scale`. */
  scale: number;
  /** The outputs are one Poseidon hash on chain (not readable numbers). */
  hashed?: boolean;
}

/** A model's metadata (the JSON inside its metadataURI). */
export interface ModelMetadata {
  /** Display name. */
  name: string;
  /** How the weights are bound. */
  kind: CommitmentKindName;
  /** Hex sha256 of the model's vk.bin. */
  vkSha256: string;
  /** The outputs in instance order. */
  outputs: OutputMeta[];
  /** The key was made with zkinfer's INSECURE local SRS: anyone can forge its proofs. */
  insecureSrs?: boolean;
}

function fail(message: string): never {
  throw new ZkinferError("metadata", `metadataURI: ${message}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // tolerate percent-encoding
  }
  try {
    return JSON.parse(decodeURIComponent(text));
  } catch (e) {
    fail(`not JSON (${(e as Error).message})`);
  }
}

/**
 * Parses a metadataURI: `data:application/json,` then compact JSON
 * `{"name","kind","vk_sha256","outputs":[{"name","shape","scale","hashed"?}],"insecure_srs"?}` (percent-encoding
 * and `;base64` tolerated). Throws (`code: "metadata"`) for anything else.
 */
export function parseMetadataURI(uri: string): ModelMetadata {
  let body: string;
  if (uri.startsWith(METADATA_PREFIX)) {
    body = uri.slice(METADATA_PREFIX.length);
  } else if (uri.startsWith("data:application/json;base64,")) {
    body = atob(uri.slice("data:application/json;base64,".length));
  } else {
    fail(`does not start with ${JSON.stringify(METADATA_PREFIX)}`);
  }
  const m = parseJson(body) as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null) fail("not a JSON object");
  if (typeof m.name !== "string") fail(`"name" is not a string`);
  if (!COMMITMENT_KINDS.includes(m.kind as CommitmentKindName)) fail(`"kind" is not fixed, hashed or committed`);
  if (typeof m.vk_sha256 !== "string") fail(`"vk_sha256" is not a string`);
  if (!Array.isArray(m.outputs)) fail(`"outputs" is not a list`);
  const outputs = m.outputs.map((o: Record<string, unknown> | null, i: number): OutputMeta => {
    if (typeof o !== "object" || o === null || typeof o.name !== "string") fail(`outputs[${i}].name is not a string`);
    if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`outputs[${i}].shape is not a list of sizes`);
    }
    if (!Number.isInteger(o.scale) || (o.scale as number) < 0) fail(`outputs[${i}].scale is not a number of bits`);
    const out: OutputMeta = { name: o.name, shape: o.shape as number[], scale: o.scale as number };
    if (o.hashed === true) out.hashed = true;
    return out;
  });
  const meta: ModelMetadata = { name: m.name, kind: m.kind as CommitmentKindName, vkSha256: m.vk_sha256, outputs };
  if (m.insecure_srs === true) meta.insecureSrs = true;
  return meta;
}

/** Builds the metadataURI of `meta` (inverse of {@link parseMetadataURI}; compact JSON, fixed key order). */
export function buildMetadataURI(meta: ModelMetadata): string {
  const json = {
    name: meta.name,
    kind: meta.kind,
    vk_sha256: meta.vkSha256,
    outputs: meta.outputs.map((o) => ({
      name: o.name,
      shape: o.shape,
      scale: o.scale,
      ...(o.hashed === true ? { hashed: true } : {}),
    })),
    ...(meta.insecureSrs === true ? { insecure_srs: true } : {}),
  };
  return METADATA_PREFIX + JSON.stringify(json);
}

/**
 * The metadata of a model from its settings.json: outputs in order with `scale =
 * quant.input_scale`; hashed outputs marked `hashed`; private outputs left out (nothing of
 * them is on chain).
 */
export function metadataFromSettings(
  settings: ZkinferSettings,
  opts: { name: string; vkSha256: string; kind: CommitmentKindName; insecureSrs?: boolean },
): ModelMetadata {
  const vis = settings.circuit.visibility.output;
  const outputs: OutputMeta[] =
    vis === "private"
      ? []
      : settings.outputs.map((o) => ({
          name: o.name,
          shape: [...o.shape],
          scale: settings.quant.input_scale,
          ...(vis === "hashed" ? { hashed: true } : {}),
        }));
  const meta: ModelMetadata = { name: opts.name, kind: opts.kind, vkSha256: opts.vkSha256, outputs };
  if (opts.insecureSrs === true) meta.insecureSrs = true;
  return meta;
}

/**
 * The outputs a log entry records (raw field elements, the layout's output range) as named
 * tensors, each value `signed(q) / 2^scale` exactly as proof.json shows them. Hashed outputs
 * carry no readable numbers and are left out. Throws (`code: "outputs"`) when the count does
 * not match the metadata's shapes, and (`code: "inexact"`) for a value with no exact number.
 */
export function decodeOutputs(
  outputs: readonly bigint[],
  meta: Pick<ModelMetadata, "outputs">,
): Record<string, Tensor> {
  const hashed = meta.outputs.some((o) => o.hashed === true);
  if (hashed) {
    if (outputs.length !== 1) {
      throw new ZkinferError("outputs", `hashed outputs are 1 instance, got ${outputs.length}`, {
        expected: 1,
        got: outputs.length,
      });
    }
    return {};
  }
  const want = meta.outputs.reduce((a, o) => a + elementCount(o.shape), 0);
  if (want !== outputs.length) {
    throw new ZkinferError("outputs", `the metadata's outputs have ${want} elements, got ${outputs.length}`, {
      expected: want,
      got: outputs.length,
    });
  }
  const result: Record<string, Tensor> = {};
  let at = 0;
  for (const o of meta.outputs) {
    const n = elementCount(o.shape);
    const data = outputs.slice(at, at + n).map((x) => dequantize(fieldToSigned(x), o.scale));
    at += n;
    result[o.name] = { shape: [...o.shape], data };
  }
  return result;
}
