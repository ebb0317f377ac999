// SPDX-License-Identifier: AGPL-3.0-only
// First run: the server's invite link, a username and a name.
import {call} from './api.js';
import {el, show} from './dom.js';
import {t} from './i18n.js';

export function showFirstRun(onRegistered) {
  const invite = el('textarea', {id: 'invite', name: 'invite', required: true, rows: 3, autocomplete: 'off',
    spellcheck: 'false'});
  const username = el('input', {id: 'username', name: 'username', required: true, autocomplete: 'username',
    'aria-describedby': 'username-hint'});
  const name = el('input', {id: 'name', name: 'name', autocomplete: 'name', 'aria-describedby': 'name-hint'});
  const error = el('p', {class: 'error', role: 'alert', id: 'first-run-error'});
  const submit = el('button', {type: 'submit'}, t('firstRun.submit'));
  const form = el('form', {class: 'first-run', onsubmit: async event => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = t('firstRun.working');
    try {
      const account = await call('register', {server: invite.value.trim(), username: username.value.trim()});
      if (name.value.trim()) {
        await call('updateProfile', {account: account.username, name: name.value.trim()});
      }
      onRegistered(account.username);
    } catch (e) {
      error.textContent = e.message;
      submit.disabled = false;
    }
  }},
  el('h1', {}, t('firstRun.title')),
  el('p', {}, t('firstRun.intro')),
  el('label', {for: 'invite'}, t('firstRun.invite')), invite,
  el('label', {for: 'username'}, t('firstRun.username')), username,
  el('p', {class: 'hint', id: 'username-hint'}, t('firstRun.usernameHint')),
  el('label', {for: 'name'}, t('firstRun.name')), name,
  el('p', {class: 'hint', id: 'name-hint'}, t('firstRun.nameHint')),
  submit, error);
  show(form);
  invite.focus();
}
