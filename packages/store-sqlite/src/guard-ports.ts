type AnyMethod = (...args: never[]) => Promise<unknown>;

/**
 * Wraps every method of every port with `call`, keeping the port types. Used twice: the store's own ports
 * wait for any running transaction; a transaction's ports refuse use after the transaction ended.
 */
export function wrapPorts<P extends object>(
  ports: P,
  call: (fn: () => Promise<unknown>) => Promise<unknown>,
): P {
  const out: Record<string, Record<string, AnyMethod>> = {};
  for (const [name, port] of Object.entries(ports) as [string, Record<string, AnyMethod>][]) {
    const wrapped: Record<string, AnyMethod> = {};
    for (const [method, fn] of Object.entries(port)) {
      if (typeof fn !== 'function') continue;
      wrapped[method] = (...args: never[]) => call(() => fn.apply(port, args));
    }
    out[name] = wrapped;
  }
  return out as unknown as P;
}
