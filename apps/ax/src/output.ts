import type { Writable } from 'node:stream';

/** Where a command writes, and whether it was asked for JSON. */
export interface Output {
  readonly json: boolean;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Prints the command's answer: one JSON document with --json, else `human()`. */
  result(data: unknown, human: () => string): void;
  /** A line for a person (stderr when --json, so stdout stays one JSON document). */
  info(line: string): void;
  warn(line: string): void;
}

export function createOutput(json: boolean, stdout: Writable, stderr: Writable): Output {
  return {
    json,
    stdout,
    stderr,
    result(data, human) {
      stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
    },
    info(line) {
      (json ? stderr : stdout).write(`${line}\n`);
    },
    warn(line) {
      stderr.write(`warning: ${line}\n`);
    },
  };
}

/** A plain aligned table for terminals. */
export function table(rows: readonly Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)';
  const cols = columns ?? Object.keys(rows[0]!);
  const cell = (v: unknown) =>
    v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join(
    '\n',
  );
}
