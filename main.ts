/**
 * The CDK for Terraform app (`npx cdktf synth | deploy | destroy`, see cdktf.json).
 *
 * Builds one stack, `tickstream-<environment>`, from the `infra` settings (profile `prod` by
 * default, `TICKSTREAM_INFRA_PROFILE=dev` for the smallest layout; every key in
 * modules/settings.ts). One is required: `TICKSTREAM_INFRA_SSH_PUBLIC_KEY`, the public key
 * of the hosts' `admin` user. A bad or missing setting stops here, before any Terraform is
 * written.
 *
 *   npx cdktf synth                     Terraform JSON in cdktf.out/stacks/tickstream-prod/
 *   npx cdktf synth --hcl               plain HCL (cdk.tf), usable with terraform alone
 *   TICKSTREAM_INFRA_PROFILE=dev npx cdktf deploy
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { ConfigError } from './lib/config.js';
import { readNamedQueries } from './modules/analytics.js';
import { loadInfraConfig } from './modules/settings.js';
import { stackName, TickstreamStack } from './modules/stack.js';

const QUERIES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'analytics', 'queries');

function main(): void {
  const config = loadInfraConfig();
  const app = new App();
  new TickstreamStack(app, stackName(config.environment), { config, queries: readNamedQueries(QUERIES_DIR) });
  app.synth();
}

try {
  main();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`tickstream infra: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
