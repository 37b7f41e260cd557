/** Exit codes of every `ax` command. */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** A check that answered "no": denied, verify failed. */
  no: 3,
} as const;

/** Thrown by a command to end with a given exit code after it printed its answer. */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
