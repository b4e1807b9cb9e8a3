/**
 * FROST shares at rest (KEE-1 L1): one file per participant, the exported share sealed with
 * AES-256-GCM (WebCrypto) under a key-encryption key (KEK) the operator supplies. The additional
 * data binds the file to its participant and group key, so a file renamed to another
 * participant, or moved to another group, does not open. File permissions (0600) are the
 * entry's job; this module only turns bytes into sealed JSON and back.
 */
import { z } from 'zod';
import { DomainError } from '../../kernel/errors.ts';
import { fromHex, toHex } from '../../kernel/hex.ts';

export const SHARE_FILE_FORMAT = 'kee-frost-share/1';

const shareFile = z.object({
  format: z.literal(SHARE_FILE_FORMAT),
  participant: z.number().int().min(1).max(65535),
  group_key: z.string().regex(/^[0-9a-f]{64}$/),
  iv: z.string().regex(/^[0-9a-f]{24}$/),
  ciphertext: z.string().regex(/^([0-9a-f]{2})+$/),
});

export type ShareFile = z.infer<typeof shareFile>;

const utf8 = new TextEncoder();
const aad = (participant: number, groupKey: string) => utf8.encode(`${SHARE_FILE_FORMAT}|participant=${participant}|group_key=${groupKey}`);

/** A KEK from 64 hex characters (32 bytes), as given in `KEE_SHARE_KEK` or its file. */
export function parseKek(text: string, where: string): Uint8Array {
  const kek = fromHex(text.trim().toLowerCase());
  if (!kek || kek.length !== 32) throw new DomainError('INVALID_INPUT', `${where} must be 64 hex characters (a 256-bit key-encryption key)`);
  return kek;
}

async function aesKey(kek: Uint8Array, use: KeyUsage): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', kek as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, [use]);
}

/** Seals an exported share (`kee-frost` share format: version, id u16, share, public package). */
export async function sealShare(share: Uint8Array, kek: Uint8Array): Promise<string> {
  if (share.length < 71) throw new DomainError('INVALID_INPUT', 'not an exported frost share');
  const participant = new DataView(share.buffer, share.byteOffset).getUint16(1);
  const groupKey = toHex(share.subarray(39, 71));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(participant, groupKey) }, await aesKey(kek, 'encrypt'), share as Uint8Array<ArrayBuffer>);
  const file: ShareFile = { format: SHARE_FILE_FORMAT, participant, group_key: groupKey, iv: toHex(iv), ciphertext: toHex(new Uint8Array(sealed)) };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * Opens a sealed share file. Fails with INVALID_INPUT naming `where` when the text is not a
 * share file, or when it does not open (wrong KEK, or the file was modified).
 */
export async function openShare(text: string, kek: Uint8Array, where: string): Promise<{ participant: number; groupKey: string; share: Uint8Array }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DomainError('INVALID_INPUT', `share file \`${where}\` is not valid JSON`);
  }
  const parsed = shareFile.safeParse(value);
  if (!parsed.success) throw new DomainError('INVALID_INPUT', `share file \`${where}\` is not a ${SHARE_FILE_FORMAT} file`);
  const f = parsed.data;
  let plain: ArrayBuffer;
  try {
    plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: fromHex(f.iv) as Uint8Array<ArrayBuffer>, additionalData: aad(f.participant, f.group_key) },
      await aesKey(kek, 'decrypt'),
      fromHex(f.ciphertext) as Uint8Array<ArrayBuffer>,
    );
  } catch {
    throw new DomainError('INVALID_INPUT', `share file \`${where}\` does not open: wrong key-encryption key (KEE_SHARE_KEK), or the file was modified`);
  }
  const share = new Uint8Array(plain);
  const id = share.length >= 71 ? new DataView(share.buffer).getUint16(1) : -1;
  if (id !== f.participant || toHex(share.subarray(39, 71)) !== f.group_key) {
    share.fill(0);
    throw new DomainError('INVALID_INPUT', `share file \`${where}\` holds a share that does not match its header`);
  }
  return { participant: f.participant, groupKey: f.group_key, share };
}
