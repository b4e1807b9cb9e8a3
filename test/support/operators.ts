import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { joseOperatorTokenVerifier } from '../../src/adapters/jose/operator-tokens.ts';
import type { OperatorTokenVerifier } from '../../src/ports/operator-auth.ts';
import type { AuditStore } from '../../src/ports/storage.ts';

/** An operator key set for tests: the verifier a kernel takes, and `bearer(...roles)` headers minted for it. */
export async function makeOperators(): Promise<{ verifier: OperatorTokenVerifier; bearer: (...roles: string[]) => Promise<Record<string, string>> }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-operator' } as JWK;
  const bearer = async (...roles: string[]) => {
    const token = await new SignJWT({ roles }).setProtectedHeader({ alg: 'EdDSA', kid: 'test-operator' }).setSubject(`op-${roles.join('+') || 'none'}`).setExpirationTime('10m').sign(privateKey);
    return { authorization: `Bearer ${token}` };
  };
  return { verifier: joseOperatorTokenVerifier({ jwks: { keys: [jwk] } }), bearer };
}

/** A fresh Ed25519 public key as a JWK (base64url `x`). */
export async function agentKey(): Promise<{ kty: string; crv: string; x: string }> {
  const { publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const { kty, crv, x } = await exportJWK(publicKey);
  return { kty: kty as string, crv: crv as string, x: x as string };
}

/** The records of the kernel journal (the `kee-kernel` session) in `store`, parsed, in ale_seq order. */
export async function journalRecords(store: AuditStore): Promise<(Record<string, unknown> & { ale_type: string })[]> {
  // every block of the kernel journal, sealed or open, in journal order (the `kernel_journal` index)
  const top = (await store.latestDocument('kernel_journal'))?.seq ?? 0;
  const out: (Record<string, unknown> & { ale_type: string })[] = [];
  for (let seq = 1; seq <= top; seq++) {
    const doc = await store.getDocument('kernel_journal', seq);
    if (!doc) continue;
    const { session_id } = JSON.parse(doc.body) as { session_id: string };
    for (const r of await store.listRecords(session_id)) out.push(JSON.parse(r.canonical));
  }
  return out;
}
