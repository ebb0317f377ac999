// SPDX-License-Identifier: AGPL-3.0-only
// How Svyaz reaches the server, in plain words: the route in use, what the probe found on the way,
// adding a relay from a link, and relays-only mode.
import {call} from './api.js';
import {el, show} from './dom.js';
import {t} from './i18n.js';

const ROUTE_KINDS = ['direct', 'no_sni', 'cover_sni', 'doh', 'relay'];
const VERDICTS = ['ok', 'dns', 'tcp_ip', 'tls', 'http-failure', 'throttling'];

function routeSentence(kind) {
  return t(ROUTE_KINDS.includes(kind) ? `connection.route.${kind}` : 'connection.route.other');
}

function verdictSentence(verdict) {
  return t(VERDICTS.includes(verdict) ? `probe.verdict.${verdict}` : 'probe.verdict.other');
}

/** {@code relayToAdd}: a relay link the app was opened with, shown ready to add. */
export async function showConnection(account, onBack, relayToAdd = '') {
  const error = el('p', {class: 'error', role: 'alert'});
  const current = el('p', {class: 'route', role: 'status'}, t('connection.checking'));
  const findings = el('ul', {class: 'probe-results', 'aria-live': 'polite'});
  const relaysOnly = el('input', {type: 'checkbox', id: 'relays-only'});
  const relayLink = el('input', {id: 'relay-link', name: 'relay', autocomplete: 'off', placeholder: 'svyaz://relay/…',
    value: relayToAdd});
  const probeButton = el('button', {type: 'button', class: 'probe', onclick: async () => {
    probeButton.disabled = true;
    findings.replaceChildren(el('li', {}, t('connection.probing')));
    try {
      const report = await call('probe', {account});
      findings.replaceChildren(...report.routes.map(route => el('li', {'data-verdict': route.verdict,
        'data-kind': route.kind}, el('strong', {}, t(`connection.kind.${route.kind}`) + ': '),
      verdictSentence(route.verdict))));
      findings.append(el('li', {class: 'recommendation'}, report.recommendedRoute
        ? t('connection.recommended', {route: report.recommendedRoute}) : t('connection.nothingWorks')));
    } catch (e) {
      findings.replaceChildren();
      error.textContent = e.message;
    } finally {
      probeButton.disabled = false;
    }
  }}, t('connection.probe'));
  relaysOnly.addEventListener('change', () => call('updateAccount', {account, relaysOnly: relaysOnly.checked})
    .then(() => {
      error.textContent = '';
    }, e => {
      relaysOnly.checked = !relaysOnly.checked;
      error.textContent = e.message;
    }));
  show(
    el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
      el('h1', {}, t('connection.title'))),
    current,
    probeButton, el('p', {class: 'hint'}, t('connection.probeHint')), findings,
    el('form', {class: 'add-relay', onsubmit: async event => {
      event.preventDefault();
      try {
        await call('addRelay', {account, link: relayLink.value.trim()});
        relayLink.value = '';
        error.textContent = '';
        current.textContent = t('connection.relayAdded');
      } catch (e) {
        error.textContent = e.message;
      }
    }}, el('label', {for: 'relay-link'}, t('connection.addRelay')), relayLink,
    el('button', {type: 'submit'}, t('connection.add'))),
    el('div', {class: 'toggle'}, relaysOnly, el('label', {for: 'relays-only'}, t('connection.relaysOnly'))),
    el('p', {class: 'hint'}, t('connection.relaysOnlyHint')),
    error);
  try {
    const status = await call('status', {account});
    current.textContent = routeSentence(status.routeKind);
    current.dataset.kind = status.routeKind;
    relaysOnly.checked = status.relaysOnly;
  } catch (e) {
    current.textContent = t('connection.offline');
  }
}
