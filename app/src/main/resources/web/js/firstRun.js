// SPDX-License-Identifier: AGPL-3.0-only
// First run: the server's invite link, a username and a name; a relay when the server is blocked.
import {call} from './api.js';
import {el, show} from './dom.js';
import {t} from './i18n.js';

/** {@code link}: a svyaz:// link the app was opened with, filled into the field it belongs in. */
export function showFirstRun(onRegistered, link = '') {
  const invite = el('textarea', {id: 'invite', name: 'invite', required: true, rows: 3, autocomplete: 'off',
    spellcheck: 'false'});
  const relay = el('textarea', {id: 'first-run-relay', name: 'relay', rows: 2, autocomplete: 'off',
    spellcheck: 'false', placeholder: 'svyaz://relay/…', 'aria-describedby': 'relay-hint'});
  if (link.startsWith('svyaz://server/')) {
    invite.value = link;
  } else if (link.startsWith('svyaz://relay/')) {
    relay.value = link;
  }
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
      const relays = relay.value.split(/\s+/).filter(Boolean);
      const account = await call('register', {server: invite.value.trim(), username: username.value.trim(),
        ...(relays.length > 0 ? {relay: relays} : {})});
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
  el('label', {for: 'first-run-relay'}, t('firstRun.relay')), relay,
  el('p', {class: 'hint', id: 'relay-hint'}, t('firstRun.relayHint')),
  submit, error);
  show(form);
  (invite.value ? username : invite).focus();
}
