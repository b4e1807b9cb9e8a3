/**
 * The Worker's cold path split into steps (`KEE_STARTUP_TIMINGS=1`, docs/edge.md): the kernel of a
 * Worker starts on its isolate's first request, and this says where that time goes (WASM
 * instantiation, D1 migrations, the policy load, the kernel's start), in whole milliseconds under
 * workerd. Deployed on Cloudflare, a Worker's clock advances only across I/O (a timing
 * side-channel defence), so a step without I/O (the WASM instantiation, the policy load) reads 0
 * there and its time shows in the next step that does I/O; `wrangler dev` runs the clock.
 */
export type StartupTimings = {
  /** Ends the current step under this name. */
  step(name: string): void;
  /** One line: every step and the total, in ms. */
  line(): string;
};

export function startupTimings(now: () => number = () => performance.now()): StartupTimings {
  const t0 = now();
  let last = t0;
  const steps: [string, number][] = [];
  return {
    step(name) {
      const t = now();
      steps.push([name, t - last]);
      last = t;
    },
    line() {
      const parts = steps.map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`);
      return `kee: startup: ${[...parts, `total ${(last - t0).toFixed(1)} ms`].join(', ')}`;
    },
  };
}
