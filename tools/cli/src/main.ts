import 'reflect-metadata';
import { parseArgs, UsageError } from './command';
import { COMMAND_GROUPS } from './commands';

/** `npm run cli -- <group> <command> [--options]`: the operators' command line. */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const [groupName] = args.positional;
  const group = COMMAND_GROUPS.find((g) => g.name === groupName);
  if (!groupName || args.options.help === true && !group) {
    printUsage();
    return groupName ? 0 : 2;
  }
  if (!group) throw new UsageError(`unknown command "${groupName}" (one of: ${COMMAND_GROUPS.map((g) => g.name).join(', ') || 'none yet'})`);
  if (args.options.help === true) {
    process.stdout.write(group.usage.map((line) => `npm run cli -- ${group.name} ${line}\n`).join(''));
    return 0;
  }
  await group.run({ positional: args.positional.slice(1), options: args.options });
  return 0;
}

function printUsage(): void {
  process.stdout.write('usage: npm run cli -- <command> ...\n');
  for (const group of COMMAND_GROUPS) process.stdout.write(`  ${group.name.padEnd(12)} ${group.summary}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`cli: ${error.message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
