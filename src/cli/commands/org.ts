import type { Command } from 'commander';
import { formatOrgTable, orgToJson } from '../../org/format.ts';
import { fleetContext, orgFor } from '../context.ts';

export function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('the people directory');
  org.command('list')
    .description('print the directory: matrixId, name, title, level, department, team, reportsTo, human')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const { config, root } = fleetContext();
      const people = orgFor(config, root).all();
      process.stdout.write(opts.json ? `${JSON.stringify(orgToJson(people), null, 2)}\n` : formatOrgTable(people));
    });
}
