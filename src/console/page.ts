import { html } from 'hono/html';

/** The pages the console shows, in navigation order: hash route, label. */
export const CONSOLE_PAGES = [
  ['overview', 'Overview'],
  ['live', 'Live decisions'],
  ['blocks', 'Sessions and blocks'],
  ['verify', 'Verify'],
  ['policies', 'Policies'],
  ['agents', 'Agents'],
  ['revocations', 'Revocations'],
  ['escalations', 'Escalations'],
  ['signin', 'Sign in'],
] as const;

/**
 * The console's one HTML document: navigation and an empty main region that the script fills
 * (client-side hash routes). No inline script or style: the CSP forbids both.
 */
export function consolePage(options: { wasm: boolean }) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kee console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script type="module" src="/console/assets/console.js"></script>
</head>
<body data-wasm="${options.wasm ? 'served' : 'absent'}">
<header class="top">
<span class="brand">Kee console</span>
<nav aria-label="Console pages"><ul>${CONSOLE_PAGES.map(([id, label]) => html`<li><a href="#/${id}" data-page="${id}">${label}</a></li>`)}</ul></nav>
<span id="who" class="who" aria-live="polite">not signed in</span>
</header>
<main id="main" tabindex="-1"><p>Loading…</p></main>
</body>
</html>`;
}
