/**
 * The operator key set, configured at init: `KEE_OPERATOR_JWKS` is a JWKS file (public keys of
 * the identity provider that issues operator tokens) or its `https` URL; `KEE_OPERATOR_ISSUER`
 * and `KEE_OPERATOR_AUDIENCE`, when set, are required of every token. Without
 * `KEE_OPERATOR_JWKS`, a DEVELOPMENT operator key pair is created on first start under
 * `$KEE_DATA_DIR/dev-operator/` (the private JWK mode 0600) and reused afterwards; tokens for it
 * are minted with `kee operator token --role operator` (cli-operator.ts).
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type JSONWebKeySet } from 'jose';
import { checkJwks, joseOperatorTokenVerifier } from '../adapters/jose/operator-tokens.ts';
import type { OperatorTokenVerifier } from '../ports/operator-auth.ts';

/** The development operator key: `<dir>/operator.jwk` (private, 0600) and `<dir>/jwks.json` (public). */
export const DEV_OPERATOR_DIR = 'dev-operator';
export const DEV_OPERATOR_KEY = 'operator.jwk';

type Env = Record<string, string | undefined>;

/** The key set `KEE_OPERATOR_JWKS` names, or the dev key's (created on first use); throws a one-line Error for a bad value. */
export async function loadOperatorVerifier(env: Env, dataDir: string, log: (line: string) => void): Promise<OperatorTokenVerifier> {
  const issuer = env.KEE_OPERATOR_ISSUER?.trim() || undefined;
  const audience = env.KEE_OPERATOR_AUDIENCE?.trim() || undefined;
  const claims = { ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
  const configured = env.KEE_OPERATOR_JWKS?.trim();
  if (configured) {
    const jwks = await readOperatorJwks(configured);
    log(`kee: operator tokens verified against ${jwks instanceof URL ? jwks.href : `${jwks.keys.length} key(s) in ${configured}`} (KEE_OPERATOR_JWKS)${issuer ? `, issuer ${issuer}` : ''}${audience ? `, audience ${audience}` : ''}`);
    return joseOperatorTokenVerifier({ jwks, ...claims });
  }
  const dir = join(dataDir, DEV_OPERATOR_DIR);
  const { publicJwk } = await devOperatorKey(dir);
  log(`kee: no KEE_OPERATOR_JWKS configured: operator tokens are verified against a DEVELOPMENT key under ${dir} (for development only; never in production); mint one with \`kee operator token --role operator\``);
  return joseOperatorTokenVerifier({ jwks: { keys: [publicJwk] }, ...claims });
}

/** `KEE_OPERATOR_JWKS`: an `https` URL, or a file holding a JWKS of public asymmetric keys. */
export async function readOperatorJwks(value: string): Promise<JSONWebKeySet | URL> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    const url = new URL(value);
    if (url.protocol !== 'https:') throw new Error(`KEE_OPERATOR_JWKS must be an https URL or a file, got \`${value}\``);
    return url;
  }
  let text: string;
  try {
    text = await readFile(value, 'utf8');
  } catch (e) {
    throw new Error(`KEE_OPERATOR_JWKS: cannot read \`${value}\`: ${(e as { code?: string }).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`KEE_OPERATOR_JWKS: \`${value}\` is not JSON`);
  }
  try {
    return checkJwks(parsed);
  } catch (e) {
    throw new Error(`KEE_OPERATOR_JWKS: \`${value}\`: ${(e as Error).message}`);
  }
}

/** The dev key pair in `dir`: read, or created once (Ed25519, `kid` = its RFC 7638 thumbprint). */
export async function devOperatorKey(dir: string): Promise<{ privateJwk: JWK; publicJwk: JWK; keyFile: string }> {
  const keyFile = join(dir, DEV_OPERATOR_KEY);
  try {
    const privateJwk = JSON.parse(await readFile(keyFile, 'utf8')) as JWK;
    const { d: _, ...publicJwk } = privateJwk;
    return { privateJwk, publicJwk, keyFile };
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw new Error(`cannot read the development operator key \`${keyFile}\`: ${(e as Error).message}`);
  }
  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('Ed25519', { extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub);
  const publicJwk: JWK = { ...pub, kid, alg: 'EdDSA', use: 'sig' };
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
  await writeFile(keyFile, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(keyFile, 0o600);
  await writeFile(join(dir, 'jwks.json'), `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`, { flag: 'wx' });
  return { privateJwk, publicJwk, keyFile };
}
