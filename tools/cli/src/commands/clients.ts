import { ClientInputError, ClientStore, ROLES } from '@tandem/governance';
import { connectDatabase, DEFAULT_DATABASE_URL } from '@tandem/persistence';
import { Args, CommandGroup, requireOption, UsageError } from '../command';

/**
 * `clients create|list|disable|enable`: machine clients of the governed API, written straight to
 * the database (this is how the first admin comes to exist). Output is JSON.
 */
export const clientsCommand: CommandGroup = {
  name: 'clients',
  summary: 'machine clients of the governed API (create, list, disable, enable)',
  usage: [
    `create --name NAME --roles ROLE[,ROLE] [--rate-limit N]   roles: ${ROLES.join(', ')}; prints {"clientId", "clientSecret"}`,
    'list',
    'disable --id CLIENT_ID',
    'enable --id CLIENT_ID',
  ],
  async run(args: Args): Promise<void> {
    const [command] = args.positional;
    if (!['create', 'list', 'disable', 'enable'].includes(command ?? '')) throw new UsageError('clients: use create, list, disable or enable (see --help)');
    const db = await connectDatabase({ url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, timeoutMs: 10000, poolSize: 1, applicationName: 'tandem-cli' });
    try {
      const store = new ClientStore(db);
      if (command === 'create') {
        const roles = requireOption(args, 'roles').split(',').map((role) => role.trim()).filter(Boolean);
        const rateLimit = args.options['rate-limit'];
        const rateLimitPerSecond = typeof rateLimit === 'string' ? Number(rateLimit) : undefined;
        if (rateLimitPerSecond !== undefined && (!Number.isInteger(rateLimitPerSecond) || rateLimitPerSecond < 1)) throw new UsageError('--rate-limit must be a positive integer');
        const { client, clientSecret } = await store.create({ name: requireOption(args, 'name'), roles, rateLimitPerSecond }).catch(asUsage);
        process.stdout.write(`${JSON.stringify({ clientId: client.id, clientSecret })}\n`);
      } else if (command === 'list') {
        const clients = await store.list();
        process.stdout.write(`${JSON.stringify(clients.map(({ id, name, roles, disabled, rateLimitPerSecond }) => ({ clientId: id, name, roles, disabled, rateLimitPerSecond })))}\n`);
      } else {
        const id = requireOption(args, 'id');
        const client = await store.update(id, { disabled: command === 'disable' });
        if (!client) throw new UsageError(`no client with id ${id}`);
        process.stdout.write(`${JSON.stringify({ clientId: client.id, disabled: client.disabled })}\n`);
      }
    } finally {
      await db.destroy();
    }
  },
};

function asUsage(error: unknown): never {
  if (error instanceof ClientInputError) throw new UsageError(error.message);
  throw error;
}
