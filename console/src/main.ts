import { hasRole, who } from './api.ts';
import { h, mount } from './dom.ts';
import { agentsPage } from './pages/agents.ts';
import { blocksPage } from './pages/blocks.ts';
import { escalationsPage } from './pages/escalations.ts';
import { livePage } from './pages/live.ts';
import { overviewPage } from './pages/overview.ts';
import { policiesPage } from './pages/policies.ts';
import { revocationsPage } from './pages/revocations.ts';
import { signinPage } from './pages/signin.ts';
import { verifyPage } from './pages/verify.ts';

/** A page draws itself into `main` and returns what stops its timers and streams, if any. */
export type Page = (main: HTMLElement) => (() => void) | void;

type Route = { title: string; page: Page; roles?: string[] };

const ROUTES: Record<string, Route> = {
  overview: { title: 'Overview', page: overviewPage },
  live: { title: 'Live decisions', page: livePage, roles: ['operator', 'auditor'] },
  blocks: { title: 'Sessions and blocks', page: blocksPage },
  verify: { title: 'Verify', page: verifyPage },
  policies: { title: 'Policies', page: policiesPage },
  agents: { title: 'Agents', page: agentsPage, roles: ['operator', 'auditor'] },
  revocations: { title: 'Revocations', page: revocationsPage, roles: ['operator', 'auditor'] },
  escalations: { title: 'Escalations', page: escalationsPage, roles: ['approver', 'operator', 'auditor'] },
  signin: { title: 'Sign in', page: signinPage },
};

let stop: (() => void) | void;

function render(): void {
  const id = /^#\/([a-z]+)/.exec(location.hash)?.[1] ?? 'overview';
  const route = ROUTES[id] ?? (ROUTES.overview as Route);
  const main = document.getElementById('main') as HTMLElement;
  if (stop) stop();
  stop = undefined;
  document.title = `${route.title} · Kee console`;
  for (const a of Array.from(document.querySelectorAll<HTMLAnchorElement>('nav a[data-page]'))) {
    if (a.dataset.page === id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
    const needs = ROUTES[a.dataset.page ?? '']?.roles;
    (a.parentElement as HTMLElement).hidden = needs !== undefined && !hasRole(...needs);
  }
  const w = who();
  mount(document.getElementById('who') as HTMLElement, w ? `${w.subject} (${w.roles.join(', ') || 'no role'})` : 'not signed in');
  if (route.roles && !hasRole(...route.roles)) {
    mount(main, h('h1', {}, route.title), h('p', { role: 'alert' }, `This page needs the role ${route.roles.join(' or ')}: `, h('a', { href: '#/signin' }, 'sign in'), '.'));
    return;
  }
  mount(main);
  stop = route.page(main);
}

window.addEventListener('hashchange', render);
window.addEventListener('kee:signin', render);
render();
