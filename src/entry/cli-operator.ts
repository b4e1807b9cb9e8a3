/**
 * `kee operator token --role <role> [--role <role>…] [--ttl <seconds>] [--key <jwk file>]
 * [--sub <name>]`: mints an operator bearer token (EdDSA JWT) with the development operator
 * key the local start created (`$KEE_DATA_DIR/dev-operator/operator.jwk`) or the private JWK
 * `--key` names. `iss` / `aud` are KEE_OPERATOR_ISSUER / KEE_OPERATOR_AUDIENCE when set. Prints
 * only the token, so `TOKEN=$(npm run -s kee -- operator token --role operator)` works.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { importJWK, SignJWT, type JWK } from 'jose';
import { OPERATOR_ROLES, type OperatorRole } from '../kernel/auth/operator-roles.ts';
import { DEV_OPERATOR_DIR, DEV_OPERATOR_KEY } from './operator-keys.ts';

const USAGE = `usage:
  kee operator token --role <operator|auditor|approver> [--role …] [--ttl <seconds>] [--key <private jwk file>] [--sub <name>]
      mint an operator bearer token (default: the development key under $KEE_DATA_DIR/dev-operator,
      ttl 3600 s, sub \`dev-operator\`); iss and aud from KEE_OPERATOR_ISSUER / KEE_OPERATOR_AUDIENCE`;

/** Longest lifetime a minted token may have (one day). */
const MAX_TTL = 86_400;

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    (verb === undefined ? console.error : console.log)(USAGE);
    return verb === undefined ? 2 : 0;
  }
  if (verb !== 'token') return fail(`unknown command \`operator ${verb}\`: \`kee operator --help\` lists the commands`);
  const roles: OperatorRole[] = [];
  let ttl = 3600;
  let keyFile: string | undefined;
  let sub = 'dev-operator';
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i] as string;
    const value = rest[i + 1];
    if (!['--role', '--ttl', '--key', '--sub'].includes(flag)) return fail(`unknown option \`${flag}\`: \`kee operator --help\` lists the options`);
    if (value === undefined) return fail(`${flag} needs a value`);
    i++;
    if (flag === '--role') {
      if (!(OPERATOR_ROLES as readonly string[]).includes(value)) return fail(`--role must be one of ${OPERATOR_ROLES.join(', ')}, got \`${value}\``);
      roles.push(value as OperatorRole);
    } else if (flag === '--ttl') {
      ttl = Number(value);
      if (!/^\d+$/.test(value) || ttl < 1 || ttl > MAX_TTL) return fail(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL}, got \`${value}\``);
    } else if (flag === '--key') keyFile = value;
    else sub = value;
  }
  if (roles.length === 0) return fail('give at least one --role (operator, auditor or approver)');
  const file = keyFile ?? join(process.env.KEE_DATA_DIR?.trim() || './data', DEV_OPERATOR_DIR, DEV_OPERATOR_KEY);
  let jwk: JWK;
  try {
    jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ENOENT';
    return fail(missing ? `no operator key \`${file}\`${keyFile ? '' : ': start the kernel once without KEE_OPERATOR_JWKS to create the development key, or give --key'}` : `\`${file}\` is not a JWK`);
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string') return fail(`\`${file}\` is not an Ed25519 private JWK`);
  const key = await importJWK(jwk, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ roles }).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', ...(jwk.kid ? { kid: jwk.kid } : {}) }).setSubject(sub).setIssuedAt(now).setExpirationTime(now + ttl).setJti(crypto.randomUUID());
  const issuer = process.env.KEE_OPERATOR_ISSUER?.trim();
  const audience = process.env.KEE_OPERATOR_AUDIENCE?.trim();
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  console.log(await jwt.sign(key));
  return 0;
}

function fail(message: string): number {
  console.error(`kee: ${message}`);
  return 2;
}
