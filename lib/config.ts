/**
 * Configuration: typed settings read from an optional JSON file and from environment
 * variables (environment wins), validated once at start-up.
 *
 * Each part of the system declares the settings it reads as a `ConfigSpec`: sections of
 * named settings, each with its environment variable, default and parser. `loadConfig`
 * turns a spec into a plain typed object, or throws a `ConfigError` that names every bad
 * key (both the file path `section.key` and the environment variable), so that a service
 * with a bad setting stops before it touches Kafka or storage.
 *
 * The file is JSON with one object per section, for example
 * `{ "kafka": { "bootstrap": "b1:9092,b2:9092" }, "topics": { "partitions": 12 } }`;
 * its path comes from `--config` or `TICKSTREAM_CONFIG`.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** A value as it arrives: a string from the environment, any JSON value from the file. */
type RawValue = unknown;

export interface Setting<T> {
  /** Environment variable that sets it, e.g. `TICKSTREAM_KAFKA_BOOTSTRAP`. */
  readonly env: string;
  /** Value when neither file nor environment sets it; `undefined` makes the setting optional. */
  readonly default: T;
  /** One line for `--help` and the README. */
  readonly doc: string;
  /** Never echo the value in errors or logs. */
  readonly secret?: boolean;
  /** Turns a raw value into T, or throws an Error whose message says what was expected. */
  parse(raw: RawValue): T;
}

export type ConfigSpec = Record<string, Record<string, Setting<unknown>>>;

/** The typed object `loadConfig` returns for a spec. */
export type ConfigOf<S extends ConfigSpec> = {
  readonly [Section in keyof S]: {
    readonly [Key in keyof S[Section]]: S[Section][Key] extends Setting<infer T> ? T : never;
  };
};

/** Values a caller (usually a CLI flag) sets on top of file and environment: `{ 'stack.brokers': 3 }`. */
export type ConfigOverrides = Record<string, RawValue>;

export interface ConfigProblem {
  /** `section.key` as written in the config file. */
  readonly key: string;
  readonly env: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      'invalid configuration:\n' +
        problems.map((p) => `  ${p.key} (${p.env}): ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to `env.TICKSTREAM_CONFIG` when set. */
  readonly file?: string;
  /** Highest precedence, keyed by `section.key`. */
  readonly overrides?: ConfigOverrides;
}

export function loadConfig<S extends ConfigSpec>(spec: S, options: LoadOptions = {}): ConfigOf<S> {
  const env = options.env ?? process.env;
  const filePath = options.file ?? env.TICKSTREAM_CONFIG;
  const fileValues = filePath ? readConfigFile(filePath) : {};
  const problems: ConfigProblem[] = [];
  checkUnknownKeys(spec, fileValues, options.overrides ?? {}, problems);

  const result: Record<string, Record<string, unknown>> = {};
  for (const [section, settings] of Object.entries(spec)) {
    const out: Record<string, unknown> = {};
    for (const [key, setting] of Object.entries(settings)) {
      const path = `${section}.${key}`;
      let raw: { value: RawValue; origin: string };
      try {
        raw = pickRaw(path, setting, env, fileValues[section], options.overrides ?? {});
      } catch (err) {
        problems.push({ key: path, env: `${setting.env}_FILE`, message: (err as Error).message });
        continue;
      }
      if (raw.value === undefined) {
        out[key] = setting.default;
        continue;
      }
      try {
        out[key] = setting.parse(raw.value);
      } catch (err) {
        const shown = setting.secret ? '(hidden)' : JSON.stringify(raw.value);
        problems.push({
          key: path,
          env: setting.env,
          message: `${(err as Error).message}, got ${shown} from ${raw.origin}`,
        });
      }
    }
    result[section] = out;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as ConfigOf<S>;
}

function pickRaw(
  path: string,
  setting: Setting<unknown>,
  env: NodeJS.ProcessEnv,
  fileSection: Record<string, unknown> | undefined,
  overrides: ConfigOverrides,
): { value: RawValue; origin: string } {
  const key = path.slice(path.indexOf('.') + 1);
  if (overrides[path] !== undefined) return { value: overrides[path], origin: 'the command line' };
  const fromEnv = env[setting.env];
  const secretFile = setting.secret ? env[`${setting.env}_FILE`] : undefined;
  if (secretFile !== undefined && secretFile !== '') {
    if (fromEnv !== undefined && fromEnv !== '') throw new Error(`set either $${setting.env} or $${setting.env}_FILE, not both`);
    return readSecretFile(secretFile, env);
  }
  if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, origin: `$${setting.env}` };
  if (fileSection && fileSection[key] !== undefined) return { value: fileSection[key], origin: 'the config file' };
  return { value: undefined, origin: 'default' };
}

/**
 * A secret setting's `<ENV>_FILE`: the file holds the value (one trailing newline dropped).
 * A relative path is a systemd credential: resolved in $CREDENTIALS_DIRECTORY, where
 * `LoadCredential=` puts it, so the secret never sits in the environment or a unit file.
 */
function readSecretFile(file: string, env: NodeJS.ProcessEnv): { value: RawValue; origin: string } {
  let path = file;
  if (!isAbsolute(file)) {
    const dir = env.CREDENTIALS_DIRECTORY;
    if (!dir) throw new Error(`${file} is a relative path (a systemd credential) but $CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)`);
    path = join(dir, file);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the secret file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new Error(`the secret file ${path} is empty`);
  return { value, origin: `the file ${path}` };
}

function readConfigFile(path: string): Record<string, Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([
      { key: '(file)', env: 'TICKSTREAM_CONFIG', message: `cannot read ${path}: ${(err as Error).message}` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([
      { key: '(file)', env: 'TICKSTREAM_CONFIG', message: `${path} is not valid JSON: ${(err as Error).message}` },
    ]);
  }
  if (!isPlainObject(parsed) || !Object.values(parsed).every(isPlainObject)) {
    throw new ConfigError([
      { key: '(file)', env: 'TICKSTREAM_CONFIG', message: `${path} must hold an object of sections, each an object` },
    ]);
  }
  return parsed as Record<string, Record<string, unknown>>;
}

/**
 * A typo in a known section of the file, or an override for a key nobody reads, is an
 * error: silently ignoring `"partitons": 12` is how a cluster ends up with the default.
 * Sections this spec does not know are left alone; another service may read them.
 */
function checkUnknownKeys(
  spec: ConfigSpec,
  file: Record<string, Record<string, unknown>>,
  overrides: ConfigOverrides,
  problems: ConfigProblem[],
): void {
  for (const [section, values] of Object.entries(file)) {
    const known = spec[section];
    if (!known) continue;
    for (const key of Object.keys(values)) {
      if (!(key in known)) {
        problems.push({ key: `${section}.${key}`, env: '-', message: `unknown setting; known: ${Object.keys(known).join(', ')}` });
      }
    }
  }
  for (const path of Object.keys(overrides)) {
    const [section = '', key = ''] = path.split('.', 2);
    if (!spec[section] || !(key in spec[section])) {
      problems.push({ key: path, env: '-', message: 'unknown setting' });
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------
// Setting constructors. Each returns a Setting<T> whose parser accepts the string form
// (environment) and the JSON form (file).

interface Base<T> {
  env: string;
  doc: string;
  default: T;
  secret?: boolean;
}

export function stringSetting<D extends string | undefined>(
  opts: Base<D> & { pattern?: RegExp; patternDoc?: string; allowEmpty?: boolean },
): Setting<string | D> {
  return {
    ...opts,
    parse(raw) {
      if (typeof raw !== 'string') throw new Error('expected a string');
      if (raw.length === 0 && !opts.allowEmpty) throw new Error('expected a non-empty string');
      if (opts.pattern && !opts.pattern.test(raw)) throw new Error(`expected ${opts.patternDoc ?? opts.pattern.source}`);
      return raw;
    },
  };
}

export function intSetting<D extends number | undefined>(
  opts: Base<D> & { min?: number; max?: number },
): Setting<number | D> {
  return {
    ...opts,
    parse(raw) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new Error('expected an integer');
      if (opts.min !== undefined && n < opts.min) throw new Error(`expected an integer >= ${opts.min}`);
      if (opts.max !== undefined && n > opts.max) throw new Error(`expected an integer <= ${opts.max}`);
      return n;
    },
  };
}

export function numberSetting<D extends number | undefined>(
  opts: Base<D> & { min?: number; exclusiveMin?: number; max?: number },
): Setting<number | D> {
  return {
    ...opts,
    parse(raw) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw new Error('expected a number');
      if (opts.min !== undefined && n < opts.min) throw new Error(`expected a number >= ${opts.min}`);
      if (opts.exclusiveMin !== undefined && n <= opts.exclusiveMin) throw new Error(`expected a number > ${opts.exclusiveMin}`);
      if (opts.max !== undefined && n > opts.max) throw new Error(`expected a number <= ${opts.max}`);
      return n;
    },
  };
}

export function boolSetting(opts: Base<boolean>): Setting<boolean> {
  return {
    ...opts,
    parse(raw) {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      throw new Error('expected true or false');
    },
  };
}

export function enumSetting<const V extends string, D extends V | undefined>(
  opts: Base<D> & { values: readonly V[] },
): Setting<V | D> {
  return {
    ...opts,
    parse(raw) {
      if (typeof raw !== 'string' || !(opts.values as readonly string[]).includes(raw)) {
        throw new Error(`expected one of ${opts.values.join(', ')}`);
      }
      return raw as V;
    },
  };
}

/** Comma-separated in the environment, an array of strings in the file. */
export function listSetting(opts: Base<readonly string[]> & { itemPattern?: RegExp }): Setting<readonly string[]> {
  return {
    ...opts,
    parse(raw) {
      const items = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
          : null;
      if (!items || items.length === 0 || !items.every((s) => typeof s === 'string' && s.length > 0)) {
        throw new Error('expected a non-empty comma-separated list');
      }
      if (opts.itemPattern) {
        const bad = items.find((s) => !opts.itemPattern!.test(s as string));
        if (bad !== undefined) throw new Error(`item ${JSON.stringify(bad)} does not match ${opts.itemPattern.source}`);
      }
      return items as string[];
    },
  };
}

/** `host:port[,host:port...]`, the form librdkafka's `bootstrap.servers` takes. */
export function hostPortListSetting(opts: Base<string>): Setting<string> {
  const hostPort = /^[A-Za-z0-9._-]+:\d{1,5}$/;
  return {
    ...opts,
    parse(raw) {
      if (typeof raw !== 'string') throw new Error('expected host:port[,host:port...]');
      const parts = raw.split(',').map((s) => s.trim());
      if (parts.length === 0 || !parts.every((p) => hostPort.test(p) && Number(p.split(':')[1]) <= 65535)) {
        throw new Error('expected host:port[,host:port...]');
      }
      return parts.join(',');
    },
  };
}

/** A setting's default as help text shows it: `(unset)`, `(hidden)` for a secret, else its JSON. */
export function describeDefault(s: Setting<unknown>): string {
  return s.default === undefined ? '(unset)' : s.secret ? '(hidden)' : JSON.stringify(s.default);
}

/** The setting `section.key` of a spec; throws naming it when the spec has none (a typo in a flag table). */
export function settingOf(spec: ConfigSpec, path: string): Setting<unknown> {
  const [section = '', key = ''] = path.split('.', 2);
  const s = spec[section]?.[key];
  if (!s) throw new Error(`no setting ${path} in the spec`);
  return s;
}

/** Lines describing every setting of a spec, for `--help` output and docs. */
export function describeSpec(spec: ConfigSpec): string[] {
  const lines: string[] = [];
  for (const [section, settings] of Object.entries(spec)) {
    for (const [key, s] of Object.entries(settings)) {
      const def = describeDefault(s);
      lines.push(`${s.env.padEnd(36)} ${`${section}.${key}`.padEnd(28)} ${s.doc} [default ${def}]`);
    }
  }
  return lines;
}
