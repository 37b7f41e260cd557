export { secretAad } from './aad.js';
export type {
  SecretEvent,
  SecretEventBus,
  SecretEvents,
  SecretEventType,
  SecretTx,
} from './events.js';
export type { RewrapFailure, RewrapOptions, RewrapProgress, RewrapResult } from './rewrap.js';
export { MAX_SECRET_BYTES, SECRET_KEY_PATTERN } from './schemas.js';
export {
  type DeleteSecretInput,
  type GetSecretInput,
  type ListSecretsInput,
  type RotateSecretInput,
  type SecretCallOptions,
  type SecretMetadata,
  type SecretScope,
  SecretsManager,
  type SecretsManagerOptions,
  type SecretsStore,
  type SecretVersionInfo,
  type SetSecretInput,
} from './secrets-manager.js';
