export { secretAad } from './aad.js';
export { type SecretEvent, type SecretEventListener, SecretEvents, type SecretEventType } from './events.js';
export type { RewrapFailure, RewrapOptions, RewrapProgress, RewrapResult } from './rewrap.js';
export { MAX_SECRET_BYTES, SECRET_KEY_PATTERN } from './schemas.js';
export {
  type SecretMetadata,
  type SecretScope,
  SecretsManager,
  type SecretChangeRecorder,
  type SecretsManagerOptions,
  type SecretsStore,
  type SecretVersionInfo,
  type WriteOptions,
} from './secrets-manager.js';
