/**
 * The bytes as text when they are valid UTF-8, else `undefined`: never U+FFFD replacements. `keepBom` keeps a
 * leading byte-order mark as a character (a secret value is bytes, byte-exact); files drop it.
 */
export function decodeUtf8(bytes: Uint8Array, options: { keepBom?: boolean } = {}): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: options.keepBom === true }).decode(bytes);
  } catch {
    return undefined;
  }
}
