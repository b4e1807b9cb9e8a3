/**
 * SYNTHETIC TEE evidence for tests — not genuine AMD or Intel output. This machine has no TEE,
 * and no maintained npm package ships genuine SEV-SNP reports or TDX quotes with their vendor
 * certificates, so verification is exercised structurally: reports and quotes laid out as the
 * AMD SEV-SNP ABI and Intel DCAP quote v4 formats say, signed by test keys, under certificate
 * chains made here with the `openssl` CLI (EC keys; AMD's ASK/ARK are RSA-PSS in reality).
 * Also a directory tree that behaves like the configfs-tsm ABI.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TsmFs } from '../../src/entry/tee-configfs-tsm.ts';

export type SyntheticChain = { pems: string[]; ders: Buffer[]; leafKey: KeyObject; rootPem: string };

/** A synthetic root → intermediate → leaf chain on `curve` (openssl CLI), leaf first. */
export function syntheticChain(curve: 'P-384' | 'P-256', names: [string, string, string]): SyntheticChain {
  const dir = mkdtempSync(join(tmpdir(), 'kee-tee-chain-'));
  const hash = curve === 'P-384' ? '-sha384' : '-sha256';
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(join(dir, 'ext.cnf'), '[ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n[leaf]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n');
  const [leaf, inter, root] = names;
  const key = (n: string) => ossl(['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', `${n}.key`]);
  key('root');
  ossl(['req', '-x509', '-new', '-key', 'root.key', '-out', 'root.pem', '-subj', `/CN=${root}`, '-days', '30', hash, '-addext', 'basicConstraints=critical,CA:true', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const child = (n: string, cn: string, issuer: string, ext: string) => {
    key(n);
    ossl(['req', '-new', '-key', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${cn}`]);
    ossl(['x509', '-req', '-in', `${n}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(Date.now() % 1e9), '-out', `${n}.pem`, '-days', '30', hash, '-extfile', 'ext.cnf', '-extensions', ext]);
  };
  child('inter', inter, 'root', 'ca');
  child('leaf', leaf, 'inter', 'leaf');
  const pems = ['leaf', 'inter', 'root'].map((n) => readFileSync(join(dir, `${n}.pem`), 'utf8'));
  const ders = pems.map((p) => Buffer.from(p.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
  const leafKey = createPrivateKey(readFileSync(join(dir, 'leaf.key')));
  rmSync(dir, { recursive: true, force: true });
  return { pems, ders, leafKey, rootPem: pems[2] as string };
}

/** A synthetic SEV-SNP report (version 2, VCEK-signed layout) with `reportData`, signed by `key` when given. */
export function syntheticSnpReport(o: { reportData: Uint8Array; key?: KeyObject; policy?: bigint; measurement?: number }): Uint8Array {
  const b = new Uint8Array(0x4a0);
  const v = new DataView(b.buffer);
  v.setUint32(0, 2, true);
  v.setBigUint64(8, o.policy ?? 0x30000n, true);
  v.setUint32(0x34, 1, true);
  v.setBigUint64(0x180, 0x0d00000000000304n, true);
  b.set(o.reportData, 0x50);
  b.fill(o.measurement ?? 0xab, 0x90, 0x90 + 48);
  if (o.key) {
    const sig = sign('sha384', b.subarray(0, 0x2a0), { key: o.key, dsaEncoding: 'ieee-p1363' });
    b.set(Uint8Array.from(sig.subarray(0, 48)).reverse(), 0x2a0);
    b.set(Uint8Array.from(sig.subarray(48, 96)).reverse(), 0x2e8);
  }
  return b;
}

/** A synthetic TDX quote v4: the quote signed by a fresh attestation key, the QE report by `pckKey`, `pckChainPem` as certification data type 5. */
export function syntheticTdxQuote(o: { reportData: Uint8Array; pckKey: KeyObject; pckChainPem: string; debug?: boolean }): Uint8Array {
  const header = new Uint8Array(48);
  const hv = new DataView(header.buffer);
  hv.setUint16(0, 4, true);
  hv.setUint16(2, 2, true);
  hv.setUint32(4, 0x81, true);
  header.fill(0x93, 12, 28);
  const body = new Uint8Array(584);
  body.fill(0x11, 136, 184); // mr_td
  if (o.debug) body[120] = 1;
  body.set(o.reportData, 520);
  const att = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = att.publicKey.export({ format: 'jwk' });
  const attPub = Buffer.concat([Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
  const signed = Buffer.concat([header, body]);
  const quoteSig = sign('sha256', signed, { key: att.privateKey, dsaEncoding: 'ieee-p1363' });
  const authData = Buffer.from('synthetic-qe-auth-data');
  const qeReport = Buffer.alloc(384);
  createHash('sha256').update(attPub).update(authData).digest().copy(qeReport, 320);
  const qeSig = sign('sha256', qeReport, { key: o.pckKey, dsaEncoding: 'ieee-p1363' });
  const pem = Buffer.from(o.pckChainPem);
  const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  const u32 = (n: number) => {
    const x = Buffer.alloc(4);
    x.writeUInt32LE(n);
    return x;
  };
  const inner = Buffer.concat([u16(5), u32(pem.length), pem]);
  const outer = Buffer.concat([qeReport, qeSig, u16(authData.length), authData, inner]);
  const sigData = Buffer.concat([quoteSig, attPub, u16(6), u32(outer.length), outer]);
  return new Uint8Array(Buffer.concat([signed, u32(sigData.length), sigData]));
}

/**
 * A directory tree that behaves like configfs-tsm: `mkdir` of an entry creates its attributes
 * (`provider`, `generation` 0, no `outblob` until read); each write to `inblob` bumps `generation`;
 * reading `outblob` generates the report from `inblob`. `raceOnRead` makes another writer bump
 * the generation while `outblob` is read.
 */
export function fakeConfigfsTsm(o: { provider: string; generate: (inblob: Uint8Array) => Uint8Array; auxblob?: Uint8Array; raceOnRead?: boolean }) {
  const root = mkdtempSync(join(tmpdir(), 'kee-tsm-'));
  const log: string[] = [];
  const gen = (entry: string) => Number(readFileSync(join(entry, 'generation'), 'utf8'));
  const fs: TsmFs = {
    mkdir: async (p) => {
      log.push(`mkdir ${p.slice(root.length + 1)}`);
      mkdirSync(p); // EEXIST for an entry that exists, ENOENT without the root
      writeFileSync(join(p, 'provider'), `${o.provider}\n`);
      writeFileSync(join(p, 'generation'), '0\n');
      if (o.auxblob) writeFileSync(join(p, 'auxblob'), o.auxblob);
    },
    writeFile: async (p, data) => {
      const entry = join(p, '..');
      log.push(`write ${p.slice(entry.length + 1)} ${data.length}`);
      writeFileSync(p, data);
      writeFileSync(join(entry, 'generation'), `${gen(entry) + 1}\n`);
    },
    readFile: async (p) => {
      const entry = join(p, '..');
      const name = p.slice(entry.length + 1);
      log.push(`read ${name}`);
      if (name === 'outblob') {
        const out = o.generate(new Uint8Array(readFileSync(join(entry, 'inblob'))));
        if (o.raceOnRead) writeFileSync(join(entry, 'generation'), `${gen(entry) + 1}\n`);
        return out;
      }
      return new Uint8Array(readFileSync(p));
    },
    rmdir: async (p) => {
      log.push(`rmdir ${p.slice(root.length + 1)}`);
      rmSync(p, { recursive: true });
    },
  };
  return { root, fs, log, entries: () => (existsSync(root) ? readdirNames(root) : []), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function readdirNames(dir: string): string[] {
  return readdirSync(dir);
}
