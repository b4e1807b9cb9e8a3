/**
 * The console's only way to the kernel: its public HTTP API, with the operator token the person
 * signed in with (kept in sessionStorage for this tab; the kernel verifies it on every call).
 */
const KEY = 'kee.console.token';

export type Who = { token: string; subject: string; roles: string[] } | null;

export function who(): Who {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  const claims = decodeClaims(token);
  if (!claims) return null;
  return { token, subject: typeof claims.sub === 'string' ? claims.sub : '(no subject)', roles: Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [] };
}

export function signIn(token: string): Who {
  sessionStorage.setItem(KEY, token.trim());
  return who();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** Whether the signed-in person holds one of `roles` (what the page shows; the kernel decides). */
export function hasRole(...roles: string[]): boolean {
  const w = who();
  return w !== null && w.roles.some((r) => roles.includes(r));
}

/**
 * The JWT's claims, read without verifying (only to label the page: every call is checked by
 * the kernel, which holds the operator keys).
 */
function decodeClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A refusal or failure of the kernel, with its problem+json `code` when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function authHeaders(): Record<string, string> {
  const w = who();
  return w ? { authorization: `Bearer ${w.token}` } : {};
}

export async function call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { accept, ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!res.ok) {
    let code = `HTTP_${res.status}`;
    let message = res.statusText;
    try {
      const p = (await res.json()) as { code?: string; detail?: string; title?: string };
      code = p.code ?? code;
      message = p.detail ?? p.title ?? message;
    } catch {
      // not problem+json
    }
    throw new ApiError(res.status, code, `${code}: ${message}`);
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await call('GET', path)).json()) as T;
}

export async function getText(path: string, accept = 'text/plain'): Promise<string> {
  return (await call('GET', path, undefined, accept)).text();
}
