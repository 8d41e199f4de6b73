#!/usr/bin/env node
// The `tickstream` command. TypeScript runs directly through tsx: no build step.
import { register } from 'tsx/esm/api';

register();
await import('./tickstream.ts');
