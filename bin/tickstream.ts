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

await program.parseAsync(process.argv);
