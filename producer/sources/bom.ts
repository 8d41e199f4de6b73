/**
 * Byte-order marks at the start of a CSV file. Spreadsheet exports write one; files that
 * went through a tool reading them as Latin-1 and writing UTF-8 carry it encoded twice
 * (`C3 AF C2 BB C2 BF`, shown as `ï»¿`, as in Kaggle's indexData.csv). Either way it is not
 * part of the first column name, so it is removed here, before parsing, and reported.
 * UTF-16 and UTF-32 files are refused with a message saying what to do, since decoding
 * them as UTF-8 would turn every row into garbage.
 */

export type BomKind = 'none' | 'utf8' | 'utf8-double';

export interface BomSniff {
  readonly kind: BomKind;
  /** Bytes to drop from the start of the file. */
  readonly skip: number;
}

const UTF8 = [0xef, 0xbb, 0xbf];
const UTF8_DOUBLE = [0xc3, 0xaf, 0xc2, 0xbb, 0xc2, 0xbf];
const UNSUPPORTED: ReadonlyArray<{ bytes: number[]; name: string }> = [
  // UTF-32 first: its little-endian mark starts with the UTF-16 one.
  { bytes: [0xff, 0xfe, 0x00, 0x00], name: 'UTF-32LE' },
  { bytes: [0x00, 0x00, 0xfe, 0xff], name: 'UTF-32BE' },
  { bytes: [0xff, 0xfe], name: 'UTF-16LE' },
  { bytes: [0xfe, 0xff], name: 'UTF-16BE' },
];

/** The longest prefix `sniffBom` needs to decide. */
export const BOM_SNIFF_BYTES = UTF8_DOUBLE.length;

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
}

/**
 * Decides from the first bytes of a file (at least `BOM_SNIFF_BYTES` of them, or the whole
 * file when shorter). Throws for encodings the producer cannot read.
 */
export function sniffBom(head: Uint8Array): BomSniff {
  for (const u of UNSUPPORTED) {
    if (startsWith(head, u.bytes)) {
      throw new Error(`the file is ${u.name} (it starts with a ${u.name} byte-order mark); convert it to UTF-8 first, e.g. with iconv -f ${u.name} -t UTF-8`);
    }
  }
  if (startsWith(head, UTF8_DOUBLE)) return { kind: 'utf8-double', skip: UTF8_DOUBLE.length };
  if (startsWith(head, UTF8)) return { kind: 'utf8', skip: UTF8.length };
  return { kind: 'none', skip: 0 };
}

export function describeBom(kind: BomKind): string {
  switch (kind) {
    case 'utf8':
      return 'a UTF-8 byte-order mark';
    case 'utf8-double':
      return 'a UTF-8 byte-order mark encoded twice (bytes C3 AF C2 BB C2 BF, shown as "ï»¿")';
    case 'none':
      return 'no byte-order mark';
  }
}
