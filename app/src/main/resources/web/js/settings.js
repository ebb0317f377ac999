// SPDX-License-Identifier: AGPL-3.0-only
// Settings: profile name, read receipts, typing indicators, relayed calls, language.
import {call} from './api.js';
import {el, show} from './dom.js';
import {currentLanguage, LANGUAGES, loadLanguage, t} from './i18n.js';

export async function showSettings(account, onBack) {
  const configuration = await call('getConfiguration', {account});
  const status = el('p', {class: 'saved', role: 'status'});
  const error = el('p', {class: 'error', role: 'alert'});
  const saved = () => {
    status.textContent = t('settings.saved');
    error.textContent = '';
  };
  const failed = e => {
    error.textContent = e.message;
  };
  const name = el('input', {id: 'profile-name', name: 'name', autocomplete: 'name'});
  const readReceipts = el('input', {type: 'checkbox', id: 'read-receipts', checked: configuration.readReceipts});
  const typing = el('input', {type: 'checkbox', id: 'typing-indicators', checked: configuration.typingIndicators});
  const relayCalls = el('input', {type: 'checkbox', id: 'always-relay-calls', checked: configuration.alwaysRelayCalls});
  relayCalls.addEventListener('change', () =>
    call('updateConfiguration', {account, alwaysRelayCalls: relayCalls.checked}).then(saved, failed));
  readReceipts.addEventListener('change', () =>
    call('updateConfiguration', {account, readReceipts: readReceipts.checked}).then(saved, failed));
  typing.addEventListener('change', () =>
    call('updateConfiguration', {account, typingIndicators: typing.checked}).then(saved, failed));
  const language = el('select', {id: 'language', onchange: async () => {
    await loadLanguage(language.value, true);
    document.title = t('app.title');
    showSettings(account, onBack);
  }}, LANGUAGES.map(code => el('option', {value: code, selected: code === currentLanguage()}, t(`language.${code}`))));
  show(
    el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
      el('h1', {}, t('settings.title'))),
    el('form', {class: 'profile', onsubmit: event => {
      event.preventDefault();
      if (name.value.trim()) {
        call('updateProfile', {account, name: name.value.trim()}).then(saved, failed);
      }
    }},
    el('label', {for: 'profile-name'}, t('settings.profileName')), name,
    el('button', {type: 'submit'}, t('settings.save'))),
    el('p', {class: 'hint'}, t('firstRun.nameHint')),
    el('div', {class: 'toggle'}, readReceipts, el('label', {for: 'read-receipts'}, t('settings.readReceipts'))),
    el('p', {class: 'hint'}, t('settings.readReceiptsHint')),
    el('div', {class: 'toggle'}, typing, el('label', {for: 'typing-indicators'}, t('settings.typingIndicators'))),
    el('div', {class: 'toggle'}, relayCalls, el('label', {for: 'always-relay-calls'}, t('settings.alwaysRelayCalls'))),
    el('p', {class: 'hint'}, t('settings.alwaysRelayCallsHint')),
    el('div', {class: 'toggle'}, el('label', {for: 'language'}, t('language')), language),
    status, error);
}
