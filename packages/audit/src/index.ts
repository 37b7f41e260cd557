export {
  ACTION_PATTERN,
  ACTION_PHASES,
  AUDIT_ACTIONS,
  type BuiltinAuditAction,
  isKnownAction,
  PERMISSION_ACTIONS,
  PRIVILEGED_ACTIONS,
  RENAMED_ACTIONS,
} from './actions.js';
export {
  type AuditEvent,
  AuditLog,
  type AuditLogger,
  type AuditLogOptions,
  type AuditPorts,
  publishCheckpointForm,
  toAuditEvent,
  type VerifyResult,
} from './audit-log.js';
export {
  allPublishers,
  type CheckpointPublisher,
  type CheckpointScheduleOptions,
  fileCheckpointPublisher,
  scheduleCheckpoints,
  streamCheckpointPublisher,
} from './checkpoints.js';
export {
  type CanonicalFields,
  canonicalEvent,
  canonicalJson,
  eventObject,
} from './canonical.js';
export {
  type ChainBreak,
  type ChainRow,
  type ChainStart,
  ChainVerifier,
  chainHash,
  GENESIS_HASH,
  type TamperKind,
} from './chain.js';
export {
  CSV_COLUMNS,
  type ExportFormat,
  type ExportManifest,
  type ExportOptions,
  exportAudit,
  exportAuditToFile,
  exportManifestSchema,
  manifestPathFor,
  verifyManifestSignature,
} from './export.js';
export {
  DEFAULT_REDACT_PATTERNS,
  REDACTED,
  redact,
  SecretValue,
  secret,
} from './redact.js';
export {
  type ComplianceReport,
  complianceMarkdown,
  complianceReport,
} from './report.js';
export {
  applyRetention,
  type RetentionResult,
  setRetentionPolicy,
} from './retention.js';
export {
  type AuditEventInput,
  type AuditQuery,
  type PublishedCheckpoint,
  publishedCheckpointSchema,
  type VerifyOptions,
} from './schemas.js';
export { type ExportVerifyResult, verifyExport } from './verify-export.js';
