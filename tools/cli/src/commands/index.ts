import { CommandGroup } from '../command';
import { clientsCommand } from './clients';
import { dlqCommand } from './dlq';
import { connectorsCommand } from './connectors';
import { profilesCommand } from './profiles';

// Each feature adds its command group here.
export const COMMAND_GROUPS: CommandGroup[] = [clientsCommand, connectorsCommand, dlqCommand, profilesCommand];
