// The input and output hashes the InferenceLog records, computed off chain exactly like
// `InferenceLog.hashesOf`: keccak256(abi.encodePacked(uint256[] range)).
import { type Hex, concat, keccak256, numberToHex } from "viem";
import { ZkinferError } from "./errors.js";
import type { InstanceLayout } from "./layout.js";

/** `keccak256` of the 32-byte big-endian words of `words` (Solidity's `abi.encodePacked(uint256[])`). */
export function keccakWords(words: readonly bigint[]): Hex {
  return keccak256(words.length === 0 ? "0x" : concat(words.map((w) => numberToHex(w, { size: 32 }))));
}

/** The (inputHash, outputHash) a submit of `instances` under `layout` records. */
export function hashesOf(layout: InstanceLayout, instances: readonly bigint[]): { inputHash: Hex; outputHash: Hex } {
  if (instances.length !== layout.numInstances) {
    throw new ZkinferError(
      "proof-format",
      `the layout takes ${layout.numInstances} instances, got ${instances.length}`,
      {
        expected: layout.numInstances,
        got: instances.length,
      },
    );
  }
  const range = (start: number, count: number) => instances.slice(start, start + count);
  return {
    inputHash: keccakWords(range(layout.inputStart, layout.inputCount)),
    outputHash: keccakWords(range(layout.outputStart, layout.outputCount)),
  };
}

/** The output range of `instances` under `layout` (what an entry's `outputs` holds). */
export function outputInstances(layout: InstanceLayout, instances: readonly bigint[]): bigint[] {
  return instances.slice(layout.outputStart, layout.outputStart + layout.outputCount);
}
