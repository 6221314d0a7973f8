import { CommandGroup } from '../command';

// Each feature adds its command group here.
export const COMMAND_GROUPS: CommandGroup[] = [];
