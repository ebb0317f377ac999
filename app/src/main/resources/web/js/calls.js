// SPDX-License-Identifier: AGPL-3.0-only
// One-to-one voice and video calls. The media flows between the two browsers (WebRTC, DTLS-SRTP);
// the offer, answer, candidates and hangup travel as end-to-end encrypted call messages through the
// daemon (sendCallMessage, and callMessage in received envelopes). The browser refuses media from a
// peer whose DTLS certificate does not match the fingerprint in the description that came through
// that encryption, so neither the server nor a TURN server can sit in the middle.
import {call} from './api.js';
import {el} from './dom.js';
import {t} from './i18n.js';

/** An offer older than this (it waited in the mailbox while this device was off) is a missed call, not a ring. */
const OFFER_MAX_AGE_MILLIS = 60_000;
/** How long a call rings before the caller gives up. */
const RING_MILLIS = 60_000;
/** Candidates found within this time go out in one message. */
const CANDIDATE_BATCH_MILLIS = 150;

let account = null;
/** The call now, or null: at most one at a time; an offer meanwhile is answered busy. */
let current = null;

/** Where the calls of {@code username} are shown; call once the account is known. */
export function startCalls(username) {
  account = username;
}

/** Whether the app is in a call (ringing, connecting or connected). */
export function inCall() {
  return current !== null;
}

function newCallId() {
  // A whole number a browser holds exactly (below 2^53), so it comes back unchanged in answers.
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0] & 0x1fffff) * 2 ** 32 + words[1];
}

function send(peer, part) {
  return call('sendCallMessage', {account, recipient: peer, ...part});
}

/** Rings or ring-back as short beeps from an oscillator: no sound file to load. */
function tone(pattern) {
  const context = new AudioContext();
  const gain = context.createGain();
  gain.gain.value = 0;
  gain.connect(context.destination);
  const oscillator = context.createOscillator();
  oscillator.frequency.value = pattern === 'ring' ? 880 : 440;
  oscillator.connect(gain);
  oscillator.start();
  let on = false;
  const timer = setInterval(() => {
    on = !on;
    gain.gain.value = on ? 0.2 : 0;
  }, pattern === 'ring' ? 400 : 1000);
  context.resume().catch(() => {});
  return {
    stop() {
      clearInterval(timer);
      oscillator.stop();
      context.close().catch(() => {});
    },
  };
}

function panel() {
  return document.getElementById('call');
}

function formatDuration(millis) {
  const seconds = Math.floor(millis / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A new call record with its screen; {@code outgoing}: this side rings the other. */
function newCall(id, peer, video, outgoing) {
  const state = el('p', {class: 'call-state', role: 'status', 'aria-live': 'polite'});
  const route = el('p', {class: 'call-route'});
  const warning = el('p', {class: 'call-warning', role: 'alert', hidden: true});
  const remoteVideo = el('video', {class: 'remote-video', autoplay: true, playsinline: true, hidden: !video});
  const localVideo = el('video', {class: 'local-video', autoplay: true, playsinline: true, muted: true, hidden: !video});
  const remoteAudio = el('audio', {class: 'remote-audio', autoplay: true});
  const controls = el('div', {class: 'call-controls'});
  const screen = el('section', {class: 'call-screen', 'aria-label': t('call.title', {name: peer})},
    el('h2', {}, peer), state, warning, el('div', {class: 'call-videos'}, remoteVideo, localVideo), remoteAudio,
    route, controls);
  panel().replaceChildren(screen);
  panel().hidden = false;
  return {
    id, peer, video, outgoing,
    pc: null, stream: null, sound: null,
    accepted: false, connectedAt: 0, ended: false,
    /** Remote candidates that came before the description they belong to. */
    remoteCandidates: [],
    /** Local candidates not sent yet; {@code hold}: those that would show this device's address. */
    localCandidates: [], holdDirect: outgoing, candidateTimer: null,
    /** Whether the callee has the offer: candidates sent before it would find no call and be lost. */
    offered: !outgoing,
    timers: [],
    ui: {state, route, warning, remoteVideo, localVideo, remoteAudio, controls},
  };
}

function setState(text) {
  current.ui.state.textContent = text;
}

function setControls(...buttons) {
  current.ui.controls.replaceChildren(...buttons);
}

function button(className, label, action, pressed) {
  const attributes = {type: 'button', class: className, onclick: action};
  if (pressed !== undefined) {
    attributes['aria-pressed'] = String(pressed);
  }
  return el('button', attributes, label);
}

function stopSound() {
  current?.sound?.stop();
  if (current) {
    current.sound = null;
  }
}

/** Leaves the call: media and connection closed, the screen shows why for a moment, then goes. */
function end(reason) {
  const ending = current;
  if (!ending || ending.ended) {
    return;
  }
  ending.ended = true;
  stopSound();
  ending.timers.forEach(clearTimeout);
  ending.timers.forEach(clearInterval);
  clearTimeout(ending.candidateTimer);
  ending.stream?.getTracks().forEach(track => track.stop());
  ending.pc?.close();
  ending.ui.state.textContent = reason;
  ending.ui.controls.replaceChildren();
  current = null;
  setTimeout(() => {
    if (current === null && panel().contains(ending.ui.state)) {
      panel().hidden = true;
      panel().replaceChildren();
    }
  }, 2500);
}

/** Ends the call from this side and tells the other. */
function hangUp(type = 'NORMAL') {
  if (!current) {
    return;
  }
  const {id, peer, untrusted, accepted} = current;
  end(t(type === 'DECLINED' ? 'call.declined' : 'call.ended'));
  if (untrusted && !accepted) {
    // Nothing goes to a safety number the user has not accepted; the caller's ring times out.
    return;
  }
  send(peer, {hangupMessage: {id, type}}).catch(() => {});
}

async function connect(video) {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true, video});
  current.stream = stream;
  current.ui.localVideo.srcObject = stream;
  // The server's TURN servers, fresh credentials each call; with "always relay calls" the only route.
  const turn = await call('getTurnServers', {account});
  const pc = new RTCPeerConnection({iceServers: turn.iceServers, iceTransportPolicy: turn.alwaysRelay ? 'relay' : 'all'});
  current.pc = pc;
  for (const track of stream.getTracks()) {
    pc.addTrack(track, stream);
  }
  const mine = current;
  pc.addEventListener('icecandidate', event => {
    if (event.candidate && event.candidate.candidate) {
      mine.localCandidates.push(event.candidate);
      flushCandidatesSoon(mine);
    }
  });
  pc.addEventListener('track', event => {
    const [remote] = event.streams;
    mine.ui.remoteAudio.srcObject = remote;
    if (event.track.kind === 'video') {
      mine.ui.remoteVideo.srcObject = remote;
    }
  });
  pc.addEventListener('connectionstatechange', () => {
    if (mine !== current) {
      return;
    }
    if (pc.connectionState === 'connected' && !mine.connectedAt) {
      connected();
    } else if (pc.connectionState === 'failed') {
      const {id, peer} = mine;
      end(t('call.failed'));
      send(peer, {hangupMessage: {id, type: 'NORMAL'}}).catch(() => {});
    }
  });
  return pc;
}

function flushCandidatesSoon(mine) {
  if (mine.candidateTimer) {
    return;
  }
  mine.candidateTimer = setTimeout(() => {
    mine.candidateTimer = null;
    if (mine.ended || !mine.offered) {
      return;
    }
    // Until the callee accepts, only relayed candidates go out: a ring must not tell anyone where
    // this device is on the network.
    const ready = mine.localCandidates.filter(c => !mine.holdDirect || c.type === 'relay');
    mine.localCandidates = mine.localCandidates.filter(c => !ready.includes(c));
    for (let i = 0; i < ready.length; i += 32) {
      const batch = ready.slice(i, i + 32).map(c => ({id: mine.id, sdp: withoutRelatedAddress(c), mid: c.sdpMid ?? ''}));
      send(mine.peer, {iceUpdateMessages: batch}).catch(() => {});
    }
  }, CANDIDATE_BATCH_MILLIS);
}

/**
 * A candidate's SDP line, for a relayed one without its related address: that is where the TURN
 * server saw this device, which is exactly what a relayed call must not tell. ICE does not need it.
 */
function withoutRelatedAddress(candidate) {
  if (candidate.type !== 'relay') {
    return candidate.candidate;
  }
  return candidate.candidate.replace(/ raddr \S+ rport \d+/, ' raddr 0.0.0.0 rport 0');
}

async function addRemoteCandidates() {
  const pc = current.pc;
  for (const candidate of current.remoteCandidates.splice(0)) {
    await pc.addIceCandidate({candidate: candidate.sdp, sdpMid: candidate.mid || null}).catch(() => {});
  }
}

function connected() {
  stopSound();
  current.connectedAt = Date.now();
  const mine = current;
  const tick = () => {
    setState(t('call.connected', {duration: formatDuration(Date.now() - mine.connectedAt)}));
    showRoute(mine);
  };
  tick();
  mine.timers.push(setInterval(tick, 1000));
}

/** Numbers about the call now: media received (bytes, and the sound's energy), and the network route that carries it. */
export async function callStats() {
  if (!current?.pc) {
    return null;
  }
  const stats = await current.pc.getStats();
  const result = {inboundAudioBytes: 0, inboundVideoBytes: 0, inboundAudioEnergy: 0, route: null};
  let pair = null;
  stats.forEach(report => {
    if (report.type === 'inbound-rtp') {
      result[report.kind === 'video' ? 'inboundVideoBytes' : 'inboundAudioBytes'] += report.bytesReceived || 0;
      if (report.kind === 'audio') {
        result.inboundAudioEnergy += report.totalAudioEnergy || 0;
      }
    } else if (report.type === 'transport' && report.selectedCandidatePairId) {
      pair = stats.get(report.selectedCandidatePairId);
    }
  });
  if (pair) {
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    result.route = {
      local: local?.candidateType, remote: remote?.candidateType, protocol: local?.protocol,
      relayProtocol: local?.relayProtocol ?? null,
    };
  }
  return result;
}
window.svyazCallStats = callStats;

async function showRoute(mine) {
  const stats = await callStats().catch(() => null);
  if (!stats?.route || mine !== current) {
    return;
  }
  const relayed = stats.route.local === 'relay' || stats.route.remote === 'relay';
  mine.ui.route.textContent = relayed
    ? t('call.routeRelayed', {protocol: stats.route.relayProtocol ?? stats.route.protocol})
    : t('call.routeDirect', {protocol: stats.route.protocol});
}

function inCallControls() {
  const audio = () => current.stream.getAudioTracks();
  const video = () => current.stream.getVideoTracks();
  const mute = button('call-mute', t('call.mute'), () => {
    const muted = mute.getAttribute('aria-pressed') !== 'true';
    audio().forEach(track => { track.enabled = !muted; });
    mute.setAttribute('aria-pressed', String(muted));
  }, false);
  const controls = [mute];
  if (current.video) {
    const camera = button('call-camera', t('call.cameraOff'), () => {
      const off = camera.getAttribute('aria-pressed') !== 'true';
      video().forEach(track => { track.enabled = !off; });
      camera.setAttribute('aria-pressed', String(off));
    }, false);
    const voice = button('secondary call-voice', t('call.switchToVoice'), () => {
      // Stops the camera for good; the other side's video stops as no more frames come.
      for (const sender of current.pc.getSenders()) {
        if (sender.track?.kind === 'video') {
          sender.track.stop();
          sender.replaceTrack(null);
        }
      }
      current.ui.localVideo.hidden = true;
      camera.remove();
      voice.remove();
    });
    controls.push(camera, voice);
  }
  controls.push(button('call-hangup danger', t('call.hangUp'), () => hangUp()));
  setControls(...controls);
}

/** Rings {@code peer}; {@code video}: a video call. */
export async function startCall(peer, video) {
  if (current) {
    return;
  }
  current = newCall(newCallId(), peer, video, true);
  const mine = current;
  setState(t('call.calling'));
  setControls(button('call-hangup danger', t('call.hangUp'), () => hangUp()));
  try {
    const pc = await connect(video);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await send(peer, {offerMessage: {id: mine.id, sdp: offer.sdp, type: video ? 'VIDEO_CALL' : 'AUDIO_CALL'}});
    if (mine !== current) {
      return;
    }
    mine.offered = true;
    flushCandidatesSoon(mine);
    mine.sound = tone('ringback');
    inCallControls();
    mine.timers.push(setTimeout(() => {
      if (mine === current && !mine.accepted) {
        hangUp();
        mine.ui.state.textContent = t('call.noAnswer');
      }
    }, RING_MILLIS));
  } catch (e) {
    if (mine === current) {
      end(t('call.couldNotStart', {reason: e.message}));
    }
  }
}

function ring(envelope, offer) {
  current = newCall(offer.id, envelope.source, offer.type === 'VIDEO_CALL', false);
  current.offerSdp = offer.sdp;
  setState(t(current.video ? 'call.incomingVideo' : 'call.incomingVoice'));
  if (envelope.untrustedIdentity) {
    current.ui.warning.textContent = t('call.safetyNumberChanged', {name: envelope.source});
    current.ui.warning.hidden = false;
  }
  current.sound = tone('ring');
  setControls(
    button('call-accept', t(envelope.untrustedIdentity ? 'call.acceptAnyway' : 'call.accept'), () => accept()),
    button('call-decline danger', t('call.decline'), () => hangUp('DECLINED')));
  const mine = current;
  mine.timers.push(setTimeout(() => {
    if (mine === current && !mine.accepted) {
      end(t('call.missed'));
    }
  }, RING_MILLIS));
}

async function accept() {
  const mine = current;
  if (!mine || mine.accepted) {
    return;
  }
  mine.accepted = true;
  stopSound();
  setState(t('call.connecting'));
  try {
    if (mine.untrusted) {
      await call('trust', {account, recipient: mine.peer, trustAllKnownKeys: true});
    }
    const pc = await connect(mine.video);
    await pc.setRemoteDescription({type: 'offer', sdp: mine.offerSdp});
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    await send(mine.peer, {answerMessage: {id: mine.id, sdp: answer.sdp}});
    if (mine !== current) {
      return;
    }
    await addRemoteCandidates();
    inCallControls();
  } catch (e) {
    if (mine === current) {
      end(t('call.couldNotStart', {reason: e.message}));
      send(mine.peer, {hangupMessage: {id: mine.id, type: 'NORMAL'}}).catch(() => {});
    }
  }
}

async function answered(answer) {
  current.accepted = true;
  stopSound();
  setState(t('call.connecting'));
  // Accepted: from now on this device's own addresses may go to the callee too.
  current.holdDirect = false;
  flushCandidatesSoon(current);
  await current.pc.setRemoteDescription({type: 'answer', sdp: answer.sdp});
  await addRemoteCandidates();
}

/**
 * Takes a received envelope's call message, if it has one; returns whether it had. Messages about
 * another call than this one are ignored, except an offer while busy, which is answered so.
 */
export function handleCallMessage(envelope) {
  const message = envelope.callMessage;
  if (!message) {
    return false;
  }
  const offer = message.offerMessage;
  if (offer) {
    if (!Number.isSafeInteger(offer.id)) {
      return true;
    }
    if (Date.now() - envelope.timestamp > OFFER_MAX_AGE_MILLIS) {
      return true;
    }
    if (current) {
      send(envelope.source, {busyMessage: {id: offer.id}}).catch(() => {});
      return true;
    }
    ring(envelope, offer);
    current.untrusted = Boolean(envelope.untrustedIdentity);
    return true;
  }
  const id = message.answerMessage?.id ?? message.hangupMessage?.id ?? message.busyMessage?.id
    ?? message.iceUpdateMessages?.[0]?.id;
  if (!current || id !== current.id || envelope.source !== current.peer) {
    return true;
  }
  if (message.answerMessage && current.outgoing && !current.accepted) {
    answered(message.answerMessage).catch(e => end(t('call.couldNotStart', {reason: e.message})));
  } else if (message.iceUpdateMessages) {
    current.remoteCandidates.push(...message.iceUpdateMessages);
    if (current.pc?.remoteDescription) {
      addRemoteCandidates();
    }
  } else if (message.busyMessage) {
    end(t('call.busy'));
  } else if (message.hangupMessage) {
    end(t(message.hangupMessage.type === 'DECLINED' ? 'call.declinedByPeer' : 'call.endedByPeer'));
  }
  return true;
}
