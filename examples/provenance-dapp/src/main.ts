// The provenance page: reads the model registry and the verified-inference log of one
// ModelRegistry address, and submits proof.json files to the log. No framework: a few
// render functions over plain DOM elements (ids and data-testid are stable, the e2e test
// in e2e/run.mjs drives them).
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  http,
  isAddress,
  type Chain,
  type EIP1193Provider,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  ZkinferClient,
  decodeOutputs,
  parseProof,
  type AnyPublicClient,
  type AnyWalletClient,
  type LogEntry,
  type ParsedProof,
  type RegisteredModel,
} from '@zkinfer/client';

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
};

const rpcInput = $<HTMLInputElement>('rpc');
const registryInput = $<HTMLInputElement>('registry');
const statusEl = $('status');
const modelsBody = $('models-body');
const entriesBody = $('entries-body');
const devKeyInput = $<HTMLInputElement>('dev-key');
const signerAddress = $('signer-address');
const dropZone = $('drop-zone');
const fileInput = $<HTMLInputElement>('proof-file');
const proofSummary = $('proof-summary');
const modelSelect = $<HTMLSelectElement>('model-select');
const submitButton = $<HTMLButtonElement>('submit');
const resultEl = $('result');
const historyEl = $('history');

/** What the page holds between renders. */
interface State {
  rpc: string;
  chain?: Chain;
  publicClient?: AnyPublicClient;
  client?: ZkinferClient;
  models: RegisteredModel[];
  proof?: { fileName: string; parsed: ParsedProof; summary: string };
}

const state: State = { rpc: '', models: [] };

// ---------- formatting ----------

const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex);

function codeCell(full: string, testid?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  const code = document.createElement('code');
  code.textContent = short(full);
  code.title = full;
  code.dataset.value = full;
  if (testid) code.dataset.testid = testid;
  td.append(code);
  return td;
}

function textCell(text: string, testid?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (testid) td.dataset.testid = testid;
  return td;
}

const modelName = (m: RegisteredModel | undefined): string => m?.metadata?.name ?? '(no metadata)';

/**
 * An entry's outputs as one "name: v, v, …" line per output: the raw field elements
 * dequantized with the scales in the model's metadata (the same numbers as proof.json).
 */
function formatOutputs(raw: readonly bigint[], model: RegisteredModel | undefined): string {
  const meta = model?.metadata;
  if (!meta) return `${raw.join(', ')} (raw field elements: the model has no zkinfer metadata)`;
  if (meta.outputs.some((o) => o.hashed)) return `hashed: ${raw.map((x) => `0x${x.toString(16)}`).join(', ')}`;
  try {
    const decoded = decodeOutputs(raw, meta);
    return Object.entries(decoded)
      .map(([name, t]) => `${name}: ${t.data.join(', ')}`)
      .join('\n');
  } catch (e) {
    return `${raw.join(', ')} (cannot decode: ${errText(e)})`;
  }
}

function errText(e: unknown): string {
  if (e && typeof e === 'object' && 'shortMessage' in e) return String((e as any).shortMessage);
  return e instanceof Error ? e.message : String(e);
}

function setStatus(text: string, error = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle('error', error);
}

type ResultStatus = '' | 'pending' | 'accepted' | 'rejected' | 'error';

function setResult(status: ResultStatus, text: string): void {
  for (const k of ['entryId', 'gas', 'error']) delete resultEl.dataset[k];
  resultEl.dataset.status = status;
  resultEl.textContent = text;
}

/** Shows the outcome of a submission and keeps it, newest first, in the history below. */
function showOutcome(status: ResultStatus, text: string, fileName: string): void {
  setResult(status, text);
  const li = document.createElement('li');
  li.dataset.status = status;
  li.textContent = `${fileName}: ${text}`;
  historyEl.prepend(li);
}

// ---------- chain ----------

async function connect(): Promise<void> {
  const rpc = rpcInput.value.trim();
  const registry = registryInput.value.trim();
  const url = new URL(location.href);
  url.searchParams.set('rpc', rpc);
  url.searchParams.set('registry', registry);
  history.replaceState(null, '', url);
  if (!rpc || !isAddress(registry)) {
    setStatus('Enter an RPC URL and a registry address (0x…, 20 bytes).', true);
    return;
  }
  setStatus(`Connecting to ${rpc}…`);
  try {
    const probe = createPublicClient({ transport: http(rpc) });
    const chainId = await probe.getChainId();
    state.rpc = rpc;
    state.chain = defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
      rpcUrls: { default: { http: [rpc] } },
    });
    state.publicClient = createPublicClient({ chain: state.chain, transport: http(rpc) });
    state.client = new ZkinferClient({ publicClient: state.publicClient, registry });
    await refresh();
    setStatus(`Chain ${chainId}, registry ${registry}: ${state.models.length} model(s).`);
  } catch (e) {
    state.client = undefined;
    setStatus(`Could not read the registry: ${errText(e)}`, true);
  }
  updateSubmit();
}

async function refresh(): Promise<void> {
  const client = state.client;
  if (!client) return;
  state.models = await client.models();
  renderModels();
  renderModelSelect();
  renderEntries(await client.entries());
}

// ---------- rendering ----------

function emptyRow(body: HTMLElement, cols: number, text: string): void {
  const tr = document.createElement('tr');
  tr.className = 'empty';
  const td = textCell(text);
  td.colSpan = cols;
  tr.append(td);
  body.replaceChildren(tr);
}

function renderModels(): void {
  if (state.models.length === 0) return emptyRow(modelsBody, 7, 'no models registered');
  modelsBody.replaceChildren(
    ...state.models.map((m) => {
      const tr = document.createElement('tr');
      tr.dataset.testid = 'model-row';
      tr.dataset.modelId = String(m.id);
      tr.append(
        textCell(String(m.id), 'model-id'),
        textCell(modelName(m), 'model-name'),
        textCell(m.metadata?.insecureSrs ? `${m.kind} (INSECURE SRS: forgeable)` : m.kind, 'model-kind'),
        codeCell(m.commitment, 'model-commitment'),
        codeCell(m.verifier, 'model-verifier'),
        codeCell(m.owner, 'model-owner'),
        textCell(m.deprecated ? 'yes' : 'no', 'model-deprecated'),
      );
      return tr;
    }),
  );
}

function renderModelSelect(): void {
  const previous = modelSelect.value;
  modelSelect.replaceChildren(
    ...state.models.map((m) => {
      const opt = document.createElement('option');
      opt.value = String(m.id);
      opt.textContent = `#${m.id} ${modelName(m)} (${m.kind}${m.deprecated ? ', deprecated' : ''})`;
      return opt;
    }),
  );
  if (state.models.some((m) => String(m.id) === previous)) modelSelect.value = previous;
  preselectModel();
}

function renderEntries(entries: LogEntry[]): void {
  if (entries.length === 0) return emptyRow(entriesBody, 6, 'no verified inferences yet');
  const byId = new Map(state.models.map((m) => [m.id, m]));
  const newestFirst = [...entries].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  entriesBody.replaceChildren(
    ...newestFirst.map((e) => {
      const model = byId.get(e.modelId);
      const tr = document.createElement('tr');
      tr.dataset.testid = 'entry-row';
      tr.dataset.entryId = String(e.id);
      const outputs = textCell(formatOutputs(e.outputs, model), 'entry-outputs');
      outputs.className = 'outputs';
      tr.append(
        textCell(String(e.id), 'entry-id'),
        textCell(`#${e.modelId} ${modelName(model)}`, 'entry-model'),
        codeCell(e.inputHash, 'entry-input-hash'),
        outputs,
        codeCell(e.submitter, 'entry-submitter'),
        textCell(String(e.blockNumber), 'entry-block'),
      );
      return tr;
    }),
  );
}

// ---------- proof file ----------

async function loadProofFile(file: File): Promise<void> {
  setResult('', '');
  try {
    const parsed = parseProof(await file.text()); // refuses non-Keccak (non-EVM) proofs
    const c = parsed.commitment;
    const summary =
      `${file.name}: ${parsed.instances.length} instances` +
      (c ? `, commitment ${c.kind} ${c.value}` : ', bound to no weights');
    state.proof = { fileName: file.name, parsed, summary };
    proofSummary.textContent = summary;
    proofSummary.classList.remove('error');
    preselectModel();
  } catch (e) {
    state.proof = undefined;
    delete proofSummary.dataset.match;
    proofSummary.textContent = `${file.name}: ${errText(e)}`;
    proofSummary.classList.add('error');
  }
  updateSubmit();
}

/** Selects the model whose commitment is the proof's `commitment.value`, if one is registered. */
function preselectModel(): void {
  if (!state.proof) return;
  const value = state.proof.parsed.commitment?.value.toLowerCase();
  const match = value ? state.models.find((m) => m.commitment.toLowerCase() === value) : undefined;
  if (match) {
    modelSelect.value = String(match.id);
    proofSummary.dataset.match = String(match.id);
    proofSummary.textContent = `${state.proof.summary} (model #${match.id} has this commitment)`;
  } else {
    delete proofSummary.dataset.match;
    proofSummary.textContent = `${state.proof.summary} (no registered model has this commitment)`;
  }
}

// ---------- signing and submitting ----------

async function walletClient(): Promise<AnyWalletClient> {
  const chain = state.chain;
  if (window.ethereum) {
    const [account] = await window.ethereum.request({ method: 'eth_requestAccounts' });
    if (!account) throw new Error('the injected wallet gave no account');
    signerAddress.textContent = account;
    return createWalletClient({ account, chain, transport: custom(window.ethereum) });
  }
  const key = devKeyInput.value.trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new Error('enter a dev private key (0x + 64 hex digits)');
  return createWalletClient({ account: privateKeyToAccount(key as `0x${string}`), chain, transport: http(state.rpc) });
}

function updateSignerAddress(): void {
  if (window.ethereum) return;
  const key = devKeyInput.value.trim();
  signerAddress.textContent = /^0x[0-9a-fA-F]{64}$/.test(key) ? privateKeyToAccount(key as `0x${string}`).address : 'none';
}

function updateSubmit(): void {
  submitButton.disabled = !(state.client && state.proof && modelSelect.value);
}

async function submit(): Promise<void> {
  if (!state.client || !state.proof || !state.publicClient) return;
  const modelId = BigInt(modelSelect.value);
  const { fileName } = state.proof;
  submitButton.disabled = true;
  setResult('pending', `submitting ${fileName} to model #${modelId}…`);
  try {
    const wallet = await walletClient();
    const client = new ZkinferClient({
      publicClient: state.publicClient,
      walletClient: wallet,
      registry: state.client.registry,
    });
    const r = await client.submit(modelId, state.proof.parsed);
    if (r.accepted) {
      showOutcome('accepted', `accepted: entry #${r.entryId}, gas ${r.gas}, tx ${r.txHash}`, fileName);
      resultEl.dataset.entryId = String(r.entryId);
      resultEl.dataset.gas = String(r.gas);
      await refresh().catch((e) => setStatus(`Recorded, but could not reread the log: ${errText(e)}`, true));
    } else {
      const { name } = r.error;
      showOutcome('rejected', `rejected: ${r.reason}${r.reason.includes(name) ? '' : ` (${name})`}`, fileName);
      resultEl.dataset.error = name;
    }
  } catch (e) {
    showOutcome('error', `error: ${errText(e)}`, fileName);
  } finally {
    updateSubmit();
  }
}

// ---------- wiring ----------

function init(): void {
  const params = new URLSearchParams(location.search);
  rpcInput.value = params.get('rpc') ?? 'http://127.0.0.1:8545';
  registryInput.value = params.get('registry') ?? '';
  $('signer-injected').hidden = !window.ethereum;
  $('signer-devkey').hidden = Boolean(window.ethereum);

  $('config-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    void connect();
  });
  $('connect').addEventListener('click', () => void walletClient().catch((e) => setResult('error', `error: ${errText(e)}`)));
  $('signer-devkey').addEventListener('submit', (ev) => ev.preventDefault());
  devKeyInput.addEventListener('input', updateSignerAddress);
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void loadProofFile(file);
    fileInput.value = ''; // choosing the same file again fires "change" again
  });
  dropZone.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    dropZone.classList.add('over');
  });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
  dropZone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    dropZone.classList.remove('over');
    const file = ev.dataTransfer?.files?.[0];
    if (file) void loadProofFile(file);
  });
  modelSelect.addEventListener('change', updateSubmit);
  submitButton.addEventListener('click', () => void submit());

  if (registryInput.value) void connect();
}

init();
