/** A CSV field: `null` is written as an empty unquoted field, a string always quoted. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  return `"${v.replaceAll('"', '""')}"`;
}

/** One parsed field: quoted fields are strings (possibly empty), an empty unquoted field is null. */
export type CsvValue = string | null;

/**
 * Incremental RFC 4180 parser: feed chunks, get complete records. Quoted fields may hold commas,
 * quotes (doubled) and newlines. Distinguishes `""` (empty string) from an empty field (null).
 * Throws on malformed input (a quote inside an unquoted field, text after a closing quote).
 */
export class CsvParser {
  #field = '';
  #quoted = false;
  #inQuotes = false;
  #afterQuote = false;
  #record: CsvValue[] = [];
  /** Completed records not yet taken. */
  readonly records: CsvValue[][] = [];

  push(chunk: string): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.#inQuotes) {
        if (c === '"') {
          if (chunk[i + 1] === undefined) {
            // decide on the next chunk: park as "quote seen"
            this.#inQuotes = false;
            this.#afterQuote = true;
          } else if (chunk[i + 1] === '"') {
            this.#field += '"';
            i++;
          } else {
            this.#inQuotes = false;
            this.#afterQuote = true;
          }
        } else {
          this.#field += c;
        }
        continue;
      }
      if (this.#afterQuote && c === '"') {
        // a doubled quote split across chunks
        this.#field += '"';
        this.#inQuotes = true;
        this.#afterQuote = false;
        continue;
      }
      if (c === ',') {
        this.#endField();
      } else if (c === '\n') {
        this.#endField();
        this.records.push(this.#record);
        this.#record = [];
      } else if (c === '"') {
        if (this.#field !== '' || this.#quoted) throw new SyntaxError('quote inside an unquoted CSV field');
        this.#quoted = true;
        this.#inQuotes = true;
      } else {
        if (this.#afterQuote) throw new SyntaxError('text after a closing quote in a CSV field');
        this.#field += c;
      }
    }
  }

  /** Ends input; throws when it stops inside a quoted field or mid-record. */
  end(): void {
    if (this.#inQuotes) throw new SyntaxError('unterminated quoted CSV field');
    if (this.#field !== '' || this.#quoted || this.#record.length > 0) {
      throw new SyntaxError('CSV input does not end with a newline');
    }
  }

  #endField(): void {
    this.#record.push(this.#quoted ? this.#field : this.#field === '' ? null : this.#field);
    this.#field = '';
    this.#quoted = false;
    this.#afterQuote = false;
  }
}
