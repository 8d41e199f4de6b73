// The dashboard page: listens to /events and draws candles, quotes, pipeline health and
// query results. Plain browser JavaScript, no build step; LightweightCharts is loaded by
// index.html from /vendor.
'use strict';

const state = { candles: {}, quotes: {}, selected: null, chart: null, series: null };
const $ = (id) => document.getElementById(id);
const fmt = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '–' : Number(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
const int = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));

function ensureChart() {
  if (state.chart) return;
  state.chart = LightweightCharts.createChart($('chart'), {
    autoSize: true,
    layout: { background: { color: '#161c23' }, textColor: '#d8dee6' },
    grid: { vertLines: { color: '#202832' }, horzLines: { color: '#202832' } },
    timeScale: { timeVisible: true, secondsVisible: true },
  });
  state.series = state.chart.addSeries(LightweightCharts.CandlestickSeries, {
    upColor: '#26a69a', downColor: '#ef5350', borderVisible: false, wickUpColor: '#26a69a', wickDownColor: '#ef5350',
  });
}

function select(symbol) {
  state.selected = symbol;
  ensureChart();
  const candles = state.candles[symbol] || [];
  state.series.setData(candles.map(toBar));
  state.chart.timeScale().fitContent();
  $('chart-title').textContent = symbol;
  $('candle-count').textContent = String(candles.length);
  for (const b of document.querySelectorAll('#symbols button')) b.classList.toggle('selected', b.dataset.symbol === symbol);
}

const toBar = (c) => ({ time: c.time, open: c.open, high: c.high, low: c.low, close: c.close });

function renderSymbols() {
  const nav = $('symbols');
  const symbols = Object.keys(state.quotes).sort();
  if (nav.childElementCount === symbols.length) return;
  nav.replaceChildren(...symbols.map((s) => {
    const b = document.createElement('button');
    b.textContent = s;
    b.dataset.symbol = s;
    b.dataset.testid = 'symbol-button';
    b.addEventListener('click', () => select(s));
    return b;
  }));
  if (!state.selected && symbols.length > 0) select(symbols[0]);
  else if (state.selected) select(state.selected);
}

function renderQuotes() {
  const rows = Object.values(state.quotes).sort((a, b) => a.symbol.localeCompare(b.symbol)).map((q) => {
    const tr = document.createElement('tr');
    const cls = q.change > 0 ? 'up' : q.change < 0 ? 'down' : '';
    tr.dataset.symbol = q.symbol;
    tr.innerHTML = `<td></td><td class="last">${fmt(q.last)}</td><td class="${cls}">${fmt(q.change)}</td><td class="${cls}">${fmt(q.changePct)}</td><td>${int(q.ticks)}</td><td>${new Date(q.lastTs).toISOString().slice(0, 19).replace('T', ' ')}</td>`;
    tr.firstChild.textContent = q.symbol;
    return tr;
  });
  $('quotes').tBodies[0].replaceChildren(...rows);
}

function applySnapshot(s) {
  state.candles = s.candles || {};
  state.quotes = Object.fromEntries((s.quotes || []).map((q) => [q.symbol, q]));
  renderSymbols();
  renderQuotes();
  if (s.health) renderHealth(s.health);
  if (s.queries) renderQueries(s.queries);
}

function applyTicks(updates) {
  for (const u of updates) {
    const series = (state.candles[u.symbol] ||= []);
    const i = series.findIndex((c) => c.time === u.candle.time);
    if (i >= 0) series[i] = u.candle;
    else { series.push(u.candle); series.sort((a, b) => a.time - b.time); }
    state.quotes[u.symbol] = u.quote;
    if (u.symbol === state.selected && state.series) {
      const last = series[series.length - 1];
      const grew = Number($('candle-count').textContent) !== series.length;
      if (u.candle.time === last.time) state.series.update(toBar(u.candle));
      else state.series.setData(series.map(toBar));
      // While the history is short, keep all of it in view; later, follow the newest candles.
      if (grew) {
        if (series.length <= 150) state.chart.timeScale().fitContent();
        else state.chart.timeScale().scrollToRealTime();
      }
      $('candle-count').textContent = String(series.length);
    }
  }
  renderSymbols();
  renderQuotes();
}

/** A service's state, as text and as the class that colours it. */
function showUp(id, up) {
  $(id).textContent = up ? 'up' : 'down';
  $(id).className = up ? 'up' : 'down';
}

/**
 * A counter: the exact value in data-value (what the tests read), formatted as text; a
 * stopped service's counter is its last answer, so `live` false says so rather than look current.
 */
function showCount(id, value, live = true) {
  $(id).textContent = live ? int(value) : `${int(value)} (last seen)`;
  $(id).dataset.value = String(value);
}

function renderHealth(h) {
  // When these numbers were read from the services (tests compare against their own pages).
  document.querySelector('[data-testid=health]').dataset.at = String(h.at);
  showUp('producer-up', h.producerUp);
  showUp('sink-up', h.sinkUp);
  showCount('delivered', h.delivered, h.producerUp);
  $('producer-rate').textContent = int(h.producerRate);
  showCount('sink-records', h.sinkRecords, h.sinkUp);
  showCount('files-written', h.filesWritten, h.sinkUp);
  showCount('sink-lag', h.sinkLag, h.sinkUp);
  // Dead letters come from both services: current only while both answer.
  showCount('dlq', h.dlq, h.producerUp && h.sinkUp);
}

/** Integers as integers, other numbers to four decimals, timestamps without the T and Z. */
function cellText(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? int(v) : fmt(v, Math.abs(v) >= 1000 ? 2 : 4);
  const s = String(v);
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) ? s.replace('T', ' ').replace('Z', '') : s;
}

function renderQueries(panels) {
  const container = $('query-panels');
  container.replaceChildren(...panels.map((p) => {
    const div = document.createElement('div');
    div.className = 'query';
    div.dataset.query = p.name;
    const h = document.createElement('h3');
    h.textContent = p.title;
    div.append(h);
    if (p.error) {
      const e = document.createElement('p');
      e.className = 'error';
      e.textContent = p.error;
      div.append(e);
      return div;
    }
    const table = document.createElement('table');
    const head = document.createElement('tr');
    for (const c of p.columns) { const th = document.createElement('th'); th.textContent = c; head.append(th); }
    table.append(head);
    for (const r of p.rows) {
      const tr = document.createElement('tr');
      for (const c of p.columns) {
        const td = document.createElement('td');
        const v = r[c];
        td.textContent = cellText(v);
        tr.append(td);
      }
      table.append(tr);
    }
    div.append(table);
    return div;
  }));
}

function connect() {
  const events = new EventSource('/events');
  events.addEventListener('open', () => { $('connection').textContent = 'live'; $('connection').className = 'badge live'; });
  events.addEventListener('error', () => { $('connection').textContent = 'reconnecting…'; $('connection').className = 'badge'; });
  events.addEventListener('snapshot', (e) => applySnapshot(JSON.parse(e.data)));
  events.addEventListener('ticks', (e) => applyTicks(JSON.parse(e.data)));
  events.addEventListener('health', (e) => renderHealth(JSON.parse(e.data)));
  events.addEventListener('queries', (e) => renderQueries(JSON.parse(e.data)));
}

connect();
