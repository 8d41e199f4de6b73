/**
 * The local catalog: what a Glue crawler does for this lake, done on a lake folder.
 *
 *  - Tables are discovered from the layout, not from a list: every folder that holds
 *    `dt=` sub-folders (`dt=YYYY-MM-DD`, `dt=YYYY-MM` or `dt=YYYY`: the lake's time
 *    partitioning, lib/lake.ts) with Parquet files is a table named after the folder
 *    (`raw/ticks` -> `ticks`, `processed/bars_1m` -> `bars_1m`), partitioned by `dt`.
 *  - Partitions are those `dt=` folders, with their file count and size.
 *  - Columns come from the Parquet footers of every file (DuckDB's parquet_schema reads
 *    footers only), mapped to the Hive types Glue would record; files that disagree on a
 *    column's type are listed as schema conflicts, as a crawler would flag them.
 *  - Files and folders whose names start with `_` or `.` are skipped, as Athena skips them.
 *  - A partition folder with a compaction marker counts the files the marker makes current
 *    (compact/marker.ts, docs/compaction.md).
 *
 * The result is persisted as `<lake>/_catalog.json` by `tickstream catalog crawl` (the
 * leading underscore keeps it out of every table). Queries use it when present and crawl in
 * memory when not.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { LAKE_TABLES, dtOfKey, hiveType } from '../../lib/lake.js';
import { MARKER_NAME, decodeMarker, visibleFiles, type CompactionMarker } from '../../compact/marker.js';
import type { Catalog, CatalogColumn, CatalogPartition, CatalogTable } from './model.js';

export const CATALOG_FILE = '_catalog.json';
export const LOCAL_DATABASE = 'tickstream';

export interface LakeFile {
  /** Path relative to the lake root, with `/` separators. */
  readonly path: string;
  readonly bytes: number;
}

/**
 * Every Parquet file under the lake root (skipping `_*` and `.*`), relative paths. A folder
 * with a compaction marker (`_compaction.json`, compact/marker.ts) lists the files the marker
 * makes current: the compacted ones instead of those they replaced, never a crashed run's
 * leftovers.
 */
export function listLakeFiles(root: string): LakeFile[] {
  const out: LakeFile[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const files = entries.filter((e) => e.isFile()).map((e) => e.name);
    const marker = files.includes(MARKER_NAME) ? readMarker(join(dir, MARKER_NAME)) : null;
    for (const name of visibleFiles(files, marker)) {
      const full = join(dir, name);
      // A file the marker names may be gone by now (deleted after its grace period).
      const size = statSync(full, { throwIfNoEntry: false })?.size;
      if (size !== undefined) out.push({ path: relative(root, full).split(sep).join('/'), bytes: size });
    }
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.')) walk(join(dir, entry.name));
    }
  };
  walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

function readMarker(path: string): CompactionMarker {
  return decodeMarker(readFileSync(path), path);
}

/**
 * The compacted partitions of a table folder: for each `dt=` folder with a marker, the
 * files a reader takes (lake-relative paths). The DuckDB views read these by name and the
 * other partitions by glob (duckdb-views.ts).
 */
export function compactedPartitions(root: string, location: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let folders;
  try {
    folders = readdirSync(join(root, location), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const folder of folders) {
    const m = /^dt=(.+)$/.exec(folder.name);
    if (!m || !folder.isDirectory()) continue;
    const dir = join(root, location, folder.name);
    const names = readdirSync(dir);
    if (!names.includes(MARKER_NAME)) continue;
    out.set(
      m[1]!,
      visibleFiles(names, readMarker(join(dir, MARKER_NAME))).map((n) => `${location}/${folder.name}/${n}`),
    );
  }
  return out;
}

export interface DiscoveredTable {
  readonly name: string;
  readonly location: string;
  readonly partitions: ReadonlyArray<CatalogPartition & { readonly fileList: readonly string[] }>;
}

/** Groups files into tables and `dt` partitions by their paths. Pure. */
export function discoverTables(files: readonly LakeFile[]): { tables: DiscoveredTable[]; ignored: string[] } {
  const byLocation = new Map<string, Map<string, LakeFile[]>>();
  const ignored: string[] = [];
  for (const f of files) {
    const m = /^(.+)\/dt=([^/]+)\/[^/]+$/.exec(f.path);
    const dt = m ? dtOfKey(`dt=${m[2]}`) : null;
    if (!m || !dt) {
      ignored.push(f.path);
      continue;
    }
    const location = m[1]!;
    const parts = byLocation.get(location) ?? new Map<string, LakeFile[]>();
    byLocation.set(location, parts);
    parts.set(dt, [...(parts.get(dt) ?? []), f]);
  }
  const tables: DiscoveredTable[] = [...byLocation.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([location, parts]) => ({
      name: posix.basename(location),
      location,
      partitions: [...parts.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([dt, list]) => ({
          values: [dt],
          location: `${location}/dt=${dt}`,
          files: list.length,
          bytes: list.reduce((s, f) => s + f.bytes, 0),
          fileList: list.map((f) => f.path),
        })),
    }));
  const seen = new Map<string, string>();
  for (const t of tables) {
    const other = seen.get(t.name);
    if (other) throw new Error(`two folders would both be table ${t.name}: ${other} and ${t.location}; rename one`);
    seen.set(t.name, t.location);
  }
  return { tables, ignored };
}

/** A column of a Parquet footer, as DuckDB's parquet_schema reports it. */
export interface FooterField {
  readonly file: string;
  readonly name: string;
  /** Physical type: BYTE_ARRAY, INT64, DOUBLE, ...; null for the root (group) element. */
  readonly type: string | null;
  readonly convertedType: string | null;
  readonly logicalType: string | null;
  readonly scale?: number | null;
  readonly precision?: number | null;
}

/** The Hive type Glue records for a Parquet column (the crawler's mapping). */
export function hiveTypeOfParquet(f: FooterField): string {
  const logical = f.logicalType ?? '';
  const converted = f.convertedType ?? '';
  if (logical.startsWith('TimestampType') || converted.startsWith('TIMESTAMP')) return 'timestamp';
  if (logical.startsWith('DecimalType') || converted === 'DECIMAL') return `decimal(${f.precision ?? 38},${f.scale ?? 0})`;
  if (logical.startsWith('DateType') || converted === 'DATE') return 'date';
  switch (f.type) {
    case 'BYTE_ARRAY':
      return logical.startsWith('StringType') || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON' ? 'string' : 'binary';
    case 'INT64':
      return 'bigint';
    case 'INT32':
      return converted === 'INT_16' ? 'smallint' : converted === 'INT_8' ? 'tinyint' : 'int';
    case 'DOUBLE':
      return 'double';
    case 'FLOAT':
      return 'float';
    case 'BOOLEAN':
      return 'boolean';
    case 'INT96':
      return 'timestamp';
    default:
      return `unsupported(${f.type ?? 'group'})`;
  }
}

/**
 * The table schema from every file's columns: the union in order of first appearance; a
 * column whose type differs between files keeps the first type and is reported. Pure.
 */
export function mergeSchemas(perFile: ReadonlyMap<string, readonly CatalogColumn[]>): {
  columns: CatalogColumn[];
  conflicts: string[];
  uniform: boolean;
} {
  const columns: CatalogColumn[] = [];
  const typeOf = new Map<string, string>();
  const conflicts: string[] = [];
  let reference: string | null = null;
  let uniform = true;
  for (const [file, cols] of perFile) {
    const signature = cols.map((c) => `${c.name}:${c.type}`).join(',');
    if (reference === null) reference = signature;
    else if (signature !== reference) uniform = false;
    for (const c of cols) {
      const known = typeOf.get(c.name);
      if (known === undefined) {
        typeOf.set(c.name, c.type);
        columns.push(c);
      } else if (known !== c.type) {
        conflicts.push(`${file}: column ${c.name} is ${c.type}, the table has ${known}`);
      }
    }
  }
  return { columns, conflicts, uniform };
}

/** Differences between a discovered table and the lake contract of lib/lake.ts, if it has one. */
export function contractDrift(table: Pick<CatalogTable, 'name' | 'columns'>): string[] {
  const contract = LAKE_TABLES.find((t) => t.name === table.name);
  if (!contract) return [];
  const found = new Map(table.columns.map((c) => [c.name, c.type]));
  const out: string[] = [];
  for (const c of contract.columns) {
    const type = found.get(c.name);
    if (type === undefined) out.push(`${table.name}.${c.name} is missing`);
    else if (type !== hiveType(c.type)) out.push(`${table.name}.${c.name} is ${type}, the contract says ${hiveType(c.type)}`);
  }
  return out;
}

/** Reads the footers of `files` (absolute paths) through DuckDB. */
export async function readFooters(conn: DuckDBConnection, files: readonly string[]): Promise<FooterField[]> {
  if (files.length === 0) return [];
  const reader = await conn.runAndReadAll(
    `SELECT file_name, name, type, converted_type, logical_type, scale, precision
     FROM parquet_schema($files)`,
    { files: listValue([...files]) },
    // A list of paths: a bound LIST(VARCHAR), so no path is ever spliced into SQL text.
    { files: LIST(VARCHAR) },
  );
  return reader.getRowObjectsJS().map((r) => ({
    file: String(r.file_name),
    name: String(r.name),
    type: (r.type as string | null) ?? null,
    convertedType: (r.converted_type as string | null) ?? null,
    logicalType: (r.logical_type as string | null) ?? null,
    scale: r.scale === null ? null : Number(r.scale),
    precision: r.precision === null ? null : Number(r.precision),
  }));
}

/** Columns of each file, root element skipped. Pure. */
export function columnsByFile(fields: readonly FooterField[]): Map<string, CatalogColumn[]> {
  const out = new Map<string, CatalogColumn[]>();
  for (const f of fields) {
    if (f.type === null) continue; // the schema root (a group), not a column
    const list = out.get(f.file) ?? [];
    list.push({ name: f.name, type: hiveTypeOfParquet(f) });
    out.set(f.file, list);
  }
  return out;
}

/** Crawls the lake folder: tables, partitions and schemas (see the file comment). */
export async function crawlLocal(root: string, conn: DuckDBConnection, now = new Date()): Promise<Catalog> {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`lake folder ${root} does not exist`);
  const { tables: found, ignored } = discoverTables(listLakeFiles(root));
  const tables: CatalogTable[] = [];
  for (const t of found) {
    const files = t.partitions.flatMap((p) => p.fileList.map((f) => join(root, f)));
    const perFile = columnsByFile(await readFooters(conn, files));
    // Key by lake-relative path so that the persisted catalog does not depend on where the lake is mounted.
    const relative = new Map([...perFile].map(([file, cols]) => [relativePath(root, file), cols] as const));
    const { columns, conflicts, uniform } = mergeSchemas(relative);
    tables.push({
      name: t.name,
      location: t.location,
      format: 'parquet',
      columns: columns.filter((c) => c.name !== 'dt'),
      partitionKeys: [{ name: 'dt', type: 'string' }],
      partitions: t.partitions.map(({ fileList: _fileList, ...p }) => p),
      schemaConflicts: conflicts,
      uniformSchema: uniform,
    });
  }
  return { source: 'local', database: LOCAL_DATABASE, location: root, crawledAt: now.toISOString(), tables, ignoredFiles: ignored };
}

function relativePath(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Writes `<lake>/_catalog.json` atomically (a reader never sees half a file). */
export function saveCatalog(root: string, catalog: Catalog): string {
  const path = join(root, CATALOG_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, ...catalog, location: '.' }, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}

/** `<lake>/_catalog.json`, or null when the lake has not been crawled. */
export function loadCatalog(root: string): Catalog | null {
  const path = join(root, CATALOG_FILE);
  if (!existsSync(path)) return null;
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Catalog & { version?: number };
  if (parsed.version !== 1 || parsed.source !== 'local' || !Array.isArray(parsed.tables)) {
    throw new Error(`${path} is not a tickstream catalog (version 1); run \`tickstream catalog crawl\` again`);
  }
  const { version: _version, ...catalog } = parsed;
  return { ...catalog, location: root };
}
