import { Command } from 'commander';
import { ConfigError } from '../config/load.ts';
import { componentLogger } from '../log.ts';
import { registerCommands } from './commands/index.ts';
import { installCrashHandlers } from './crash.ts';

/**
 * Errors whose message tells a person what to fix: our own error classes, and plain Errors thrown on purpose with a
 * message for people. TypeErrors and the like are bugs and get their stack.
 */
const ACTIONABLE = new Set(['ConfigError', 'RegistrationError', 'OrgValidationError', 'WorkspacePathError', 'RunTaskFailedError']);
const isActionable = (err: unknown): boolean =>
  err instanceof Error && (ACTIONABLE.has(err.name) || Object.getPrototypeOf(err) === Error.prototype);

installCrashHandlers(componentLogger('cli'));

// `./fleet org list | head` closes the pipe early; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command()
  .name('fleet')
  .description('Open Claw Fleet: a company of AI employees on Matrix')
  .showHelpAfterError();
registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Errors a person can act on are printed plainly, without a stack trace.
  if (err instanceof ConfigError || isActionable(err)) {
    console.error((err as Error).message);
  } else {
    console.error(err);
  }
  process.exitCode = 1;
}
