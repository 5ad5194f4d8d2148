// Integration tests against a chain (anvil). They run only when ZKINFER_RPC is set, with
// ZKINFER_PRIVATE_KEY (a funded key) and ZKINFER_MODEL_DIR (a model directory with proof.json,
// proof-b.json (other weights, same key), settings.json, commitment.json and
// evm/deployment.json, i.e. its verifier deployed with `zkinfer deploy-evm`).
import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Hex } from "viem";
import {
  decodeOutputs,
  deployRegistry,
  hashesOf,
  type ParsedProof,
  type SubmitResult,
  ZkinferClient,
} from "../index.js";
import { connect, loadModelDir, readProof } from "../node.js";

const rpc = process.env.ZKINFER_RPC;
const key = process.env.ZKINFER_PRIVATE_KEY as Hex | undefined;
const modelDir = process.env.ZKINFER_MODEL_DIR;
const skip =
  rpc === undefined
    ? "ZKINFER_RPC is not set: chain tests skipped (set ZKINFER_RPC, ZKINFER_PRIVATE_KEY, ZKINFER_MODEL_DIR)"
    : false;

function refusedAs(r: SubmitResult, name: string): asserts r is Extract<SubmitResult, { accepted: false }> {
  assert.equal(r.accepted, false, `expected a refusal (${name}), got ${JSON.stringify(r, bigints)}`);
  if (r.accepted) return;
  assert.equal(r.error.name, name, r.reason);
  assert.ok(r.reason.startsWith(`${name}: `), r.reason);
}

const bigints = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

test("registry, log and client against a chain", { skip }, async (t) => {
  assert.ok(key, "ZKINFER_PRIVATE_KEY must be set with ZKINFER_RPC");
  assert.ok(modelDir, "ZKINFER_MODEL_DIR must be set with ZKINFER_RPC");
  const { publicClient, walletClient } = connect(rpc as string, key);
  const dir = loadModelDir(modelDir);
  assert.ok(dir.verifier, `${modelDir}/evm/deployment.json is missing: deploy the verifier with zkinfer deploy-evm`);
  assert.ok(dir.proof, `${modelDir}/proof.json is missing`);
  const proof: ParsedProof = dir.proof;

  const deployment = await deployRegistry(walletClient, publicClient);
  assert.ok(deployment.gas > 0n);
  console.log(`registry ${deployment.registry}, log ${deployment.log}, deploy gas ${deployment.gas}`);
  const client = new ZkinferClient({ publicClient, walletClient, registry: deployment.registry });
  assert.equal((await client.inferenceLog()).toLowerCase(), deployment.log.toLowerCase());

  let modelId = 0n;
  await t.test("register the model, then read it back", async () => {
    const r = await client.register({
      commitment: dir.commitment.value,
      kind: dir.commitment.kind,
      verifier: dir.verifier as Hex,
      layout: dir.layout,
      metadataURI: dir.metadataURI,
    });
    assert.ok(r.accepted, r.accepted ? "" : r.reason);
    assert.equal(r.modelId, 1n);
    assert.ok(r.gas > 0n);
    console.log(`register gas ${r.gas}`);
    modelId = r.modelId;
    const m = await client.model(modelId);
    assert.equal(m.commitment, dir.commitment.value);
    assert.equal(m.kind, dir.commitment.kind);
    assert.equal(m.verifier.toLowerCase(), dir.verifier?.toLowerCase());
    assert.equal(m.owner.toLowerCase(), walletClient.account?.address.toLowerCase());
    assert.equal(m.deprecated, false);
    assert.deepEqual(m.layout, dir.layout);
    assert.deepEqual(m.metadata, dir.metadata);
    assert.equal(await client.modelIdOf(dir.commitment.value), modelId);
    assert.deepEqual(
      (await client.models()).map((x) => x.id),
      [modelId],
    );
  });

  await t.test("registering twice is refused, not thrown", async () => {
    const r = await client.register({
      commitment: dir.commitment.value,
      kind: dir.commitment.kind,
      verifier: dir.verifier as Hex,
      layout: dir.layout,
      metadataURI: dir.metadataURI,
    });
    assert.equal(r.accepted, false);
    if (r.accepted) return;
    assert.equal(r.error.name, "AlreadyRegistered", r.reason);
    assert.equal(r.error.fields.modelId, modelId);
    assert.equal(r.error.fields.commitment, dir.commitment.value);
    assert.equal(await client.modelCount(), 1n);
  });

  await t.test("a layout the verifier does not take is refused", async () => {
    const r = await client.register({
      commitment: `0x${"11".repeat(32)}`,
      kind: dir.commitment.kind,
      verifier: dir.verifier as Hex,
      layout: { ...dir.layout, numInstances: dir.layout.numInstances + 1 },
      metadataURI: dir.metadataURI,
    });
    assert.equal(r.accepted, false);
    if (r.accepted) return;
    // A Fixed model's made-up commitment also fails the key check (the order is the contract's).
    const want =
      dir.commitment.kind === "fixed" ? ["InstanceCountMismatch", "CommitmentMismatch"] : ["InstanceCountMismatch"];
    assert.ok(want.includes(r.error.name), r.reason);
    assert.equal(await client.modelCount(), 1n);
  });

  await t.test("submit proof.json: logged, decoded exactly, queryable", async () => {
    const r = await client.submit(modelId, proof);
    assert.ok(r.accepted, r.accepted ? "" : r.reason);
    assert.ok(r.gas > 0n);
    console.log(`submit gas ${r.gas}`);
    assert.equal(r.entryId, 1n);
    const { inputHash, outputHash } = hashesOf(dir.layout, proof.instances);
    assert.equal(r.entry.modelId, modelId);
    assert.equal(r.entry.inputHash, inputHash);
    assert.equal(r.entry.outputHash, outputHash);
    assert.equal(r.entry.submitter.toLowerCase(), walletClient.account?.address.toLowerCase());
    assert.ok(r.entry.blockNumber > 0n);
    const m = await client.model(modelId);
    assert.ok(m.metadata);
    assert.deepEqual(decodeOutputs(r.entry.outputs, m.metadata), proof.outputs);
    assert.ok(Object.keys(proof.outputs).length > 0 || dir.layout.outputCount <= 1);
    assert.equal(await client.isVerified(modelId, inputHash, outputHash), true);
    assert.equal(await client.isVerified(modelId, inputHash, inputHash), false);
    assert.deepEqual(
      (await client.entries({ modelId })).map((e) => e.id),
      [1n],
    );
    assert.deepEqual(
      (await client.entries({ inputHash })).map((e) => e.id),
      [1n],
    );
    assert.deepEqual((await client.entries({ modelId, inputHash }))[0], r.entry);
    assert.deepEqual(await client.entries(), [r.entry]);
    assert.deepEqual(await client.entries({ modelId: modelId + 1n }), []);
  });

  await t.test("a proof for model B's weights against A's id is refused, nothing stored", async (st) => {
    const path = join(modelDir, "proof-b.json");
    if (!existsSync(path)) {
      st.skip(`no ${path}`);
      return;
    }
    const b = readProof(path);
    const before = await client.entryCount();
    const r = await client.submit(modelId, b);
    refusedAs(r, "NotBoundToModel");
    assert.equal(r.error.fields.modelId, modelId);
    assert.equal(r.error.fields.registered, dir.commitment.value);
    assert.equal(r.error.fields.proven, b.commitment?.value);
    assert.equal(await client.entryCount(), before);
  });

  await t.test("a tampered proof is rejected, nothing stored", async () => {
    const bytes = proof.proof.slice(2);
    const mid = Math.floor(bytes.length / 4) * 2; // a byte boundary in the middle
    const flipped = (parseInt(bytes.slice(mid, mid + 2), 16) ^ 0x01).toString(16).padStart(2, "0");
    const tampered: ParsedProof = { ...proof, proof: `0x${bytes.slice(0, mid)}${flipped}${bytes.slice(mid + 2)}` };
    const before = await client.entryCount();
    const r = await client.submit(modelId, tampered);
    refusedAs(r, "ProofRejected");
    assert.equal(r.error.fields.modelId, modelId);
    assert.equal(await client.entryCount(), before);
  });

  await t.test("unknown model and wrong instance count are refused", async () => {
    refusedAs(await client.submit(99n, proof), "UnknownModel");
    refusedAs(await client.submit(modelId, { ...proof, instances: proof.instances.slice(1) }), "WrongInstanceCount");
    assert.equal(await client.entryCount(), 1n);
  });

  await t.test("deprecate: owner only, once; the log then refuses the model", async () => {
    // anvil's second dev account (public key material, funded on every anvil chain).
    const other = connect(rpc as string, "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    const stranger = new ZkinferClient({ publicClient, walletClient: other.walletClient, registry: deployment.registry });
    const notOwner = await stranger.deprecate(modelId);
    assert.equal(notOwner.accepted, false);
    if (!notOwner.accepted) assert.equal(notOwner.error.name, "NotOwner", notOwner.reason);
    const ok = await client.deprecate(modelId);
    assert.ok(ok.accepted, JSON.stringify(ok, bigints));
    assert.equal((await client.model(modelId)).deprecated, true);
    const again = await client.deprecate(modelId);
    assert.equal(again.accepted, false);
    if (!again.accepted) assert.equal(again.error.name, "AlreadyDeprecated", again.reason);
    refusedAs(await client.submit(modelId, proof), "ModelIsDeprecated");
    assert.equal(await client.entryCount(), 1n, "entries stay; nothing new is stored");
  });
});
