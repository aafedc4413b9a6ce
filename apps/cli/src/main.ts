import { Command, CommanderError } from 'commander';
import { isRedoubtError } from '@redoubt/errors';
import { registerClusterCommands } from './commands/cluster-commands.js';
import { registerBackupCommands } from './commands/backup-commands.js';

/**
 * `redoubt`: a thin shell. Each command group lives in its own file under commands/ and talks to the
 * services over HTTP; errors print one line with the stable code and exit non-zero.
 */
const program = new Command()
  .name('redoubt')
  .description('Operate a redoubt cluster: status, placement, nodes, backups and restores.')
  .option('--json', 'machine-readable output')
  .showHelpAfterError()
  .exitOverride();

program
  .command('version')
  .description('print the CLI version')
  .action(() => console.log('redoubt 0.1.0'));
registerClusterCommands(program);
registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (isRedoubtError(error)) {
    console.error(`redoubt: ${error.code}: ${error.message}`);
  } else {
    console.error(`redoubt: ${(error as Error).message}`);
  }
  process.exit(error && typeof error === 'object' && 'exitCode' in error ? Number(error.exitCode) : 1);
}
