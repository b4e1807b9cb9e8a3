/**
 * zod's functional build (`zod/mini`) with its English messages, for every schema the Worker
 * bundles (the request bodies, the ACD settings). Classic `zod` gives each schema methods and a
 * JSON Schema generator whether used or not (~70 KiB minified in the Worker, docs/edge.md);
 * `zod/mini` is the same validator core with the same checks and messages, composed as functions
 * (`z.optional(s)`, `s.check(z.maxLength(n))`). Unlike classic zod it registers no locale
 * itself: English is registered here, once, before any schema runs.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
