/**
 * Waiting for a condition instead of for a fixed time. A test that sleeps "long enough" is slow on
 * a quiet machine and flaky on a loaded one (two shared cores at load 5-15 here), and a flake can
 * hide a real bug. `until` polls `probe` until it returns a value (anything but `undefined`,
 * `false` or `null`), and resolves with it; past `timeoutMs` it throws one line naming `what`,
 * the bound and the last value or error seen. The bound (default 20 s, under vitest's 30 s test
 * timeout so the message is the one reported) is generous on purpose: it only decides
 * how long a genuinely failing test takes to say so, never how fast a passing one runs.
 */
export type UntilOptions = { timeoutMs?: number; everyMs?: number };

export async function until<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, opts: UntilOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const everyMs = opts.everyMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = `last: ${JSON.stringify(v) ?? String(v)}`;
    } catch (e) {
      last = `last error: ${e instanceof Error ? e.message : String(e)}`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

