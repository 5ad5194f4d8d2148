// Deploy a zkinfer EVM verifier and verify a proof with ethers v6: what an integrator copies.
//
//   node verify.mjs --rpc http://127.0.0.1:8545 --key 0x<private key> \
//       --verifier OUTDIR --proof proof.json [--address 0x<deployed ZkinferVerifier>]
//
// OUTDIR is what `zkinfer create-evm-verifier` wrote (manifest evm-verifier.json, bytecode
// *.bin, ZkinferVerifier.abi.json); proof.json comes from `zkinfer prove ... --evm`.
// Without --address the contracts are deployed first (in manifest order). Prints one JSON
// line {"address", "accepted", "gas"}; exits 0 iff the proof is accepted.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AbiCoder, Contract, JsonRpcProvider, Wallet } from "ethers";

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      throw new Error(`bad argument ${argv[i]}; see the header of verify.mjs`);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const need of ["rpc", "verifier", "proof"]) {
    if (!out[need]) throw new Error(`missing --${need}`);
  }
  return out;
}

// proof.json stores each instance as 32 bytes little-endian hex; the contract takes uint256.
function instanceToUint(hexLe) {
  const bytes = hexLe.match(/../g).reverse().join("");
  return BigInt("0x" + bytes);
}

// Deploys every contract of the bundle; returns the address of the last (ZkinferVerifier).
async function deploy(dir, manifest, wallet) {
  const addresses = {};
  // Nonces are counted here: ethers caches identical RPC reads for a moment, so asking the
  // node for the pending nonce right after a mined deployment can return the old value
  // ("nonce too low").
  let nonce = await wallet.getNonce("pending");
  for (const c of manifest.contracts) {
    if (!c.bytecode) throw new Error(`${c.name} has no bytecode: compile with a Solidity compiler`);
    const code = readFileSync(join(dir, c.bytecode), "utf8").trim();
    const types = [];
    const values = [];
    for (const arg of c.constructor) {
      const [kind, value] = Object.entries(arg)[0];
      types.push(kind);
      values.push(kind === "address" ? addresses[value] : value);
    }
    const encoded = AbiCoder.defaultAbiCoder().encode(types, values).slice(2);
    const tx = await wallet.sendTransaction({
      data: "0x" + code.replace(/^0x/, "") + encoded,
      nonce: nonce++,
    });
    const receipt = await tx.wait();
    if (!receipt || receipt.status !== 1) throw new Error(`deploying ${c.name} failed`);
    addresses[c.name] = receipt.contractAddress;
  }
  return addresses[manifest.entry];
}

async function main() {
  const a = args();
  const provider = new JsonRpcProvider(a.rpc, undefined, { staticNetwork: true });
  provider.pollingInterval = 250; // ms between receipt polls (ethers' default is 4 s)
  const manifest = JSON.parse(readFileSync(join(a.verifier, "evm-verifier.json"), "utf8"));
  const abi = JSON.parse(readFileSync(join(a.verifier, "ZkinferVerifier.abi.json"), "utf8"));
  const proof = JSON.parse(readFileSync(a.proof, "utf8"));
  if (proof.transcript !== "keccak") {
    throw new Error(`${a.proof} uses the ${proof.transcript} transcript; prove with --evm`);
  }
  let address = a.address;
  if (!address) {
    if (!a.key) throw new Error("deploying needs --key");
    address = await deploy(a.verifier, manifest, new Wallet(a.key, provider));
  }
  const verifier = new Contract(address, abi, provider);
  const instances = proof.instances.map(instanceToUint);
  const proofBytes = "0x" + proof.proof;
  const accepted = await verifier.verifyProof(proofBytes, instances);
  const gas = await verifier.verifyProof.estimateGas(proofBytes, instances);
  console.log(JSON.stringify({ address, accepted, gas: gas.toString() }));
  provider.destroy();
  process.exit(accepted ? 0 : 1);
}

main().catch((e) => {
  console.error(`error: ${e.message ?? e}`);
  process.exit(2);
});
