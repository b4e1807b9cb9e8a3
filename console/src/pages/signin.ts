import { signIn, signOut, who } from '../api.ts';
import { h, mount } from '../dom.ts';

/** Sign-in with an operator JWT (docs/identity.md): the roles it carries decide what is shown. */
export function signinPage(main: HTMLElement): void {
  const w = who();
  const input = h('textarea', { id: 'token', rows: 4, autocomplete: 'off', spellcheck: 'false' });
  const status = h('p', { role: 'status', 'data-testid': 'signin-status' }, w ? `Signed in as ${w.subject} with roles ${w.roles.join(', ') || '(none)'}.` : 'Not signed in.');
  const form = h(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        const got = signIn(input.value);
        mount(status, got ? `Signed in as ${got.subject} with roles ${got.roles.join(', ') || '(none)'}.` : 'That is not a JWT.');
        window.dispatchEvent(new Event('kee:signin'));
        if (got) location.hash = '#/overview';
      },
    },
    h('label', { for: 'token' }, 'Operator token (a JWT signed with a key of KEE_OPERATOR_JWKS)'),
    input,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Sign in'), h('button', { type: 'button', onclick: () => { signOut(); window.dispatchEvent(new Event('kee:signin')); } }, 'Sign out')),
  );
  mount(
    main,
    h('h1', {}, 'Sign in'),
    h('p', {}, 'The token stays in this browser tab and goes only to this kernel, which checks it on every call. The console holds no kernel key.'),
    form,
    status,
  );
}
