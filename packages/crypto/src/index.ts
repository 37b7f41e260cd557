export { type AadPart, aadOf, type FieldLocation, fieldAad } from './aad.js';
export { KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './aead.js';
export { ENVELOPE_PREFIX } from './envelope.js';
export { Keyring } from './keyring.js';
export {
  type KeyringOptions,
  type KeyringStatus,
  type KeyVersionStatusReport,
  MAX_ENCRYPTIONS_PER_VERSION,
  type StreamOptions,
} from './keyring-options.js';
export {
  DEFAULT_SCRYPT,
  INSECURE_DEV_MASTER_KEY,
  MasterKey,
  type MasterKeyProblem,
  type MasterKeySource,
  MIN_PASSPHRASE_CHARS,
  MIN_RAW_KEY_BYTES,
  resolveMasterKey,
  type ScryptParams,
} from './master-key.js';
export { MemoryKeyringStore } from './memory-keyring-store.js';
export { DEFAULT_FRAME_BYTES, MAX_FRAME_BYTES, STREAM_HEADER_BYTES } from './stream.js';
export {
  type Argon2Params,
  type HashPasswordOptions,
  hashPassword,
  needsRehash,
  OWASP_ARGON2ID,
  PBKDF2_MAX_ITERATIONS,
  PBKDF2_MIN_ITERATIONS,
  type PasswordOptions,
  verifyPassword,
} from './password.js';
