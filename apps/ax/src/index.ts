export { type CliEnv, resolveDbPath } from './context.js';
export { EXIT } from './exit-codes.js';
export { buildProgram, runCli } from './program.js';
export { buildServer, type ServerDeps } from './server.js';
