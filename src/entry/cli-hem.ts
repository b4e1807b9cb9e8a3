/**
 * `kee hem list | show | approve | reject`: the approver's side of human escalations
 * (docs/hem.md) from the shell, over the kernel's `/v1/hem` routes with an operator bearer token
 * (`--token`, else `KEE_OPERATOR_TOKEN`; mint one with `kee operator token --role approver`).
 * Prints the kernel's JSON answer; exit 0 on success, 1 when the kernel refuses (the problem's
 * code and detail on stderr) or cannot be reached, 2 for a usage error.
 */
import process from 'node:process';

const USAGE = `usage:
  kee hem list [--status PENDING|APPROVED|REJECTED|TIMEOUT_DENY] [--token <operator token>] [--url <kernel>]
      the human escalations, newest first (roles approver, operator or auditor)
  kee hem show <hem_id> [--token <operator token>] [--url <kernel>]
      one escalation
  kee hem approve <hem_id> [--comment <text>] [--token <approver token>] [--url <kernel>]
  kee hem reject <hem_id> [--comment <text>] [--token <approver token>] [--url <kernel>]
      answer a PENDING escalation (role approver: kee operator token --role approver)
  (--token defaults to KEE_OPERATOR_TOKEN; --url to KEE_URL, else http://127.0.0.1:8787)`;

const FLAGS = ['--status', '--comment', '--token', '--url'];

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    (verb === undefined ? console.error : console.log)(USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (!['list', 'show', 'approve', 'reject'].includes(verb)) return fail(`unknown command \`hem ${verb}\`: \`kee hem --help\` lists the commands`);
  const needsId = verb !== 'list';
  const hemId = needsId ? rest.shift() : undefined;
  if (needsId && (hemId === undefined || hemId.startsWith('--'))) return fail(`\`kee hem ${verb}\` needs the escalation's id: \`kee hem ${verb} <hem_id>\``);
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i] as string;
    const value = rest[i + 1];
    if (!FLAGS.includes(flag)) return fail(`unknown option \`${flag}\`: \`kee hem --help\` lists the options`);
    if (value === undefined) return fail(`${flag} needs a value`);
    opts[flag.slice(2)] = value;
  }
  if (opts.status !== undefined && verb !== 'list') return fail('--status is for `kee hem list` only');
  if (opts.comment !== undefined && verb !== 'approve' && verb !== 'reject') return fail(`--comment is for \`kee hem approve\` and \`kee hem reject\` only`);
  const token = opts.token ?? process.env.KEE_OPERATOR_TOKEN?.trim();
  if (!token) return fail('an operator token is needed: --token <jwt> or KEE_OPERATOR_TOKEN (mint one with `kee operator token --role approver`)');
  const base = (opts.url ?? process.env.KEE_URL?.trim() ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const path =
    verb === 'list'
      ? `/v1/hem/escalations${opts.status === undefined ? '' : `?status=${encodeURIComponent(opts.status)}`}`
      : `/v1/hem/escalations/${encodeURIComponent(hemId as string)}${verb === 'show' ? '' : `/${verb}`}`;
  const post = verb === 'approve' || verb === 'reject';
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: post ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${token}`, ...(post ? { 'content-type': 'application/json' } : {}) },
      ...(post ? { body: JSON.stringify(opts.comment === undefined ? {} : { comment: opts.comment }) } : {}),
    });
  } catch (e) {
    return fail(`cannot reach the kernel at ${base}: ${e instanceof Error ? e.message : String(e)}`, 1);
  }
  const text = await res.text();
  if (!res.ok) {
    let problem: { code?: string; detail?: string } = {};
    try {
      problem = JSON.parse(text) as { code?: string; detail?: string };
    } catch {
      // not problem+json: report the status
    }
    return fail(problem.code ? `${problem.code}: ${problem.detail ?? ''}` : `the kernel answered HTTP ${res.status}`, 1);
  }
  console.log(text);
  return 0;
}

function fail(message: string, code = 2): number {
  console.error(`kee: ${message}`);
  return code;
}
