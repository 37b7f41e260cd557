export { type CliEnv, resolveStoreRef } from './context.js';
export { EXIT } from './exit-codes.js';
export { areaOf, buildProgram, loadAreas, runCli } from './program.js';
export { buildServer, type ServerDeps } from './server.js';
