/**
 * Start-up failures of the Node, Bun and Deno entries: one line on stderr saying what is wrong
 * and what to do, exit code 1, never a stack trace (docs/configuration.md lists them).
 */
import process from 'node:process';
import { isDomainError } from '../kernel/errors.ts';

/** A configuration or environment problem found at start; the message is the whole story. */
export class StartupError extends Error {}

/** The one line printed for a failed start. */
export function startupFailureLine(e: unknown): string {
  if (e instanceof StartupError || isDomainError(e)) return `kee: ${oneLine(e.message)}`;
  return `kee: cannot start: ${oneLine(e instanceof Error ? e.message : String(e))}`;
}

/** Prints `startupFailureLine(e)` and exits 1. */
export function exitOnStartupError(e: unknown): never {
  console.error(startupFailureLine(e));
  process.exit(1);
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();
