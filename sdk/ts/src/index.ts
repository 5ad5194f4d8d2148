// @zkinfer/client: browser-safe entry (no Node built-ins). Node-only helpers (reading a model
// directory) are in "@zkinfer/client/node".
export {
  inferenceLogAbi,
  inferenceLogBytecode,
  modelRegistryAbi,
  modelRegistryBytecode,
  zkinferErrorsAbi,
} from "./abi.js";
export {
  type AnyPublicClient,
  type AnyWalletClient,
  type ContractRefusal,
  type Deployment,
  deployRegistry,
  type LogEntry,
  type RegisteredModel,
  type RegisterResult,
  type PublicClientLike,
  type Refused,
  refusalOf,
  type SubmitResult,
  type WalletClientLike,
  ZkinferClient,
  type ZkinferClientOptions,
} from "./client.js";
export { ZkinferError, type ZkinferErrorCode } from "./errors.js";
export { hashesOf, keccakWords, outputInstances } from "./hashes.js";
export {
  COMMITMENT_KINDS,
  type CommitmentKindName,
  commitmentKindFromSettings,
  commitmentKindIndex,
  commitmentKindName,
  elementCount,
  type InstanceLayout,
  layoutFromSettings,
  type ParamVisibility,
  type TensorSpec,
  type Visibility,
  type ZkinferSettings,
} from "./layout.js";
export {
  buildMetadataURI,
  decodeOutputs,
  METADATA_PREFIX,
  type ModelMetadata,
  metadataFromSettings,
  type OutputMeta,
  parseMetadataURI,
} from "./metadata.js";
export {
  BN254_HALF,
  BN254_R,
  bigIntToLeHex,
  dequantize,
  fieldToSigned,
  leHexToBigInt,
  type ParsedProof,
  type ProofCommitment,
  parseProof,
  type Tensor,
} from "./proof.js";
export { describeRefusal } from "./refusal.js";
