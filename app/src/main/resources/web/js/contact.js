// SPDX-License-Identifier: AGPL-3.0-only
// A contact's safety number, as digits and as a QR code, and marking it verified after comparing it
// in person or over another channel.
import {call} from './api.js';
import {el, show} from './dom.js';
import {t} from './i18n.js';

const QR_MODULE_PIXELS = 6;

/** Sixty digits in twelve groups of five, as Signal shows them. */
function groups(digits) {
  return digits.match(/.{1,5}/g) || [];
}

function drawQr(qr) {
  const canvas = el('canvas', {class: 'qr', width: qr.size * QR_MODULE_PIXELS, height: qr.size * QR_MODULE_PIXELS,
    role: 'img', 'aria-label': t('contact.qr')});
  const context = canvas.getContext('2d');
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#000';
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (qr.modules[y * qr.size + x] === '1') {
        context.fillRect(x * QR_MODULE_PIXELS, y * QR_MODULE_PIXELS, QR_MODULE_PIXELS, QR_MODULE_PIXELS);
      }
    }
  }
  return canvas;
}

export async function showContact(account, contact, onBack) {
  const error = el('p', {class: 'error', role: 'alert'});
  const header = el('header', {}, el('button', {class: 'back', onclick: onBack}, t('conversation.back')),
    el('h1', {}, contact));
  let identities = [];
  try {
    identities = await call('listIdentities', {account, recipient: contact});
  } catch (e) {
    error.textContent = e.message;
  }
  if (identities.length === 0) {
    show(header, el('p', {class: 'empty'}, t('contact.noIdentity')), error);
    return;
  }
  const identity = identities[0];
  const verified = identity.trustLevel === 'TRUSTED_VERIFIED';
  show(header,
    el('h2', {}, t('contact.safetyNumber')),
    el('p', {}, t('contact.explain', {name: contact})),
    el('p', {class: 'safety-number', 'aria-label': t('contact.safetyNumber')},
      groups(identity.safetyNumber).map(group => el('span', {}, group))),
    identity.safetyNumberQr ? drawQr(identity.safetyNumberQr) : null,
    el('p', {class: `trust ${verified ? 'verified' : 'unverified'}`, 'data-trust': identity.trustLevel},
      t(verified ? 'contact.verified' : (identity.trustLevel === 'UNTRUSTED' ? 'contact.changed' : 'contact.unverified'))),
    verified ? null : el('button', {type: 'button', class: 'verify', onclick: async () => {
      try {
        await call('trust', {account, recipient: contact, verifiedSafetyNumber: identity.safetyNumber});
        showContact(account, contact, onBack);
      } catch (e) {
        error.textContent = e.message;
      }
    }}, t('contact.markVerified')),
    error);
}
