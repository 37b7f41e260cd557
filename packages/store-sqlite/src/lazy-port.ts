/**
 * A port whose statements are prepared on first use, not when the store opens: a store opened with a
 * migration list that stops before this port's tables (adapter tests, `migrate: false` checks) still opens.
 */
export function lazyPort<P extends object>(make: () => P, methods: readonly (keyof P & string)[]): P {
  let impl: P | undefined;
  const out: Record<string, unknown> = {};
  for (const m of methods) {
    out[m] = (...args: unknown[]) => {
      impl ??= make();
      return (impl[m] as (...a: unknown[]) => unknown)(...args);
    };
  }
  return out as P;
}
