// End-to-end test of the provenance page in headless Chromium (playwright-core, no
// browser download: it drives the system's /usr/bin/chromium).
//
//   ZKINFER_RPC          JSON-RPC URL of a dev chain (anvil)
//   ZKINFER_PRIVATE_KEY  a funded key on it
//   ZKINFER_MODEL_DIR    model dir: proof.json, proof-b.json (other weights, same key),
//                        settings.json, commitment.json, evm/deployment.json (deployed verifier)
//   ZKINFER_ARTIFACTS    where the screenshots go (created if missing)
//   ZKINFER_CHROMIUM     optional, the browser binary (default /usr/bin/chromium)
//
// Deploys a registry, registers the model (in node, with @zkinfer/client), builds the page
// with Vite, serves dist/ on 127.0.0.1, then in the browser: the model is listed, proof.json
// is accepted (gas, entry id) and listed with its decoded outputs, proof-b.json is rejected
// with NotBoundToModel. Exit status 0 on success, 1 on failure.
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// Dependencies load in main(), so that a missing one fails with what to do about it.
async function load(name, hint) {
  try {
    return await import(name);
  } catch (e) {
    throw new Error(`cannot load ${name} (${e.message}): ${hint}`);
  }
}
const NPM_CI = 'run `npm ci` in examples/provenance-dapp';
const SDK = 'build the client first: `cd sdk/ts && npm ci && npm run build`';
let chromium, build, ZkinferClient, deployRegistry, connect, loadModelDir;

const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OVERALL_TIMEOUT_MS = 240_000;
const UI_TIMEOUT_MS = 60_000;

const t0 = performance.now();
const timings = {};
async function timed(name, fn) {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = (performance.now() - start) / 1000;
  }
}

function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

async function readJson(path) {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${path}: ${e.message}`);
  }
}

// ---------- chain setup (node side) ----------

async function setupChain(rpc, key, modelDir) {
  const md = loadModelDir(modelDir);
  check(md.verifier, `${modelDir}/evm/deployment.json names no deployed verifier (run zkinfer deploy-evm)`);
  const { publicClient, walletClient } = connect(rpc, key);
  const chainId = await publicClient.getChainId();
  check(md.chainId === null || md.chainId === chainId, `evm/deployment.json is for chain ${md.chainId}, RPC is ${chainId}`);
  const { registry } = await deployRegistry(walletClient, publicClient);
  const client = new ZkinferClient({ publicClient, walletClient, registry });
  const reg = await client.register({
    commitment: md.commitment.value,
    kind: md.commitment.kind,
    verifier: md.verifier,
    layout: md.layout,
    metadataURI: md.metadataURI,
  });
  check(reg.accepted, `the registry refused the model: ${reg.reason}`);
  return { registry, modelId: reg.modelId, client, name: md.metadata.name };
}

// ---------- static server for dist/ ----------

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

function serve(root) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      await stat(file);
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  });
}

// ---------- the browser part ----------

/** Expected text of the outputs cell: one "name: v, v, …" line per output of proof.json. */
function expectedOutputs(proof) {
  return Object.entries(proof.outputs)
    .map(([name, o]) => `${name}: ${o.data.map(String).join(', ')}`)
    .join('\n');
}

async function waitResult(page) {
  await page.waitForFunction(
    () => ['accepted', 'rejected', 'error'].includes(document.getElementById('result')?.dataset.status ?? ''),
    undefined,
    { timeout: UI_TIMEOUT_MS },
  );
  const el = page.locator('#result');
  return { status: await el.getAttribute('data-status'), text: (await el.textContent()) ?? '' };
}

async function loadProof(page, path, name) {
  await page.setInputFiles('#proof-file', path);
  await page.waitForFunction((n) => document.getElementById('proof-summary')?.textContent?.startsWith(n), name, {
    timeout: UI_TIMEOUT_MS,
  });
}

async function browserSteps(page, ctx) {
  const { url, key, modelId, commitment, proof, modelDir, client, name: wantName } = ctx;
  const id = String(modelId);
  await page.goto(url);

  const row = page.locator(`[data-testid=model-row][data-model-id="${id}"]`);
  await row.waitFor({ timeout: UI_TIMEOUT_MS }).catch(async () => {
    throw new Error(`model #${id} is not listed; status: ${await page.locator('#status').textContent()}`);
  });
  const listed = await row.locator('[data-testid=model-commitment]').getAttribute('data-value');
  check(listed?.toLowerCase() === commitment, `model #${id} listed with commitment ${listed}, expected ${commitment}`);
  const name = (await row.locator('[data-testid=model-name]').textContent()) ?? '';
  check(name === wantName, `model #${id} is listed as "${name}", its metadata says "${wantName}"`);

  await page.fill('#dev-key', key);

  // proof.json: preselected by commitment, accepted, listed with its outputs.
  await loadProof(page, join(modelDir, 'proof.json'), 'proof.json');
  const selected = await page.locator('#model-select').inputValue();
  check(selected === id, `proof.json's commitment did not preselect model #${id} (selected "${selected}")`);
  await page.click('#submit');
  const ok = await waitResult(page);
  check(ok.status === 'accepted', `proof.json was not accepted; the page says "${ok.text}"`);
  const gas = /gas (\d+)/.exec(ok.text)?.[1];
  check(gas, `no gas number in "${ok.text}"`);
  const entryId = await page.locator('#result').getAttribute('data-entry-id');
  check(entryId && /^\d+$/.test(entryId), `no entry id in the result ("${ok.text}")`);

  const entryRow = page.locator(`[data-testid=entry-row][data-entry-id="${entryId}"]`);
  await entryRow.waitFor({ timeout: UI_TIMEOUT_MS });
  const outputs = (await entryRow.locator('[data-testid=entry-outputs]').textContent()) ?? '';
  if (Object.keys(proof.outputs ?? {}).length > 0) {
    const want = expectedOutputs(proof);
    check(outputs === want, `entry #${entryId} outputs differ from proof.json:\n  page: ${outputs}\n  want: ${want}`);
  } else {
    check(outputs.startsWith('hashed: 0x'), `entry #${entryId}: proof.json has no public outputs, page shows "${outputs}"`);
  }
  const entry = await client.entry(BigInt(entryId));
  const shownInput = await entryRow.locator('[data-testid=entry-input-hash]').getAttribute('data-value');
  check(shownInput === String(entry.inputHash), `entry input hash ${shownInput}, chain has ${entry.inputHash}`);

  // proof-b.json: other weights, same key: the registry's binding rejects it.
  await loadProof(page, join(modelDir, 'proof-b.json'), 'proof-b.json');
  await page.selectOption('#model-select', id);
  await page.click('#submit');
  const bad = await waitResult(page);
  check(bad.status === 'rejected', `proof-b.json was not rejected; the page says "${bad.text}"`);
  check(bad.text.includes('NotBoundToModel'), `proof-b.json's rejection does not name NotBoundToModel: ${bad.text}`);
  const rows = await page.locator('[data-testid=entry-row]').count();
  check(rows === 1, `expected 1 verified inference listed after the rejection, found ${rows}`);
  return { entryId, gas, rejection: bad.text };
}

// ---------- main ----------

async function main() {
  const rpc = env('ZKINFER_RPC');
  const key = env('ZKINFER_PRIVATE_KEY');
  const modelDir = resolve(env('ZKINFER_MODEL_DIR'));
  const artifacts = resolve(env('ZKINFER_ARTIFACTS'));
  await mkdir(artifacts, { recursive: true });
  ({ chromium } = await load('playwright-core', NPM_CI));
  ({ build } = await load('vite', NPM_CI));
  ({ ZkinferClient, deployRegistry } = await load('@zkinfer/client', SDK));
  ({ connect, loadModelDir } = await load('@zkinfer/client/node', SDK));
  const proof = await readJson(join(modelDir, 'proof.json'));
  const commitment = String((await readJson(join(modelDir, 'commitment.json'))).value).toLowerCase();

  let server;
  let browser;
  let page;
  const pageErrors = [];
  try {
    const chain = await timed('chain', () => setupChain(rpc, key, modelDir));
    await timed('build', () => build({ root: APP_DIR, logLevel: 'warn' }));
    server = await serve(join(APP_DIR, 'dist'));
    const port = server.address().port;
    const url = `http://127.0.0.1:${port}/?rpc=${encodeURIComponent(rpc)}&registry=${chain.registry}`;

    const result = await timed('browser', async () => {
      browser = await chromium.launch({
        executablePath: process.env.ZKINFER_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_ARGS,
      });
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
      const r = await browserSteps(page, { url, key, proof, modelDir, commitment, ...chain });
      await page.screenshot({ path: join(artifacts, 'provenance-dapp.png'), fullPage: true });
      return r;
    });
    const total = (performance.now() - t0) / 1000;
    const s = (x) => `${x.toFixed(1)}s`;
    console.log(
      `provenance-dapp e2e: ok: model #${chain.modelId} listed, proof.json accepted as entry #${result.entryId} ` +
        `(gas ${result.gas}) with its outputs, proof-b.json rejected (NotBoundToModel); ` +
        `chain ${s(timings.chain)}, build ${s(timings.build)}, browser ${s(timings.browser)}, total ${s(total)}`,
    );
    return 0;
  } catch (e) {
    console.error(`provenance-dapp e2e: FAILED: ${e?.message ?? e}`);
    if (pageErrors.length) console.error(`page errors:\n  ${pageErrors.join('\n  ')}`);
    if (page) {
      const path = join(artifacts, 'provenance-dapp-failure.png');
      await page.screenshot({ path, fullPage: true }).then(
        () => console.error(`screenshot: ${path}`),
        () => {},
      );
    }
    return 1;
  } finally {
    await browser?.close().catch(() => {});
    if (server) {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    }
  }
}

const guard = setTimeout(() => {
  console.error(`provenance-dapp e2e: FAILED: still running after ${OVERALL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
const code = await main().catch((e) => {
  console.error(`provenance-dapp e2e: FAILED: ${e?.message ?? e}`);
  return 1;
});
clearTimeout(guard);
process.exit(code);
