/**
 * The `tickstream` command line: one program, one subcommand per job. Each part of the
 * system registers its own commands; their implementations are imported only when the
 * command runs, so `tickstream --help` stays fast.
 */
import { Command } from 'commander';
import { registerStackCommands } from '../local/cli.js';

const program = new Command('tickstream')
  .description('Real-time stock market data through Apache Kafka into a Parquet lake, queryable with SQL.')
  .showHelpAfterError()
  .enablePositionalOptions();

registerStackCommands(program);
(await import('../producer/cli.js')).registerProducerCommands(program);
(await import('../consumer/cli.js')).registerSinkCommands(program);
(await import('../analytics/cli.js')).registerAnalyticsCommands(program);
(await import('../compact/cli.js')).registerCompactCommand(program);
(await import('../dashboard/cli.js')).registerDashboardCommand(program);
(await import('../demo/cli.js')).registerDemoCommand(program);

await program.parseAsync(process.argv);
