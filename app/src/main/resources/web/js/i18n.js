// SPDX-License-Identifier: AGPL-3.0-only
// Message catalogues (i18n/<language>.json) and plural forms by the browser's own CLDR rules, so that
// Russian gets 1 сообщение, 2 сообщения, 5 сообщений.

export const LANGUAGES = ['en', 'ru'];
const STORED = 'svyaz.language';
let catalogue = {};
let language = 'en';
let plurals = new Intl.PluralRules('en');

/** The language the user picked before, else the browser's first one we have, else English. */
export function preferredLanguage() {
  const stored = localStorage.getItem(STORED);
  if (LANGUAGES.includes(stored)) {
    return stored;
  }
  for (const wanted of navigator.languages || [navigator.language]) {
    const base = String(wanted).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) {
      return base;
    }
  }
  return 'en';
}

export async function loadLanguage(wanted, remember = false) {
  const response = await fetch(`/i18n/${wanted}.json`);
  catalogue = await response.json();
  language = wanted;
  plurals = new Intl.PluralRules(wanted);
  document.documentElement.lang = wanted;
  if (remember) {
    localStorage.setItem(STORED, wanted);
  }
}

export function currentLanguage() {
  return language;
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** The text for a key; a missing key shows as itself so that it is noticed. */
export function t(key, values = {}) {
  const text = catalogue[key];
  return typeof text === 'string' ? fill(text, values) : key;
}

/** The plural form of a key for count (values.count is set to it). */
export function tn(key, count, values = {}) {
  const forms = catalogue[key];
  if (!forms || typeof forms !== 'object') {
    return key;
  }
  const form = forms[plurals.select(count)] ?? forms.other;
  return fill(form, {...values, count});
}

/**
 * One formatter per language and style: making an Intl.DateTimeFormat costs far more than using
 * one, and a long chat list or conversation formats thousands of times (BENCHMARKS.md, the web app).
 */
const formats = new Map();
function formatter(style) {
  const key = `${language}|${JSON.stringify(style)}`;
  if (!formats.has(key)) {
    formats.set(key, new Intl.DateTimeFormat(language, style));
  }
  return formats.get(key);
}

/** A day as the user's language writes it, for the separators between days. */
export function formatDate(millis) {
  return formatter({day: 'numeric', month: 'long', year: 'numeric'}).format(new Date(millis));
}

/** A time as the user's language writes it. */
export function formatTime(millis) {
  return formatter({hour: '2-digit', minute: '2-digit'}).format(new Date(millis));
}
