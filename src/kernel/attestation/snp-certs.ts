/**
 * The SEV-SNP certificate table the host may attach to a report (configfs-tsm `auxblob`,
 * SNP_GET_EXT_REPORT): entries of a 16-byte GUID, a u32 offset and a u32 length (little-endian),
 * ended by an all-zero entry; offsets are from the start of the table. GUIDs from the GHCB
 * specification (AMD publication 56421, "Certificate table").
 */
import { DomainError } from '../errors.ts';
import type { SnpCertificates } from '../../ports/attestation.ts';

const GUIDS: Record<string, keyof SnpCertificates> = {
  '63da758d-e664-4564-adc5-f4b93be8accd': 'vcek',
  'a8074bc2-a25a-483e-aae6-39c045a0b8a1': 'vlek',
  '4ab7b379-bbac-4fe4-a02f-05aef327c782': 'ask',
  'c0b406a4-a803-4952-9743-3fb6014cd0ae': 'ark',
};

/** GUID in its string form: the first three groups are little-endian on the wire. */
function guid(b: Uint8Array): string {
  const h = (xs: Iterable<number>) => [...xs].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h([...b.subarray(0, 4)].reverse())}-${h([...b.subarray(4, 6)].reverse())}-${h([...b.subarray(6, 8)].reverse())}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

export function parseSnpCertTable(table: Uint8Array): SnpCertificates {
  const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
  const out: SnpCertificates = {};
  for (let at = 0; ; at += 24) {
    if (at + 24 > table.length) throw new DomainError('INVALID_INPUT', 'SEV-SNP certificate table has no terminating entry');
    const id = table.subarray(at, at + 16);
    const offset = view.getUint32(at + 16, true);
    const length = view.getUint32(at + 20, true);
    if (id.every((x) => x === 0) && offset === 0 && length === 0) return out;
    if (offset + length > table.length) throw new DomainError('INVALID_INPUT', 'SEV-SNP certificate table entry runs past the table');
    const name = GUIDS[guid(id)];
    if (name) out[name] = table.slice(offset, offset + length);
  }
}

/** Builds a certificate table (the inverse of `parseSnpCertTable`), for tests and tools. */
export function buildSnpCertTable(certs: SnpCertificates): Uint8Array {
  const entries = Object.entries(certs).filter((e): e is [keyof SnpCertificates, Uint8Array] => e[1] instanceof Uint8Array);
  const header = 24 * (entries.length + 1);
  const total = header + entries.reduce((n, [, c]) => n + c.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let data = header;
  entries.forEach(([name, cert], i) => {
    const g = Object.keys(GUIDS).find((k) => GUIDS[k] === name) as string;
    const hexs = g.replace(/-/g, '');
    const bytes = Uint8Array.from(hexs.match(/../g) as string[], (x) => parseInt(x, 16));
    bytes.subarray(0, 4).reverse();
    bytes.subarray(4, 6).reverse();
    bytes.subarray(6, 8).reverse();
    out.set(bytes, 24 * i);
    view.setUint32(24 * i + 16, data, true);
    view.setUint32(24 * i + 20, cert.length, true);
    out.set(cert, data);
    data += cert.length;
  });
  return out;
}
