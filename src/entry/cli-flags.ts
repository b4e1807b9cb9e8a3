/** Option parsing shared by the `kee` subcommands that take `--name value` options and file arguments. */

/** A mistake in the command line: the subcommand prints it in one line with its usage and exits 2. */
export class UsageError extends Error {}

export type Flags = { opts: Record<string, string>; args: string[] };

/** `--name value` pairs (only the `allowed` names) and exactly `positional` file arguments. */
export function flags(argv: string[], allowed: string[], positional = 0): Flags {
  const opts: Record<string, string> = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('--')) {
      const name = a.slice(2);
      const value = argv[++i];
      if (!allowed.includes(name)) throw new UsageError(`unknown option \`${a}\``);
      if (value === undefined) throw new UsageError(`\`${a}\` needs a value`);
      opts[name] = value;
    } else args.push(a);
  }
  if (args.length !== positional) throw new UsageError(positional ? `expected ${positional} file argument${positional > 1 ? 's' : ''}` : `unexpected argument \`${args[0]}\``);
  return { opts, args };
}
