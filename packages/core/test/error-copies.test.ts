import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AxError, isAxError, NotFoundError, toAxError, ValidationError } from '../src/index.js';

// A second copy of this package in the same process (an adapter loaded beside a bundled app): its errors
// must still be AxErrors to this copy's instanceof, isAxError and toAxError, or a CONFLICT would become INTERNAL.
describe('errors from another copy of @ax/core', () => {
  it('are recognised by brand and class name', async () => {
    const url = `${pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href}?copy=2`;
    const other = (await import(/* @vite-ignore */ url)) as typeof import('../src/index.js');
    expect(other.AxError).not.toBe(AxError);
    const foreign = new other.ValidationError('bad input');
    expect(foreign instanceof AxError).toBe(true);
    expect(foreign instanceof ValidationError).toBe(true);
    expect(foreign instanceof NotFoundError).toBe(false);
    expect(isAxError(foreign, 'VALIDATION')).toBe(true);
    expect(toAxError(foreign)).toBe(foreign);
    expect(new Error('plain') instanceof AxError).toBe(false);
    expect({ code: 'VALIDATION' } instanceof AxError).toBe(false);
    expect(new NotFoundError('x') instanceof ValidationError).toBe(false);
  });
});
