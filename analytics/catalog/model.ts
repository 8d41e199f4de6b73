/**
 * What a catalog knows about the lake, in one shape for both catalogs: the local one
 * (crawled from a lake folder) and AWS Glue (read through its API). `catalog show` prints
 * either the same way, and a test can compare them.
 */
import { PARTITIONINGS, partitioningOf } from '../../lib/lake.js';

export interface CatalogColumn {
  readonly name: string;
  /** Hive / Glue type name: string, bigint, int, double, timestamp, ... */
  readonly type: string;
}

export interface CatalogPartition {
  /** Values of the partition keys, in key order (here: the dt). */
  readonly values: readonly string[];
  /** Folder (local, relative to the lake) or s3:// prefix. */
  readonly location: string;
  /** Known for the local catalog; Glue does not record them. */
  readonly files?: number;
  readonly bytes?: number;
}

export interface CatalogTable {
  readonly name: string;
  /** Folder (local, relative to the lake) or s3:// prefix. */
  readonly location: string;
  readonly format: string;
  readonly columns: readonly CatalogColumn[];
  readonly partitionKeys: readonly CatalogColumn[];
  readonly partitions: readonly CatalogPartition[];
  /** Local: files whose schema disagrees with the table's (a Glue crawler would flag the table). */
  readonly schemaConflicts?: readonly string[];
  /** Local: whether every file has exactly the table's columns (if not, reads merge by name). */
  readonly uniformSchema?: boolean;
  /** Glue: table parameters (classification, partition projection, ...). */
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface Catalog {
  readonly source: 'local' | 'glue';
  readonly database: string;
  /** The lake folder, or the Glue region and catalog id. */
  readonly location: string;
  /** ISO time of the crawl (local) or of the read (Glue). */
  readonly crawledAt: string;
  readonly tables: readonly CatalogTable[];
  /** Local: Parquet files found outside any `<table>/dt=<YYYY-MM-DD | YYYY-MM | YYYY>/` folder. */
  readonly ignoredFiles?: readonly string[];
}

/**
 * The time partitioning(s) of a table's `dt` values: `day`, `month`, `year`, or several
 * joined by `+` for a lake whose setting changed (the queries read such a lake correctly:
 * their partition filter covers every shape).
 */
export function partitioningOfTable(table: Pick<CatalogTable, 'partitions'>): string {
  const kinds = new Set(table.partitions.map((p) => partitioningOf(p.values[0] ?? '') ?? 'other'));
  return [...PARTITIONINGS, 'other' as const].filter((k) => kinds.has(k)).join('+');
}

/** A one-table-per-line summary and the columns, for `catalog show`. */
export function describeCatalog(catalog: Catalog): Array<Record<string, string | number>> {
  return catalog.tables.map((t) => {
    const dts = t.partitions.map((p) => p.values[0] ?? '').sort();
    const files = t.partitions.reduce((s, p) => s + (p.files ?? 0), 0);
    const bytes = t.partitions.reduce((s, p) => s + (p.bytes ?? 0), 0);
    return {
      table: t.name,
      location: t.location,
      columns: t.columns.map((c) => `${c.name} ${c.type}`).join(', '),
      partitions: t.partitions.length,
      partitioning: partitioningOfTable(t),
      first_dt: dts[0] ?? '',
      last_dt: dts[dts.length - 1] ?? '',
      ...(catalog.source === 'local' ? { files, bytes } : {}),
    };
  });
}
