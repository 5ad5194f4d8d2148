// Unit tests: no chain needed (fixtures copied from a real `zkinfer prove --evm` run).
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, encodeErrorResult, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import {
  BN254_R,
  bigIntToLeHex,
  buildMetadataURI,
  decodeOutputs,
  dequantize,
  describeRefusal,
  fieldToSigned,
  hashesOf,
  keccakWords,
  layoutFromSettings,
  leHexToBigInt,
  type ModelMetadata,
  metadataFromSettings,
  inferenceLogAbi,
  modelRegistryAbi,
  modelRegistryBytecode,
  outputInstances,
  parseMetadataURI,
  parseProof,
  refusalOf,
  ZkinferClient,
  ZkinferError,
  zkinferErrorsAbi,
} from "../index.js";
import { loadModelDir } from "../node.js";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fixtures = join(pkg, "test-fixtures");
const read = (name: string) => readFileSync(join(fixtures, name), "utf8");
const isCode = (code: string) => (e: unknown) => e instanceof ZkinferError && e.code === code;

test("little-endian instance hex <-> uint256", () => {
  assert.equal(leHexToBigInt(`01${"00".repeat(31)}`), 1n);
  assert.equal(leHexToBigInt(`0x${"00".repeat(31)}01`), 1n << 248n);
  assert.equal(leHexToBigInt("1434" + "00".repeat(30)), 0x3414n);
  const x = BN254_R - 5n;
  assert.equal(leHexToBigInt(bigIntToLeHex(x)), x);
  assert.throws(() => leHexToBigInt("00"), isCode("proof-format"));
  assert.throws(() => leHexToBigInt(bigIntToLeHex(BN254_R)), isCode("proof-format"));
});

test("field elements above (r-1)/2 are negative", () => {
  assert.equal(fieldToSigned(0n), 0n);
  assert.equal(fieldToSigned(7n), 7n);
  assert.equal(fieldToSigned(BN254_R - 1n), -1n);
  const half = (BN254_R - 1n) / 2n;
  assert.equal(fieldToSigned(half), half);
  assert.equal(fieldToSigned(half + 1n), half + 1n - BN254_R);
  assert.throws(() => fieldToSigned(BN254_R), isCode("proof-format"));
});

test("dequantize is exact or refuses", () => {
  assert.equal(dequantize(13333n, 13), 13333 / 8192);
  assert.equal(dequantize(-1n, 13), -1 / 8192);
  assert.equal(dequantize(-(1n << 60n), 10), -(2 ** 50)); // one significant bit: exact
  assert.equal(dequantize((1n << 53n) - 1n, 0), 2 ** 53 - 1);
  assert.throws(() => dequantize((1n << 53n) + 1n, 13), isCode("inexact"));
  assert.throws(() => dequantize(1n, 1.5), isCode("inexact"));
});

test("parseProof reads the real proof.json", () => {
  const text = read("proof.json");
  const raw = JSON.parse(text);
  const p = parseProof(text);
  assert.equal(p.instances.length, 12);
  assert.equal(p.transcript, "keccak");
  assert.equal(p.proof, `0x${raw.proof}`);
  assert.equal(p.commitment?.kind, "hashed");
  // Instance 10 is the input hash, 11 the parameter hash: same words as `hashes` (big-endian).
  assert.equal(`0x${p.instances[10]?.toString(16).padStart(64, "0")}`, raw.hashes.input);
  assert.equal(`0x${p.instances[11]?.toString(16).padStart(64, "0")}`, raw.hashes.params);
  assert.equal(p.commitment?.value, raw.hashes.params);
  assert.deepEqual(parseProof(raw), p); // object form
  // Model B (other weights, same key): another parameter hash, which is its commitment.
  const b = parseProof(read("proof-b.json"));
  assert.equal(`0x${b.instances[11]?.toString(16).padStart(64, "0")}`, b.commitment?.value);
  assert.notEqual(b.commitment?.value, p.commitment?.value);
});

test("parseProof refuses non-Keccak and malformed proofs", () => {
  const raw = JSON.parse(read("proof.json"));
  assert.throws(
    () => parseProof({ ...raw, transcript: "blake2b" }),
    (e: unknown) => {
      return isCode("transcript")(e) && /Keccak/.test((e as Error).message);
    },
  );
  assert.throws(() => parseProof({ ...raw, proof: "xyz" }), isCode("proof-format"));
  assert.throws(() => parseProof({ ...raw, instances: ["12"] }), isCode("proof-format"));
  assert.throws(() => parseProof("{"), isCode("proof-format"));
});

test("layoutFromSettings follows the register rule", () => {
  assert.deepEqual(layoutFromSettings(JSON.parse(read("settings.json"))), {
    numInstances: 12,
    inputStart: 10,
    inputCount: 1,
    outputStart: 0,
    outputCount: 10,
    paramIndex: 11,
  });
  assert.deepEqual(layoutFromSettings(JSON.parse(read("fixed/settings.json"))), {
    numInstances: 11,
    inputStart: 10,
    inputCount: 1,
    outputStart: 0,
    outputCount: 10,
    paramIndex: 0,
  });
  const s = JSON.parse(read("settings.json"));
  s.circuit.visibility.params = "private";
  assert.throws(() => layoutFromSettings(s), isCode("settings"));
  s.circuit.visibility.params = "hashed";
  s.num_instances = 13;
  assert.throws(() => layoutFromSettings(s), isCode("settings"));
  // Public input, hashed outputs, committed params: [64 inputs][output hash].
  s.circuit.visibility = { input: "public", output: "hashed", params: "committed" };
  s.num_instances = 65;
  assert.deepEqual(layoutFromSettings(s), {
    numInstances: 65,
    inputStart: 0,
    inputCount: 64,
    outputStart: 64,
    outputCount: 1,
    paramIndex: 0,
  });
});

test("metadata URI round trip and convention", () => {
  const meta: ModelMetadata = {
    name: "digits_mlp16",
    kind: "hashed",
    vkSha256: "11473665a0344c41cc266769f850979ec27ee52e04f9c3b6f64403a647119aee",
    outputs: [{ name: "output", shape: [1, 10], scale: 13 }],
  };
  const uri = buildMetadataURI(meta);
  assert.equal(
    uri,
    'data:application/json,{"name":"digits_mlp16","kind":"hashed",' +
      '"vk_sha256":"11473665a0344c41cc266769f850979ec27ee52e04f9c3b6f64403a647119aee",' +
      '"outputs":[{"name":"output","shape":[1,10],"scale":13}]}',
  );
  assert.deepEqual(parseMetadataURI(uri), meta);
  assert.deepEqual(parseMetadataURI(encodeURI(uri)), meta);
  const hashed = { ...meta, outputs: [{ name: "output", shape: [1, 10], scale: 13, hashed: true }] };
  assert.deepEqual(parseMetadataURI(buildMetadataURI(hashed)), hashed);
  // What `zkinfer register` writes for this model (tests/provenance.rs checks the file is
  // exactly that; serde_json's key order) parses, insecure flag included.
  assert.deepEqual(parseMetadataURI(read("metadata-uri.txt")), { ...meta, insecureSrs: true });
  assert.deepEqual(parseMetadataURI(buildMetadataURI({ ...meta, insecureSrs: true })), { ...meta, insecureSrs: true });
  assert.throws(() => parseMetadataURI("ipfs://x"), isCode("metadata"));
  assert.throws(() => parseMetadataURI('data:application/json,{"name":1}'), isCode("metadata"));
});

test("decodeOutputs gives exactly proof.json's outputs", () => {
  for (const dir of [".", "fixed"]) {
    const text = read(join(dir, "proof.json"));
    const settings = JSON.parse(read(join(dir, "settings.json")));
    const layout = layoutFromSettings(settings);
    const p = parseProof(text);
    const meta = metadataFromSettings(settings, { name: "m", vkSha256: "00", kind: "hashed" });
    const decoded = decodeOutputs(outputInstances(layout, p.instances), meta);
    assert.deepEqual(decoded, JSON.parse(text).outputs);
    assert.deepEqual(decoded, p.outputs);
    assert.throws(() => decodeOutputs(p.instances, meta), isCode("outputs"));
  }
});

test("hashesOf is keccak256 of the packed uint256 words", () => {
  const settings = JSON.parse(read("settings.json"));
  const p = parseProof(read("proof.json"));
  const h = hashesOf(layoutFromSettings(settings), p.instances);
  assert.equal(h.inputHash, keccakWords([p.instances[10] ?? 0n]));
  assert.equal(h.outputHash, keccakWords(p.instances.slice(0, 10)));
  // keccak256("") for an empty (private) range.
  assert.equal(keccakWords([]), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  assert.equal(keccakWords([1n]), "0xb10e2d527612073b26eecdfd717e6a320cf44b4afac2b0732d9fcbe2b7fa0cf6");
});

test("loadModelDir reads a model directory", () => {
  const m = loadModelDir(fixtures);
  assert.equal(m.commitment.kind, "hashed");
  assert.equal(m.commitment.value, JSON.parse(read("commitment.json")).value);
  assert.equal(m.layout.paramIndex, 11);
  assert.equal(m.metadata.name, "test-fixtures");
  assert.deepEqual(m.metadata.outputs, [{ name: "output", shape: [1, 10], scale: 13 }]);
  assert.equal(m.metadata.insecureSrs, true, "the fixture's proof.json says insecure_srs");
  assert.deepEqual(parseMetadataURI(m.metadataURI), m.metadata);
  assert.equal(m.verifier, null);
  assert.equal(m.proof?.instances.length, 12);
});

test("refusal sentences", () => {
  const r = describeRefusal({ name: "ProofRejected", args: [1n], fields: { modelId: 1n } });
  assert.equal(r, "ProofRejected: the verifier of model 1 rejected the proof");
  assert.match(describeRefusal({ name: "Odd", args: [2n], fields: {} }), /Odd\(2\)/);
});

test("src/abi.ts matches the committed contract build", (t) => {
  const build = join(pkg, "..", "..", "solidity", "contracts", "build");
  if (!existsSync(build)) {
    t.skip(`no ${build}`);
    return;
  }
  const registry = JSON.parse(readFileSync(join(build, "ModelRegistry.json"), "utf8"));
  const log = JSON.parse(readFileSync(join(build, "InferenceLog.json"), "utf8"));
  assert.deepEqual(modelRegistryAbi, registry.abi, "src/abi.ts is stale: npm run gen-abi");
  assert.equal(modelRegistryBytecode, registry.bytecode, "src/abi.ts is stale: npm run gen-abi");
  assert.deepEqual(inferenceLogAbi, log.abi, "src/abi.ts is stale: npm run gen-abi");
});

test("the main entry is browser-safe (no Node built-ins outside node.js)", () => {
  const dist = join(pkg, "dist");
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(dist, file), "utf8");
    assert.doesNotMatch(text, /from "node:|require\(|process\.|Buffer/, `${file} uses Node APIs`);
    for (const m of text.matchAll(/from "\.\/([^"]+)"/g)) visit(m[1] ?? "");
  };
  visit("index.js");
  assert.ok(!seen.has("node.js"));
  assert.ok(seen.size >= 8, `followed ${[...seen].join(", ")}`);
});

test("refusalOf decodes a revert by error name, from any viem copy", () => {
  const raw = encodeErrorResult({
    abi: zkinferErrorsAbi,
    errorName: "NotBoundToModel",
    args: [3n, `0x${"aa".repeat(32)}`, `0x${"bb".repeat(32)}`],
  });
  // Shaped like viem's ContractFunctionExecutionError -> ContractFunctionRevertedError, no class identity.
  const e = { name: "ContractFunctionExecutionError", cause: { name: "ContractFunctionRevertedError", raw } };
  const r = refusalOf(e);
  assert.equal(r?.name, "NotBoundToModel");
  assert.deepEqual(r?.fields, { modelId: 3n, registered: `0x${"aa".repeat(32)}`, proven: `0x${"bb".repeat(32)}` });
  assert.equal(refusalOf({ name: "ContractFunctionRevertedError" })?.name, "Reverted");
  assert.equal(refusalOf(new Error("fetch failed")), null);
});

test("transport errors throw (they are not refusals)", async () => {
  const transport = http("http://127.0.0.1:9", { retryCount: 0 });
  const account = privateKeyToAccount(`0x${"01".repeat(32)}`);
  const client = new ZkinferClient({
    publicClient: createPublicClient({ transport }),
    walletClient: createWalletClient({ transport, account }),
    registry: `0x${"00".repeat(20)}`,
  });
  await assert.rejects(client.modelCount());
  await assert.rejects(client.submit(1n, read("proof.json")));
  const readOnly = new ZkinferClient({
    publicClient: createPublicClient({ transport }),
    registry: `0x${"00".repeat(20)}`,
  });
  await assert.rejects(readOnly.submit(1n, read("proof.json")), isCode("wallet"));
});
