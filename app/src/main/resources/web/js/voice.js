// SPDX-License-Identifier: AGPL-3.0-only
// Voice messages: recorded in the browser (MediaRecorder, Opus where the browser has it) and played
// inline with their length.
import {el} from './dom.js';
import {t} from './i18n.js';

/** Opus in WebM first (Chromium, Firefox), then whatever the browser records. */
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/mp4'];

function lengthText(seconds) {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/**
 * The recording's length. Browsers write WebM recordings without a duration in the header, so
 * the audio element cannot tell it before playing to the end; decoding the file can.
 */
async function measure(src, blob) {
  const bytes = await (blob ? blob.arrayBuffer() : (await fetch(src)).arrayBuffer());
  const decoded = await new OfflineAudioContext(1, 1, 48000).decodeAudioData(bytes);
  return decoded.duration;
}

/**
 * A voice note in the conversation: a player and its length. {@code blob}: the recording itself
 * when it is at hand (just sent), else it is fetched from {@code src}.
 */
export function voiceNoteView(src, filename, blob = null) {
  const length = el('span', {class: 'voice-length', 'aria-label': t('voice.length')}, '…');
  measure(src, blob)
    .then(seconds => {
      length.textContent = lengthText(seconds);
      length.dataset.seconds = seconds.toFixed(2);
    })
    .catch(() => {
      length.textContent = '';
    });
  return el('figure', {class: 'voice-note'},
    el('audio', {controls: true, preload: 'metadata', src, 'aria-label': t('voice.note', {name: filename})}),
    length);
}

/**
 * A record button: the first press starts recording, the second stops it and hands the recording
 * to {@code onRecorded} as a file; Escape throws it away. Returns the controls to show and
 * {@code discard}, to call when the screen is left.
 */
export function recordButton(onRecorded, onError) {
  let recorder = null;
  let chunks = [];
  let startedAt = 0;
  let ticker = null;
  const elapsed = el('span', {class: 'recording-time', hidden: true}, '0:00');
  const button = el('button', {type: 'button', class: 'record secondary', 'aria-pressed': 'false',
    title: t('voice.record'), 'aria-label': t('voice.record')}, '🎤');

  function reset() {
    clearInterval(ticker);
    recorder?.stream.getTracks().forEach(track => track.stop());
    recorder = null;
    elapsed.hidden = true;
    button.textContent = '🎤';
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-label', t('voice.record'));
    button.title = t('voice.record');
  }

  async function start() {
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined') {
      onError(t('voice.unsupported'));
      return;
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: true});
    } catch (e) {
      onError(t('voice.noMicrophone', {reason: e.message}));
      return;
    }
    const type = TYPES.find(candidate => MediaRecorder.isTypeSupported(candidate)) || '';
    recorder = new MediaRecorder(stream, type ? {mimeType: type} : {});
    chunks = [];
    recorder.ondataavailable = event => {
      if (event.data.size > 0) {
        chunks.push(event.data);
      }
    };
    recorder.start();
    startedAt = Date.now();
    elapsed.textContent = '0:00';
    elapsed.hidden = false;
    ticker = setInterval(() => {
      elapsed.textContent = lengthText((Date.now() - startedAt) / 1000);
    }, 500);
    button.textContent = '⏹';
    button.setAttribute('aria-pressed', 'true');
    button.setAttribute('aria-label', t('voice.stop'));
    button.title = t('voice.stop');
  }

  function stop(keep) {
    const active = recorder;
    if (!active) {
      return;
    }
    active.onstop = () => {
      if (keep && chunks.length > 0) {
        const type = (active.mimeType || 'audio/webm').split(';')[0];
        const extension = type.includes('ogg') ? 'ogg' : type.includes('mp4') ? 'm4a' : 'webm';
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        onRecorded(new File(chunks, `voice-${stamp}.${extension}`, {type}));
      }
    };
    active.stop();
    reset();
  }

  button.addEventListener('click', () => (recorder ? stop(true) : start()));
  const onKey = event => {
    if (event.key === 'Escape' && recorder) {
      stop(false);
    }
  };
  document.addEventListener('keydown', onKey);
  /** For leaving the screen: a recording under way is thrown away and the microphone let go. */
  const discard = () => {
    document.removeEventListener('keydown', onKey);
    stop(false);
  };
  return {controls: [button, elapsed], discard};
}
