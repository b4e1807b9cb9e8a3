/**
 * The configfs-tsm report ABI (Linux `Documentation/ABI/testing/configfs-tsm`), shared by Intel
 * TDX, AMD SEV-SNP and Arm CCA guests: under `<root>` (default `/sys/kernel/config/tsm/report`)
 * create an entry directory, write the 64 bytes of report data to `inblob`, read `outblob` (the
 * report or quote, generated on read), `provider` (`tdx_guest`, `sev_guest`, …) and `auxblob`
 * when present (SEV-SNP: the host's certificate table), then remove the entry. `generation`
 * counts writes to the entry: it is read after our write and again after the reads, and a
 * change (another writer on the same entry between our write and our read) refuses the report.
 * The entry name is fresh per request, so a fresh entry's generation after our one write is 1.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError, isDomainError } from '../kernel/errors.ts';
import type { TeeReport, TeeReportProvider } from '../ports/attestation.ts';

export const DEFAULT_TSM_ROOT = '/sys/kernel/config/tsm/report';

/** The file operations the ABI needs (injectable for a tree that behaves like configfs in tests). */
export type TsmFs = {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Removes the entry directory (configfs removes its attributes with it). */
  rmdir(path: string): Promise<void>;
};

export const nodeTsmFs: TsmFs = {
  mkdir: async (p) => {
    await mkdir(p);
  },
  writeFile: (p, d) => writeFile(p, d),
  readFile: async (p) => new Uint8Array(await readFile(p)),
  rmdir: (p) => rmdir(p),
};

const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();

export class ConfigfsTsmProvider implements TeeReportProvider {
  readonly name = 'configfs-tsm' as const;
  private readonly root: string;
  private readonly fs: TsmFs;

  constructor(opts: { root?: string; fs?: TsmFs } = {}) {
    this.root = opts.root ?? DEFAULT_TSM_ROOT;
    this.fs = opts.fs ?? nodeTsmFs;
  }

  async report(reportData: Uint8Array): Promise<TeeReport> {
    if (reportData.length !== 64) throw new DomainError('INVALID_INPUT', `configfs-tsm report data is 64 bytes, got ${reportData.length}`);
    const entry = join(this.root, `kee-${randomUUID()}`);
    try {
      await this.fs.mkdir(entry);
    } catch (e) {
      throw new DomainError('UNAVAILABLE', `configfs-tsm: cannot create a report entry under \`${this.root}\` (${(e as { code?: string }).code ?? String(e)}): no TEE guest support here, or configfs is not mounted`);
    }
    try {
      await this.fs.writeFile(join(entry, 'inblob'), reportData);
      const before = text(await this.fs.readFile(join(entry, 'generation')));
      const outblob = await this.fs.readFile(join(entry, 'outblob'));
      const tsmProvider = text(await this.fs.readFile(join(entry, 'provider')));
      let auxblob: Uint8Array | undefined;
      try {
        auxblob = await this.fs.readFile(join(entry, 'auxblob'));
      } catch {
        auxblob = undefined; // providers without auxiliary data (TDX) have no such attribute
      }
      const after = text(await this.fs.readFile(join(entry, 'generation')));
      if (before !== after) throw new DomainError('UNAVAILABLE', `configfs-tsm: the entry's generation moved from ${before} to ${after} while the report was read: another writer raced this request; refused`);
      if (before !== '1') throw new DomainError('UNAVAILABLE', `configfs-tsm: a fresh entry after one write should be generation 1, found ${before}: refused`);
      if (outblob.length === 0) throw new DomainError('UNAVAILABLE', 'configfs-tsm: the provider returned an empty report');
      return { tsmProvider, outblob, ...(auxblob && auxblob.length > 0 ? { auxblob } : {}) };
    } catch (e) {
      if (isDomainError(e)) throw e;
      throw new DomainError('UNAVAILABLE', `configfs-tsm: the report entry \`${entry}\` failed: ${(e as { code?: string }).code ?? String(e)}`);
    } finally {
      await this.fs.rmdir(entry).catch(() => undefined);
    }
  }
}
