import type { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses `input` with `schema`, throwing a {@link ValidationError} that keeps zod's issue paths.
 * Every public entry point of @ax packages goes through this.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ValidationError.fromZod(result.error, what);
  return result.data;
}
