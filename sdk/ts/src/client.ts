// The on-chain side: deploy the registry (and its log), register models, submit proofs, read
// the log. Contract refusals come back as values (`accepted: false`), never as exceptions.
import {
  type Abi,
  type Account,
  type Address,
  type Chain,
  decodeErrorResult,
  type Hash,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
  getAbiItem,
  parseEventLogs,
} from "viem";
import { inferenceLogAbi, modelRegistryAbi, modelRegistryBytecode, zkinferErrorsAbi } from "./abi.js";
import { ZkinferError } from "./errors.js";
import { type CommitmentKindName, commitmentKindIndex, commitmentKindName, type InstanceLayout } from "./layout.js";
import { type ModelMetadata, parseMetadataURI } from "./metadata.js";
import { type ParsedProof, parseProof } from "./proof.js";
import { describeRefusal } from "./refusal.js";

/** A viem public client (this package's copy of viem), as used inside. */
export type AnyPublicClient = PublicClient<Transport, Chain | undefined>;
/** A viem wallet client (this package's copy of viem), as used inside. */
export type AnyWalletClient = WalletClient<Transport, Chain | undefined, Account | undefined>;

/**
 * Any viem public client, also one made by another copy of viem (e.g. a dApp's own): only
 * the methods used are named, so two copies' deep generic types never have to agree.
 */
export interface PublicClientLike {
  readContract(args: never): Promise<unknown>;
  simulateContract(args: never): Promise<unknown>;
  waitForTransactionReceipt(args: never): Promise<unknown>;
}

/** Any viem wallet client (see {@link PublicClientLike}); it must carry an account to send. */
export interface WalletClientLike {
  account?: { address: Address; type: string } | undefined;
  chain?: { id: number } | undefined;
  writeContract(args: never): Promise<Hash>;
  deployContract(args: never): Promise<Hash>;
}

const asPublic = (c: PublicClientLike) => c as unknown as AnyPublicClient;
const asWallet = (c: WalletClientLike | undefined) => c as unknown as AnyWalletClient | undefined;

/** A custom error the contracts reverted with, decoded by name from their ABI. */
export interface ContractRefusal {
  /** The Solidity error's name (e.g. "NotBoundToModel"), or "Reverted" without error data. */
  name: string;
  /** Its arguments in declaration order. */
  args: readonly unknown[];
  /** The same arguments by parameter name. */
  fields: Record<string, unknown>;
}

/** A transaction the contracts refused: nothing was sent (the simulation reverted). */
export interface Refused {
  accepted: false;
  /** The decoded custom error. */
  error: ContractRefusal;
  /** A sentence saying why, for people. */
  reason: string;
}

/** The outcome of {@link ZkinferClient.register}. */
export type RegisterResult = { accepted: true; modelId: bigint; gas: bigint; txHash: Hash } | Refused;

/** The outcome of {@link ZkinferClient.submit}. */
export type SubmitResult = { accepted: true; entryId: bigint; entry: LogEntry; gas: bigint; txHash: Hash } | Refused;

/** A registered model as the registry stores it, with its parsed metadata. */
export interface RegisteredModel {
  /** The model id (1, 2, …). */
  id: bigint;
  /** The commitment to its weights. */
  commitment: Hex;
  /** How the commitment binds proofs. */
  kind: CommitmentKindName;
  /** The model's verifier contract. */
  verifier: Address;
  /** Who registered it. */
  owner: Address;
  /** Deprecated models take no submissions. */
  deprecated: boolean;
  /** Block of registration. */
  registeredBlock: bigint;
  /** Where input, outputs and parameter hash sit among the instances. */
  layout: InstanceLayout;
  /** The stored metadataURI. */
  metadataURI: string;
  /** The parsed metadata, or `null` when the URI does not follow the zkinfer convention. */
  metadata: ModelMetadata | null;
}

/** One verified inference in the log. */
export interface LogEntry {
  /** The entry id (1, 2, …). */
  id: bigint;
  /** Which model produced it. */
  modelId: bigint;
  /** keccak256 of the input instances. */
  inputHash: Hex;
  /** keccak256 of the output instances. */
  outputHash: Hex;
  /** The output instances (raw field elements; see `decodeOutputs`). */
  outputs: bigint[];
  /** Who submitted the proof. */
  submitter: Address;
  /** Block it was recorded in. */
  blockNumber: bigint;
}

/** What {@link deployRegistry} deployed. */
export interface Deployment {
  /** The ModelRegistry (the one address that identifies both contracts). */
  registry: Address;
  /** The InferenceLog its constructor deployed. */
  log: Address;
  /** Gas used by the deployment. */
  gas: bigint;
  /** The deployment transaction. */
  txHash: Hash;
}

// The log's ABI with every error of both contracts, so bubbled registry errors decode too.
const logAbi = [...inferenceLogAbi, ...zkinferErrorsAbi] as const;
const registryAbi = [...modelRegistryAbi, ...zkinferErrorsAbi] as const;

function account(wallet: AnyWalletClient | undefined): { wallet: AnyWalletClient; account: Account } {
  if (wallet === undefined) throw new ZkinferError("wallet", "this call sends a transaction: pass a walletClient");
  if (wallet.account === undefined) {
    throw new ZkinferError("wallet", "the walletClient has no account (createWalletClient({account, …}))");
  }
  return { wallet, account: wallet.account };
}

/** What a viem `ContractFunctionRevertedError` carries (matched by name, not by class). */
interface RevertLike {
  name: string;
  data?: { errorName?: string; args?: readonly unknown[] };
  raw?: Hex;
  signature?: Hex;
  cause?: unknown;
}

/**
 * The decoded refusal inside a viem error, or `null` when it is not a contract revert (a
 * transport failure, an unfunded account, …). The error chain is walked by error name, not
 * `instanceof`, so clients made by another copy of viem (e.g. a dApp's own) work too.
 */
export function refusalOf(e: unknown, abi: Abi = zkinferErrorsAbi as unknown as Abi): ContractRefusal | null {
  let revert: RevertLike | undefined;
  let x = e as RevertLike | undefined;
  for (let depth = 0; depth < 32 && typeof x === "object" && x !== null; depth++) {
    if (x.name === "ContractFunctionRevertedError") {
      revert = x;
      break;
    }
    x = x.cause as RevertLike | undefined;
  }
  if (revert === undefined) return null;
  let data = revert.data;
  if (data === undefined && revert.raw !== undefined && revert.raw !== "0x") {
    try {
      data = decodeErrorResult({ abi, data: revert.raw });
    } catch {
      // not one of ours: named by its selector below
    }
  }
  // No data: a bare revert (out of gas); data outside the ABI: named by its selector.
  const name = data?.errorName ?? revert.signature ?? "Reverted";
  const args = data?.args ?? [];
  const fields: Record<string, unknown> = {};
  const item = data ? getAbiItem({ abi, name }) : undefined;
  if (item !== undefined && item.type === "error") {
    item.inputs.forEach((input, i) => {
      fields[input.name ?? String(i)] = args[i];
    });
  }
  return { name, args, fields };
}

function refused(error: ContractRefusal): Refused {
  return { accepted: false, error, reason: describeRefusal(error) };
}

/** A contract write, as {@link simulateThenSend} takes it. */
interface WriteCall {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  account: Account;
}

/**
 * Simulates `call`: a refusal comes back (nothing is sent); otherwise sends it from the
 * wallet and waits for the receipt. A transaction that reverts after a passing simulation
 * (the chain changed in between) is a "Reverted" refusal; that transaction was sent.
 */
async function simulateThenSend(
  publicClient: AnyPublicClient,
  wallet: AnyWalletClient,
  call: WriteCall,
): Promise<Refused | { receipt: TransactionReceipt; txHash: Hash }> {
  try {
    await publicClient.simulateContract(call as Parameters<AnyPublicClient["simulateContract"]>[0]);
  } catch (e) {
    const r = refusalOf(e);
    if (r) return refused(r);
    throw e;
  }
  const txHash = await wallet.writeContract({ ...call, chain: wallet.chain ?? null } as Parameters<
    AnyWalletClient["writeContract"]
  >[0]);
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") return refused({ name: "Reverted", args: [], fields: { txHash } });
  return { receipt, txHash };
}

/**
 * Deploys a ModelRegistry (whose constructor deploys its InferenceLog) from the wallet's
 * account and waits for it.
 */
export async function deployRegistry(
  walletClient: WalletClientLike,
  publicClientLike: PublicClientLike,
): Promise<Deployment> {
  const publicClient = asPublic(publicClientLike);
  const { wallet, account: from } = account(asWallet(walletClient));
  const txHash = await wallet.deployContract({
    abi: modelRegistryAbi,
    bytecode: modelRegistryBytecode,
    account: from,
    chain: wallet.chain ?? null,
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new ZkinferError("receipt", `ModelRegistry deployment ${txHash} failed`, { txHash });
  }
  const registry = receipt.contractAddress;
  const log = await publicClient.readContract({
    address: registry,
    abi: modelRegistryAbi,
    functionName: "inferenceLog",
  });
  return { registry, log, gas: receipt.gasUsed, txHash };
}

/** Options of {@link ZkinferClient}. */
export interface ZkinferClientOptions {
  /** Reads and simulations go through it. */
  publicClient: PublicClientLike;
  /** Needed only to register and submit. */
  walletClient?: WalletClientLike;
  /** The ModelRegistry address. */
  registry: Address;
}

/** Reads and writes one zkinfer registry and its inference log. */
export class ZkinferClient {
  /** The ModelRegistry address. */
  readonly registry: Address;
  private readonly publicClient: AnyPublicClient;
  private readonly walletClient: AnyWalletClient | undefined;
  private logAddress: Promise<Address> | undefined;

  constructor(opts: ZkinferClientOptions) {
    this.publicClient = asPublic(opts.publicClient);
    this.walletClient = asWallet(opts.walletClient);
    this.registry = opts.registry;
  }

  /** The InferenceLog's address (read once from the registry). */
  inferenceLog(): Promise<Address> {
    this.logAddress ??= this.publicClient.readContract({
      address: this.registry,
      abi: modelRegistryAbi,
      functionName: "inferenceLog",
    });
    return this.logAddress;
  }

  /**
   * Registers a model. Simulates first: a refusal (AlreadyRegistered, CommitmentMismatch,
   * BadLayout, …) comes back as `{accepted: false}` and nothing is sent.
   */
  async register(args: {
    commitment: Hex;
    kind: CommitmentKindName;
    verifier: Address;
    layout: InstanceLayout;
    metadataURI: string;
  }): Promise<RegisterResult> {
    const { wallet, account: from } = account(this.walletClient);
    const sent = await simulateThenSend(this.publicClient, wallet, {
      address: this.registry,
      abi: registryAbi,
      functionName: "register",
      args: [args.commitment, commitmentKindIndex(args.kind), args.verifier, args.layout, args.metadataURI],
      account: from,
    });
    if ("accepted" in sent) return sent;
    const { receipt, txHash } = sent;
    const [event] = parseEventLogs({ abi: modelRegistryAbi, logs: receipt.logs, eventName: "ModelRegistered" });
    if (event === undefined) {
      throw new ZkinferError("receipt", `register transaction ${txHash} emitted no ModelRegistered`, { txHash });
    }
    return { accepted: true, modelId: event.args.modelId, gas: receipt.gasUsed, txHash };
  }

  /**
   * Deprecates model `modelId` (its owner only): the log refuses new proofs for it, its
   * entries stay. Simulates first: UnknownModel, NotOwner and AlreadyDeprecated come back as
   * `{accepted: false}` and nothing is sent.
   */
  async deprecate(modelId: bigint): Promise<{ accepted: true; gas: bigint; txHash: Hash } | Refused> {
    const { wallet, account: from } = account(this.walletClient);
    const sent = await simulateThenSend(this.publicClient, wallet, {
      address: this.registry,
      abi: registryAbi,
      functionName: "deprecate",
      args: [modelId],
      account: from,
    });
    if ("accepted" in sent) return sent;
    return { accepted: true, gas: sent.receipt.gasUsed, txHash: sent.txHash };
  }

  /** The model registered as `id` (throws for an unknown id). */
  async model(id: bigint): Promise<RegisteredModel> {
    const m = await this.publicClient.readContract({
      address: this.registry,
      abi: modelRegistryAbi,
      functionName: "model",
      args: [id],
    });
    let metadata: ModelMetadata | null = null;
    try {
      metadata = parseMetadataURI(m.metadataURI);
    } catch {
      // a URI outside the convention: shown raw
    }
    return {
      id,
      commitment: m.commitment,
      kind: commitmentKindName(m.kind),
      verifier: m.verifier,
      owner: m.owner,
      deprecated: m.deprecated,
      registeredBlock: m.registeredBlock,
      layout: { ...m.layout },
      metadataURI: m.metadataURI,
      metadata,
    };
  }

  /** The number of registered models. */
  modelCount(): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.registry,
      abi: modelRegistryAbi,
      functionName: "modelCount",
    });
  }

  /** The id of the model registered with `commitment`, or 0n. */
  modelIdOf(commitment: Hex): Promise<bigint> {
    return this.publicClient.readContract({
      address: this.registry,
      abi: modelRegistryAbi,
      functionName: "modelIdOf",
      args: [commitment],
    });
  }

  /** Every registered model, by id. */
  async models(): Promise<RegisteredModel[]> {
    const n = await this.modelCount();
    const ids = Array.from({ length: Number(n) }, (_, i) => BigInt(i + 1));
    return Promise.all(ids.map((id) => this.model(id)));
  }

  /**
   * Submits proof.json (text, object, or {@link parseProof}'s result) for `modelId`.
   * Simulates first: a refusal (ProofRejected, NotBoundToModel, WrongInstanceCount, …) comes
   * back as `{accepted: false}` and nothing is sent. Throws only for a malformed proof.json
   * (`ZkinferError`) or a transport failure.
   */
  async submit(modelId: bigint, proofJson: string | object | ParsedProof): Promise<SubmitResult> {
    const p = isParsed(proofJson) ? proofJson : parseProof(proofJson);
    const { wallet, account: from } = account(this.walletClient);
    const log = await this.inferenceLog();
    const sent = await simulateThenSend(this.publicClient, wallet, {
      address: log,
      abi: logAbi,
      functionName: "submit",
      args: [modelId, p.proof, p.instances],
      account: from,
    });
    if ("accepted" in sent) return sent;
    const { receipt, txHash } = sent;
    const events = parseEventLogs({ abi: inferenceLogAbi, logs: receipt.logs, eventName: "InferenceVerified" });
    const event = events.find((ev) => ev.address.toLowerCase() === log.toLowerCase());
    if (event === undefined) {
      throw new ZkinferError("receipt", `submit transaction ${txHash} emitted no InferenceVerified`, { txHash });
    }
    const entryId = event.args.entryId;
    return { accepted: true, entryId, entry: await this.entry(entryId), gas: receipt.gasUsed, txHash };
  }

  /** Log entry `id` (throws for an unknown id). */
  async entry(id: bigint): Promise<LogEntry> {
    const e = await this.publicClient.readContract({
      address: await this.inferenceLog(),
      abi: inferenceLogAbi,
      functionName: "entry",
      args: [id],
    });
    return {
      id,
      modelId: e.modelId,
      inputHash: e.inputHash,
      outputHash: e.outputHash,
      outputs: [...e.outputs],
      submitter: e.submitter,
      blockNumber: e.blockNumber,
    };
  }

  /** The number of log entries. */
  async entryCount(): Promise<bigint> {
    return this.publicClient.readContract({
      address: await this.inferenceLog(),
      abi: inferenceLogAbi,
      functionName: "entryCount",
    });
  }

  /** Entries of a model, of an input hash, of both (intersection), or all of them, by id. */
  async entries(filter: { modelId?: bigint; inputHash?: Hex } = {}): Promise<LogEntry[]> {
    const address = await this.inferenceLog();
    let ids: readonly bigint[] | undefined;
    if (filter.modelId !== undefined) {
      ids = await this.publicClient.readContract({
        address,
        abi: inferenceLogAbi,
        functionName: "entriesByModel",
        args: [filter.modelId],
      });
    }
    if (filter.inputHash !== undefined) {
      const byInput = await this.publicClient.readContract({
        address,
        abi: inferenceLogAbi,
        functionName: "entriesByInput",
        args: [filter.inputHash],
      });
      ids = ids === undefined ? byInput : ids.filter((id) => byInput.includes(id));
    }
    if (ids === undefined) {
      const n = await this.entryCount();
      ids = Array.from({ length: Number(n) }, (_, i) => BigInt(i + 1));
    }
    return Promise.all(ids.map((id) => this.entry(id)));
  }

  /** Whether the log holds a verified inference of `modelId` with these hashes. */
  async isVerified(modelId: bigint, inputHash: Hex, outputHash: Hex): Promise<boolean> {
    return this.publicClient.readContract({
      address: await this.inferenceLog(),
      abi: inferenceLogAbi,
      functionName: "isVerified",
      args: [modelId, inputHash, outputHash],
    });
  }
}

function isParsed(x: unknown): x is ParsedProof {
  const p = x as ParsedProof;
  return typeof p === "object" && p !== null && Array.isArray(p.instances) && typeof p.instances[0] === "bigint";
}
