// Where the input, outputs and parameter hash sit among a model's public instances, from its
// settings.json: the `InstanceLayout` the registry stores (same rule as `zkinfer register`).
import { ZkinferError } from "./errors.js";

/** How a part of the statement is exposed (settings.json `circuit.visibility`). */
export type Visibility = "public" | "private" | "hashed";

/** How the weights are bound (settings.json `circuit.visibility.params`). */
export type ParamVisibility = "fixed" | "private" | "hashed" | "committed";

/** A named tensor's shape (settings.json `inputs[]` / `outputs[]`). */
export interface TensorSpec {
  /** The ONNX graph's name for it. */
  name: string;
  /** Dimensions, outermost first. */
  shape: number[];
}

/** The parts of settings.json (format "zkinfer-settings") the client uses. */
export interface ZkinferSettings {
  /** Fixed-point scales in bits; activations (and so outputs) use `input_scale`. */
  quant: { input_scale: number; param_scale?: number; bits?: number };
  /** Circuit shape; `visibility` says what is public. */
  circuit: { visibility: { input: Visibility; output: Visibility; params: ParamVisibility } };
  /** The model's inputs, in instance order. */
  inputs: TensorSpec[];
  /** The model's outputs, in instance order. */
  outputs: TensorSpec[];
  /** How many public instances the verifier takes. */
  num_instances: number;
  /** A display name, if the settings carry one. */
  name?: string;
}

/** Mirror of the contracts' `InstanceLayout` (positions among the verifier's instances). */
export interface InstanceLayout {
  /** Must equal the verifier's `numInstances()`. */
  numInstances: number;
  /** First instance carrying the input (its public values, or its one hash). */
  inputStart: number;
  /** How many (0 = private input). */
  inputCount: number;
  /** First instance carrying the outputs. */
  outputStart: number;
  /** How many (0 = private outputs). */
  outputCount: number;
  /** Hashed parameters: the parameter-hash instance; otherwise 0. */
  paramIndex: number;
}

/** The registry's `CommitmentKind` names, in enum order (Fixed = 0, Hashed = 1, Committed = 2). */
export const COMMITMENT_KINDS = ["fixed", "hashed", "committed"] as const;

/** A commitment kind as commitment.json and the metadata spell it. */
export type CommitmentKindName = (typeof COMMITMENT_KINDS)[number];

/** The enum value (0, 1, 2) of a kind name. */
export function commitmentKindIndex(kind: string): 0 | 1 | 2 {
  const i = COMMITMENT_KINDS.indexOf(kind as CommitmentKindName);
  if (i < 0) {
    throw new ZkinferError("settings", `commitment kind ${JSON.stringify(kind)} is not fixed, hashed or committed`, {
      kind,
    });
  }
  return i as 0 | 1 | 2;
}

/** The kind name of an enum value read from the chain. */
export function commitmentKindName(index: number): CommitmentKindName {
  const k = COMMITMENT_KINDS[index];
  if (k === undefined) throw new ZkinferError("settings", `commitment kind ${index} is not 0, 1 or 2`, { index });
  return k;
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkSettings(s: unknown): asserts s is ZkinferSettings {
  const t = s as Partial<ZkinferSettings> | null;
  const vis = t?.circuit?.visibility;
  const ok =
    t !== null &&
    typeof t === "object" &&
    Array.isArray(t.inputs) &&
    Array.isArray(t.outputs) &&
    Number.isInteger(t.num_instances) &&
    Number.isInteger(t.quant?.input_scale) &&
    vis !== undefined &&
    [t.inputs, t.outputs].every((l) => l.every((x) => Array.isArray(x?.shape)));
  if (!ok) {
    throw new ZkinferError(
      "settings",
      "settings.json lacks quant.input_scale, circuit.visibility, inputs, outputs or num_instances",
    );
  }
}

/**
 * The instance layout of a model, from its settings.json:
 * instances are `[public inputs (nIn)] [public outputs (nOut)] [input hash] [output hash]
 * [param hash]`, each group present only for that visibility. Throws for private parameters
 * (bound to no weights, so not registrable) and when the count disagrees with
 * `num_instances`.
 */
export function layoutFromSettings(settings: unknown): InstanceLayout {
  checkSettings(settings);
  const vis = settings.circuit.visibility;
  if (vis.params === "private") {
    throw new ZkinferError("settings", "private parameters bind no weights: such a model cannot be registered", {
      params: vis.params,
    });
  }
  const nIn = settings.inputs.reduce((a, t) => a + elementCount(t.shape), 0);
  const nOut = settings.outputs.reduce((a, t) => a + elementCount(t.shape), 0);
  let next = 0;
  const take = (n: number): number => {
    const at = next;
    next += n;
    return at;
  };
  const pubIn = vis.input === "public" ? { start: take(nIn), count: nIn } : null;
  const pubOut = vis.output === "public" ? { start: take(nOut), count: nOut } : null;
  const hashIn = vis.input === "hashed" ? { start: take(1), count: 1 } : null;
  const hashOut = vis.output === "hashed" ? { start: take(1), count: 1 } : null;
  const paramIndex = vis.params === "hashed" ? take(1) : 0;
  if (next !== settings.num_instances) {
    throw new ZkinferError(
      "settings",
      `visibility ${JSON.stringify(vis)} gives ${next} instances, but num_instances is ${settings.num_instances}`,
      { computed: next, numInstances: settings.num_instances },
    );
  }
  const input = pubIn ?? hashIn ?? { start: 0, count: 0 };
  const output = pubOut ?? hashOut ?? { start: 0, count: 0 };
  return {
    numInstances: next,
    inputStart: input.start,
    inputCount: input.count,
    outputStart: output.start,
    outputCount: output.count,
    paramIndex,
  };
}

/** The commitment kind of a model, from settings.json (throws for private parameters). */
export function commitmentKindFromSettings(settings: unknown): CommitmentKindName {
  checkSettings(settings);
  const p = settings.circuit.visibility.params;
  if (p === "private") {
    throw new ZkinferError("settings", "private parameters bind no weights: such a model cannot be registered", {
      params: p,
    });
  }
  commitmentKindIndex(p);
  return p;
}
