/**
 * Which settings table goes into which doc (lib/settings-docs.ts renders them). Used by
 * `npm run docs:settings` and by the unit test that keeps the docs in step with the specs.
 */
import { analyticsSpec } from '../analytics/settings.js';
import { compactSpec } from '../compact/settings.js';
import { sinkSpec } from '../consumer/settings.js';
import { demoSettings } from '../demo/settings.js';
import type { SettingsTable } from '../lib/settings-docs.js';
import { sharedSpec } from '../lib/settings.js';
import { stackSpec } from '../local/settings.js';
import { producerSpec } from '../producer/settings.js';

export const SETTINGS_TABLES: readonly SettingsTable[] = [
  { name: 'shared', doc: 'README.md', spec: sharedSpec },
  { name: 'stack', doc: 'README.md', spec: stackSpec },
  { name: 'demo', doc: 'README.md', spec: { demo: demoSettings } },
  { name: 'producer', doc: 'docs/producer.md', spec: producerSpec, sections: ['producer'] },
  { name: 'sink', doc: 'docs/sink.md', spec: sinkSpec, sections: ['lake', 'sink'] },
  { name: 'compact', doc: 'docs/compaction.md', spec: compactSpec, sections: ['lake', 'compact'] },
  { name: 'analytics', doc: 'docs/analytics.md', spec: analyticsSpec },
];
