/** Parsed command line: positional words and `--name value` / `--flag` options. */
export interface Args {
  positional: string[];
  options: Record<string, string | true>;
}

/** A top-level command group, e.g. `connectors` with `list|pause|resume|resync`. */
export interface CommandGroup {
  name: string;
  summary: string;
  /** One line per subcommand, shown by `npm run cli -- <name> --help`. */
  usage: string[];
  run(args: Args): Promise<void>;
}

/** Wrong use of the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word.startsWith('--')) {
      const [name, inline] = word.slice(2).split('=', 2);
      if (inline !== undefined) options[name] = inline;
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options[name] = argv[++i];
      else options[name] = true;
    } else {
      positional.push(word);
    }
  }
  return { positional, options };
}

/** The value of a required `--name`, or a usage error naming it. */
export function requireOption(args: Args, name: string): string {
  const value = args.options[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}
