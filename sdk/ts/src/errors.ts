/** What kind of input the client could not accept. */
export type ZkinferErrorCode =
  /** proof.json is malformed (missing field, bad hex, wrong length). */
  | "proof-format"
  /** proof.json was made with a transcript the EVM verifier cannot check (not Keccak). */
  | "transcript"
  /** A fixed-point value has no exact JavaScript number. */
  | "inexact"
  /** A metadataURI does not follow the zkinfer convention. */
  | "metadata"
  /** settings.json cannot be read, or gives no registrable instance layout. */
  | "settings"
  /** Outputs do not match the metadata's shapes. */
  | "outputs"
  /** A call needs a wallet client and none was given, or the wallet has no account. */
  | "wallet"
  /** A transaction was mined but did not carry the expected event. */
  | "receipt";

/**
 * An input the client refuses (a malformed file, a lossy conversion, a missing wallet).
 * Contract refusals are never thrown: they come back as `{accepted: false, error, reason}`.
 */
export class ZkinferError extends Error {
  /** Which check failed. */
  readonly code: ZkinferErrorCode;
  /** The values involved, for programs (e.g. `{field: "instances", index: 3}`). */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: ZkinferErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = "ZkinferError";
    this.code = code;
    this.detail = detail;
  }
}
