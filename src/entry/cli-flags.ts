/** What the `kee` subcommands share: `--name value` option parsing and the `PUT` of a signed document to a kernel. */

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

/**
 * `PUT` a signed document's JSON text to a kernel path: prints the kernel's answer (stdout when
 * accepted, stderr when refused) and returns the exit code — 0 accepted, 1 refused (4xx), 2 the
 * kernel unreachable or failing. `command` names the subcommand in the one-line error.
 */
export async function putToKernel(command: string, url: string, path: string, body: string): Promise<number> {
  let res: Response;
  try {
    res = await fetch(new URL(path, url), { method: 'PUT', headers: { 'content-type': 'application/json' }, body });
  } catch (e) {
    console.error(`${command}: cannot reach ${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    return 2;
  }
  const answer = await res.text();
  if (res.ok) {
    console.log(answer);
    return 0;
  }
  console.error(answer);
  return res.status >= 400 && res.status < 500 ? 1 : 2;
}
