/**
 * Splits CSV text into records, keeping what a streaming CSV parser throws away: the
 * physical line number each record starts on (dead letters name it), whether the record
 * was terminated by a line break (a file cut off in the middle of its last row is not),
 * and the record's own text (the dead letter's `raw`).
 *
 * A record ends at a line break outside double quotes, so a quoted field may hold line
 * breaks. Splitting here, before the field parser, also confines a malformed record to
 * itself: fast-csv's stream stops at the first parse error and drops the rows it had
 * buffered, while a record-at-a-time parse turns it into one dead letter.
 *
 * Pure and incremental: feed decoded text with `push`, finish with `end`.
 */

export interface CsvRecord {
  /** The record without its line terminator (`\n` or `\r\n`). */
  readonly text: string;
  /** 1-based physical line the record starts on. */
  readonly line: number;
  /** False for a last record that the file ended in the middle of (no line break after it). */
  readonly terminated: boolean;
  /** True when the record ends inside an open double quote (only possible when not terminated). */
  readonly openQuote: boolean;
}

/** A longer record is a runaway quote or not CSV at all; stop before it fills memory. */
export const MAX_RECORD_CHARS = 1 << 20;

function quoteCount(s: string, from = 0, to = s.length): number {
  let n = 0;
  for (let i = s.indexOf('"', from); i >= 0 && i < to; i = s.indexOf('"', i + 1)) n++;
  return n;
}

export class RecordSplitter {
  private pending = '';
  /** Odd when `pending` ends inside a quoted field. */
  private open = false;
  private startLine = 1;
  private pendingBreaks = 0;

  /** Records completed by this chunk of text. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) {
        if (start < chunk.length) {
          if ((quoteCount(chunk, start) & 1) === 1) this.open = !this.open;
          this.pending += chunk.slice(start);
          this.checkLength();
        }
        return out;
      }
      if ((quoteCount(chunk, start, nl) & 1) === 1) this.open = !this.open;
      if (this.open) {
        // A line break inside quotes belongs to the field.
        this.pending += chunk.slice(start, nl + 1);
        this.pendingBreaks++;
        this.checkLength();
      } else {
        let text = this.pending.length > 0 ? this.pending + chunk.slice(start, nl) : chunk.slice(start, nl);
        if (text.endsWith('\r')) text = text.slice(0, -1);
        out.push({ text, line: this.startLine, terminated: true, openQuote: false });
        this.startLine += this.pendingBreaks + 1;
        this.pending = '';
        this.pendingBreaks = 0;
      }
      start = nl + 1;
    }
  }

  /** The unterminated last record, if the text did not end with a line break. */
  end(): CsvRecord[] {
    if (this.pending.length === 0 && !this.open) return [];
    const record: CsvRecord = { text: this.pending, line: this.startLine, terminated: false, openQuote: this.open };
    this.pending = '';
    this.open = false;
    return [record];
  }

  private checkLength(): void {
    if (this.pending.length > MAX_RECORD_CHARS) {
      throw new Error(
        `the record starting at line ${this.startLine} is longer than ${MAX_RECORD_CHARS} characters: ` +
          (this.open ? 'a double quote is never closed' : 'the file has no line breaks; is it CSV?'),
      );
    }
  }
}
