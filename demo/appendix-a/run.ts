/**
 * `npm run demo:appendix-a`: plays KEE-1 Appendix A (digest 4.9) against real processes and
 * prints each step with its evidence. Exit 0 when every step has its expected outcome (PASS, or
 * PARTIAL where docs/appendix-a.md says Kee does not model all of the step), 1 otherwise.
 */
import { EXPECTED_PARTIAL, runAppendixA, type StepReport } from './scenario.ts';

const print = (s: StepReport) => {
  console.log(`\nstep ${String(s.n).padStart(2)}  ${s.status.padEnd(7)}  ${s.title}`);
  for (const e of s.evidence) console.log(`           ${e}`);
  if (s.reason) console.log(`           ${s.status === 'PARTIAL' ? 'not faithful' : 'FAIL'}: ${s.reason}`);
};

console.log('KEE-1 Appendix A (M7.2 disaster response), executable: kernel + 3 FROST sidecars + 3 agents + a resource provider');
const report = await runAppendixA({ keep: process.argv.includes('--keep') });
for (const s of report.steps) print(s);
const unexpected = report.steps.filter((s) => s.status !== (EXPECTED_PARTIAL.includes(s.n) ? 'PARTIAL' : 'PASS'));
const pass = report.steps.filter((s) => s.status === 'PASS').length;
const partial = report.steps.filter((s) => s.status === 'PARTIAL').length;
console.log(`\n${report.steps.length} steps: ${pass} PASS, ${partial} PARTIAL (as documented), ${unexpected.length} unexpected`);
if (report.nonconformant) console.log(`NOTE: this deployment is NON-CONFORMANT (government profile below KEE1-L3, KEE_ALLOW_NONCONFORMANT=1): ${report.nonconformant}`);
process.exit(unexpected.length === 0 ? 0 : 1);
