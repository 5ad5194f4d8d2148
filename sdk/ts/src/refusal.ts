// Sentences for the contracts' custom errors (what a CLI or a page shows on a refusal).
import type { ContractRefusal } from "./client.js";

type Fields = Record<string, unknown>;

const MESSAGES: Record<string, (f: Fields) => string> = {
  AlreadyRegistered: (f) => `commitment ${f.commitment} is already registered as model ${f.modelId}`,
  ZeroCommitment: () => "the commitment is zero",
  NoVerifierCode: (f) => `no contract is deployed at verifier address ${f.verifier}`,
  CommitmentMismatch: (f) =>
    `the commitment ${f.registered} is not the verifier's key (modelCommitment() = ${f.verifierReports})`,
  InstanceCountMismatch: (f) => `the layout says ${f.layout} instances, the verifier takes ${f.verifier}`,
  BadLayout: () => "the instance layout's ranges overlap or fall outside the instances",
  UnknownModel: (f) => `no model is registered with id ${f.modelId}`,
  NotOwner: (f) => `${f.caller} does not own model ${f.modelId}`,
  AlreadyDeprecated: (f) => `model ${f.modelId} is already deprecated`,
  UnknownEntry: (f) => `the log has no entry ${f.entryId}`,
  ModelIsDeprecated: (f) => `model ${f.modelId} is deprecated and takes no submissions`,
  WrongInstanceCount: (f) => `the model takes ${f.expected} instances, the proof has ${f.got}`,
  NotBoundToModel: (f) =>
    `the proof is for other weights: model ${f.modelId} is registered with ${f.registered}, the proof is bound to ${f.proven}`,
  ProofRejected: (f) => `the verifier of model ${f.modelId} rejected the proof`,
  Reverted: () => "the transaction reverted without an error (out of gas?)",
};

/** A sentence saying why the contracts refused (`name: details`). */
export function describeRefusal(error: ContractRefusal): string {
  const say = MESSAGES[error.name];
  const text = say ? say(error.fields) : `reverted with ${error.name}(${error.args.map(String).join(", ")})`;
  return `${error.name}: ${text}`;
}
