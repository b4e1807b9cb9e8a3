import { createClient } from '@libsql/client';
import { join } from 'node:path';

/** The KERNEL_AUDIT_ANOMALY records a kernel journalled in `<dataDir>/kee.db`, in order. */
export async function journalEvents(dataDir: string): Promise<Record<string, unknown>[]> {
  const db = createClient({ url: `file:${join(dataDir, 'kee.db')}` });
  try {
    const rows = await db.execute("SELECT canonical FROM audit_records WHERE ale_type = 'KERNEL_AUDIT_ANOMALY' ORDER BY rowid");
    return rows.rows.map((r) => JSON.parse(String(r.canonical)));
  } finally {
    db.close();
  }
}
