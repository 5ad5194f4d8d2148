// @zkinfer/client/node: Node-only helpers (files on disk, clients from an RPC URL and a key).
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { type Address, createPublicClient, createWalletClient, getAddress, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AnyPublicClient, AnyWalletClient } from "./client.js";
import { ZkinferError } from "./errors.js";
import {
  type CommitmentKindName,
  commitmentKindFromSettings,
  type InstanceLayout,
  layoutFromSettings,
  type ZkinferSettings,
} from "./layout.js";
import { buildMetadataURI, type ModelMetadata, metadataFromSettings } from "./metadata.js";
import { type ParsedProof, parseProof } from "./proof.js";

/** A model directory (what `zkinfer compile --evm` and `zkinfer prove --evm` write), loaded. */
export interface ModelDir {
  /** The directory, resolved. */
  dir: string;
  /** settings.json. */
  settings: ZkinferSettings;
  /** commitment.json's kind and value: what to register. */
  commitment: { kind: CommitmentKindName; value: Hex };
  /** The instance layout to register (see `layoutFromSettings`). */
  layout: InstanceLayout;
  /** The metadata to register: name from settings (or the directory's name), outputs with scales. */
  metadata: ModelMetadata;
  /** `buildMetadataURI(metadata)`. */
  metadataURI: string;
  /** The deployed verifier from evm/deployment.json, or `null` when not deployed. */
  verifier: Address | null;
  /** The chain id evm/deployment.json records, or `null`. */
  chainId: number | null;
  /** proof.json, parsed, or `null` when the directory has none. */
  proof: ParsedProof | null;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ZkinferError("settings", `cannot read ${path}: ${(e as Error).message}`, { path });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ZkinferError("settings", `${path} is not JSON: ${(e as Error).message}`, { path });
  }
}

/** Reads and parses a proof.json file. */
export function readProof(path: string): ParsedProof {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ZkinferError("proof-format", `cannot read ${path}: ${(e as Error).message}`, { path });
  }
  return parseProof(text);
}

/**
 * Loads a model directory: settings.json and commitment.json (required), evm/deployment.json
 * and proof.json (when present). The metadata's name is `opts.name`, else settings.json's
 * `name`, else the directory's name. Throws when the commitment's kind disagrees with the
 * settings' parameter visibility.
 */
export function loadModelDir(dir: string, opts: { name?: string } = {}): ModelDir {
  const root = resolve(dir);
  const settings = readJson(join(root, "settings.json")) as ZkinferSettings;
  const layout = layoutFromSettings(settings);
  const kind = commitmentKindFromSettings(settings);
  const c = readJson(join(root, "commitment.json")) as { kind?: unknown; value?: unknown; vk_sha256?: unknown };
  if (c.kind !== kind || typeof c.value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(c.value)) {
    throw new ZkinferError(
      "settings",
      `${join(root, "commitment.json")}: expected {"kind": "${kind}", "value": 0x + 64 hex digits}`,
      { kind: c.kind },
    );
  }
  const vkSha256 =
    typeof c.vk_sha256 === "string"
      ? c.vk_sha256
      : createHash("sha256")
          .update(readFileSync(join(root, "vk.bin")))
          .digest("hex");
  const name = opts.name ?? (typeof settings.name === "string" ? settings.name : basename(root));
  const proofPath = join(root, "proof.json");
  const proof = existsSync(proofPath) ? readProof(proofPath) : null;
  // proof.json says whether the key came from the insecure local SRS (vk.bin records it).
  const insecureSrs = proof?.insecureSrs === true;
  const metadata = metadataFromSettings(settings, { name, vkSha256, kind, insecureSrs });
  let verifier: Address | null = null;
  let chainId: number | null = null;
  const deployment = join(root, "evm", "deployment.json");
  if (existsSync(deployment)) {
    const d = readJson(deployment) as { address?: unknown; chain_id?: unknown };
    if (typeof d.address !== "string") throw new ZkinferError("settings", `${deployment} has no "address"`);
    verifier = getAddress(d.address);
    chainId = typeof d.chain_id === "number" ? d.chain_id : null;
  }
  return {
    dir: root,
    settings,
    commitment: { kind, value: c.value.toLowerCase() as Hex },
    layout,
    metadata,
    metadataURI: buildMetadataURI(metadata),
    verifier,
    chainId,
    proof,
  };
}

/**
 * A public client and a wallet client (local account from `privateKey`) on the RPC at `rpc`.
 * `pollingInterval` (ms, default 250) is how often receipts are polled.
 */
export function connect(
  rpc: string,
  privateKey: Hex,
  opts: { pollingInterval?: number } = {},
): { publicClient: AnyPublicClient; walletClient: AnyWalletClient } {
  const transport = http(rpc);
  const pollingInterval = opts.pollingInterval ?? 250;
  const account = privateKeyToAccount(privateKey);
  return {
    publicClient: createPublicClient({ transport, pollingInterval }),
    walletClient: createWalletClient({ account, transport, pollingInterval }),
  };
}
