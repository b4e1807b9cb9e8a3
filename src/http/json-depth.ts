/**
 * Deepest nesting of arrays and objects a request body may have (Cedar records and sets
 * included); `strict-json.ts` counts it while scanning, before the body is parsed.
 */
export const MAX_JSON_DEPTH = 64;
