import { getJson, getText } from '../api.ts';
import { h, mount } from '../dom.ts';
import { checkpointVerdict, noteSize, packageVerdict, Unreadable, verifyCheckpointPair, verifyPackageBlob } from '../verify-core.ts';

function verdictLine(out: HTMLElement, line: string, ok: boolean | null): void {
  out.className = `verdict ${ok === null ? 'warn' : ok ? 'ok' : 'bad'}`;
  mount(out, line);
}

function unreadable(e: unknown, what: string): string {
  return e instanceof Unreadable ? `kee: cannot read ${what}: ${e.message}` : `error: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Verify: an audit package (JSON or NDJSON, dropped, chosen or pasted) or a checkpoint pair,
 * verified in this browser; the verdict is the line `kee audit verify` / `verify-checkpoint` prints.
 */
export function verifyPage(main: HTMLElement): void {
  const file = h('input', { id: 'pkg-file', type: 'file', accept: '.json,.ndjson,application/json,application/x-ndjson' });
  const paste = h('textarea', { id: 'pkg-text', rows: 6, spellcheck: 'false' });
  const expected = h('input', { id: 'pkg-key', type: 'text', spellcheck: 'false', autocomplete: 'off', size: 66 });
  const out = h('output', { 'data-testid': 'verdict', class: 'verdict', 'aria-live': 'polite' });
  let dropped: Blob | null = null;
  const drop = h('div', { class: 'drop', 'data-testid': 'drop' }, 'Drop an audit package file here');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) {
      dropped = f;
      mount(drop, `Dropped: ${f.name} (${f.size} bytes)`);
    }
  });
  const runPackage = async () => {
    const blob = dropped ?? file.files?.[0] ?? (paste.value.trim() ? new Blob([paste.value]) : null);
    if (!blob) return verdictLine(out, 'Choose, drop or paste an audit package first.', null);
    verdictLine(out, 'Verifying…', null);
    try {
      const key = expected.value.trim();
      const result = await verifyPackageBlob(blob, key ? { expectedPublicKey: key } : {}, (n) => verdictLine(out, `Verifying… ${n} records`, null));
      verdictLine(out, packageVerdict(result), result.ok);
    } catch (e) {
      verdictLine(out, unreadable(e, 'audit package'), false);
    }
  };
  file.addEventListener('change', () => {
    dropped = null;
  });

  const newer = h('textarea', { id: 'cp-new', rows: 5, spellcheck: 'false' });
  const older = h('textarea', { id: 'cp-old', rows: 5, spellcheck: 'false' });
  const proof = h('textarea', { id: 'cp-proof', rows: 3, spellcheck: 'false', placeholder: 'empty: ask this kernel (the proof is verified, not trusted)' });
  const pub = h('input', { id: 'cp-key', type: 'text', spellcheck: 'false', autocomplete: 'off', size: 66 });
  const cpOut = h('output', { 'data-testid': 'checkpoint-verdict', class: 'verdict', 'aria-live': 'polite' });
  const runCheckpoint = async () => {
    verdictLine(cpOut, 'Verifying…', null);
    try {
      let proofValue: unknown;
      if (older.value.trim() !== '') {
        if (proof.value.trim() !== '') proofValue = JSON.parse(proof.value);
        else {
          const from = noteSize(older.value);
          const to = noteSize(newer.value);
          if (from === null || to === null) throw new Unreadable('a checkpoint note states no size on its second line');
          proofValue = await getJson(`/v1/audit/proofs/consistency?from=${from}&to=${to}`);
          proof.value = JSON.stringify(proofValue);
        }
      }
      const result = await verifyCheckpointPair({ newer: newer.value, older: older.value, proof: proofValue, publicKey: pub.value });
      verdictLine(cpOut, checkpointVerdict(result), result.ok);
    } catch (e) {
      verdictLine(cpOut, unreadable(e, 'checkpoint'), false);
    }
  };
  const current = async (into: HTMLTextAreaElement) => {
    into.value = await getText('/v1/audit/checkpoint');
  };

  mount(
    main,
    h('h1', {}, 'Verify'),
    h('p', {}, 'Verification runs in this browser with the Kee WASM module and the kernel\u2019s verifier code; the verdict is the line the CLI prints (', h('code', {}, 'npm run -s kee -- audit verify'), ').'),
    document.body.dataset.wasm === 'absent' ? h('p', { role: 'alert' }, 'This runtime does not serve the WASM module: use the CLI.') : null,
    h('section', { 'aria-labelledby': 'h-pkg' },
      h('h2', { id: 'h-pkg' }, 'Audit package'),
      drop,
      h('p', {}, h('label', { for: 'pkg-file' }, 'Or choose a file (JSON or NDJSON) '), file),
      h('p', {}, h('label', { for: 'pkg-text' }, 'Or paste it')),
      paste,
      h('p', {}, h('label', { for: 'pkg-key' }, 'Expected kernel public key (hex, optional) '), expected),
      h('button', { type: 'button', 'data-testid': 'verify-package', onclick: () => void runPackage() }, 'Verify package'),
      h('p', {}, out),
    ),
    h('section', { 'aria-labelledby': 'h-cp' },
      h('h2', { id: 'h-cp' }, 'Checkpoint pair'),
      h('p', {}, h('label', { for: 'cp-old' }, 'Older checkpoint (signed note or its JSON form)'), ' ', h('button', { type: 'button', onclick: () => void current(older) }, 'Use current')),
      older,
      h('p', {}, h('label', { for: 'cp-new' }, 'Newer checkpoint'), ' ', h('button', { type: 'button', onclick: () => void current(newer) }, 'Use current')),
      newer,
      h('p', {}, h('label', { for: 'cp-proof' }, 'Consistency proof JSON')),
      proof,
      h('p', {}, h('label', { for: 'cp-key' }, 'Kernel public key (hex, pinned by you) '), pub, ' ',
        h('button', { type: 'button', onclick: async () => (pub.value = (await getJson<{ public_key: string }>('/v1/kernel/public-key')).public_key) }, 'Ask this kernel')),
      h('button', { type: 'button', 'data-testid': 'verify-checkpoint', onclick: () => void runCheckpoint() }, 'Verify checkpoints'),
      h('p', {}, cpOut),
    ),
  );
}
