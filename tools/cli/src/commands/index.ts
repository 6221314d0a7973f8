import { CommandGroup } from '../command';
import { clientsCommand } from './clients';

// Each feature adds its command group here.
export const COMMAND_GROUPS: CommandGroup[] = [clientsCommand];
