/**
 * The live dashboard: a small HTTP server on loopback that serves one page and pushes
 * market and pipeline state to it with server-sent events.
 *
 *   GET /                 the page (dashboard/public/index.html)
 *   GET /app.js, /app.css the page's script and style
 *   GET /vendor/lightweight-charts.js   the charting library, from node_modules (no CDN)
 *   GET /api/state        everything as one JSON snapshot (tests and curl)
 *   GET /events           server-sent events: `snapshot` once, then `ticks`, `health`, `queries`
 *
 * No build step: the page is plain HTML and a plain script.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/logger.js';
import type { Tick } from '../lib/tick.js';
import { MarketBoard, type CandleUpdate } from './candles.js';
import { readHealth, type Health, type HealthSources } from './health.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PUBLIC = join(HERE, 'public');

/** A named query's latest result as the page shows it. */
export interface QueryPanel {
  readonly name: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<Record<string, unknown>>;
  readonly error?: string;
  readonly at: number;
}

export interface DashboardOptions {
  readonly port: number;
  readonly host?: string;
  readonly log: Logger;
  readonly health: HealthSources;
  readonly candleIntervalSec?: number;
  /** Runs the dashboard's named queries against the lake; called every `queryEveryMs`. */
  readonly runQueries?: () => Promise<QueryPanel[]>;
  readonly queryEveryMs?: number;
  readonly healthEveryMs?: number;
}

export class DashboardServer {
  readonly board: MarketBoard;
  private server: Server | null = null;
  private readonly clients = new Set<ServerResponse>();
  private pending = new Map<string, CandleUpdate>();
  private health: Health | null = null;
  private queries: QueryPanel[] = [];
  private timers: NodeJS.Timeout[] = [];
  private queriesRunning = false;
  port = 0;

  constructor(private readonly options: DashboardOptions) {
    this.board = new MarketBoard(options.candleIntervalSec ?? 60);
  }

  /** Folds ticks into the board; the changed candles go out with the next push. */
  ingest(ticks: readonly Tick[]): void {
    for (const t of ticks) {
      const update = this.board.add(t);
      if (update) this.pending.set(`${update.symbol}@${update.candle.time}`, update);
    }
  }

  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    this.server = createServer((req, res) => this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `dashboard port ${this.options.port} is already in use on ${host}` : err.message)),
      );
      this.server!.listen(this.options.port, host, () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : this.options.port;
    this.timers.push(setInterval(() => this.pushTicks(), 250));
    this.timers.push(setInterval(() => void this.refreshHealth(), this.options.healthEveryMs ?? 1000));
    if (this.options.runQueries) {
      this.timers.push(setInterval(() => void this.refreshQueries(), this.options.queryEveryMs ?? 10_000));
      void this.refreshQueries();
    }
    void this.refreshHealth();
    this.options.log.info({ url: `http://${host}:${this.port}/` }, 'dashboard listening');
    return this.port;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const c of this.clients) c.end();
    this.clients.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Everything the page shows, as one object. */
  state(): Record<string, unknown> {
    return {
      symbols: this.board.symbols(),
      quotes: this.board.quotesList(),
      candles: Object.fromEntries(this.board.symbols().map((s) => [s, this.board.candlesOf(s)])),
      candleIntervalSec: this.board.intervalSec,
      health: this.health,
      queries: this.queries,
    };
  }

  async refreshHealth(): Promise<void> {
    this.health = await readHealth(this.options.health, this.health);
    this.broadcast('health', this.health);
  }

  async refreshQueries(): Promise<void> {
    if (!this.options.runQueries || this.queriesRunning) return;
    this.queriesRunning = true;
    try {
      this.queries = await this.options.runQueries();
      this.broadcast('queries', this.queries);
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'dashboard queries failed');
    } finally {
      this.queriesRunning = false;
    }
  }

  private pushTicks(): void {
    if (this.pending.size === 0) return;
    const updates = [...this.pending.values()];
    this.pending = new Map();
    this.broadcast('ticks', updates);
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/':
        return sendFile(res, join(PUBLIC, 'index.html'), 'text/html; charset=utf-8');
      case '/app.js':
        return sendFile(res, join(PUBLIC, 'app.js'), 'text/javascript; charset=utf-8');
      case '/app.css':
        return sendFile(res, join(PUBLIC, 'app.css'), 'text/css; charset=utf-8');
      case '/vendor/lightweight-charts.js':
        return sendFile(res, chartsLibraryPath(), 'text/javascript; charset=utf-8');
      case '/api/state':
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(this.state()));
        return;
      case '/events':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`event: snapshot\ndata: ${JSON.stringify(this.state())}\n\n`);
        this.clients.add(res);
        req.on('close', () => this.clients.delete(res));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
    }
  }
}

function chartsLibraryPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('lightweight-charts/package.json');
  return join(dirname(pkg), 'dist', 'lightweight-charts.standalone.production.js');
}

function sendFile(res: ServerResponse, path: string, type: string): void {
  try {
    const body = readFileSync(path);
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }
}
