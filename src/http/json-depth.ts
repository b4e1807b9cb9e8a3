/** Deepest nesting of arrays and objects a request body may have (Cedar records and sets included). */
export const MAX_JSON_DEPTH = 64;

/**
 * True when no array or object in `value` is nested deeper than `max`. Iterative, so a hostile
 * body (64 KiB of `[`) is refused as a client mistake instead of overflowing the stack of the
 * recursive checks after it.
 */
export function withinDepth(value: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== 'object' || v === null) continue;
    if (d >= max) return false;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, d: d + 1 });
  }
  return true;
}
