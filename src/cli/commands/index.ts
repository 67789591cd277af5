import type { Command } from 'commander';
import { registerBenchCommand } from '../../bench/command.ts';
import { registerAdminCommand } from './admin.ts';
import { registerConnectCommands } from './connect.ts';
import { registerOrgCommands } from './org.ts';
import { registerPlacementCommands } from './placement.ts';
import { registerProvisionCommand } from './provision.ts';
import { registerRegistrationCommand } from './registration.ts';
import { registerRunCommands } from './run.ts';
import { registerTestCommand } from './test.ts';

export function registerCommands(program: Command): void {
  registerRunCommands(program);
  registerTestCommand(program);
  registerOrgCommands(program);
  registerPlacementCommands(program);
  registerAdminCommand(program);
  registerProvisionCommand(program);
  registerRegistrationCommand(program);
  registerBenchCommand(program);
  registerConnectCommands(program);
}
