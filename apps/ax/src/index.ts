export { type CliEnv, resolveStoreRef } from './context.js';
export { EXIT } from './exit-codes.js';
export { areaOf, buildProgram, loadAreas, runCli } from './program.js';
export { buildServer, type ServerDeps } from './server.js';
export { AUDIT_MAC_PURPOSE, createServices, type Services, type ServicesOptions } from './services/root.js';
export { type AuditSink, createAuditSink, runWithAuditSink } from './services/audit-sink.js';
