// SPDX-License-Identifier: AGPL-3.0-only
// The app's only way to the daemon: the same JSON-RPC and event stream that bots use.

/** A failed call: the daemon's JSON-RPC error code and sentence (signal-cli's codes). */
export class RpcError extends Error {
  constructor(code, message, data) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

let nextId = 1;

/** Calls a JSON-RPC method and returns its result, or throws RpcError. */
export async function call(method, params = {}) {
  let response;
  try {
    response = await fetch('/api/v1/rpc', {
      method: 'POST',
      headers: {'Content-Type': 'application/json'},
      credentials: 'same-origin',
      body: JSON.stringify({jsonrpc: '2.0', id: nextId++, method, params}),
    });
  } catch (e) {
    throw new RpcError(-3, e.message);
  }
  if (!response.ok) {
    throw new RpcError(-response.status, await response.text());
  }
  const reply = await response.json();
  if (reply.error) {
    throw new RpcError(reply.error.code, reply.error.message, reply.error.data);
  }
  return reply.result;
}

/** Trades the one-time secret from the start URL for the session cookie; true when it was accepted. */
export async function startSession(secret) {
  const response = await fetch('/api/v1/session', {
    method: 'POST',
    headers: {'Content-Type': 'application/json'},
    credentials: 'same-origin',
    body: JSON.stringify({secret}),
  });
  return response.ok;
}

/**
 * Follows the daemon's events: received messages, and files moving between the daemon and the
 * server (onTransfer). The browser reconnects by itself (and resumes from the last event id);
 * onOnline(false) is called while it is away.
 */
export function listen(onReceive, onOnline, onTransfer) {
  const source = new EventSource('/api/v1/events');
  source.addEventListener('receive', event => onReceive(JSON.parse(event.data)));
  source.addEventListener('transfer', event => onTransfer(JSON.parse(event.data)));
  source.addEventListener('open', () => onOnline(true));
  source.addEventListener('error', () => onOnline(false));
  return source;
}

/**
 * Uploads a file to the daemon, which keeps it until a send attaches it; onProgress(fraction) as it
 * goes. Resolves to the path that send's "attachments" takes.
 */
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/upload?filename=${encodeURIComponent(file.name)}`);
    request.upload.addEventListener('progress', event => {
      if (event.lengthComputable) {
        onProgress(event.loaded / event.total);
      }
    });
    request.addEventListener('load', () => {
      if (request.status === 200) {
        resolve(JSON.parse(request.responseText).path);
      } else {
        reject(new RpcError(-request.status, request.responseText.trim()));
      }
    });
    request.addEventListener('error', () => reject(new RpcError(-3, 'upload failed')));
    request.send(file);
  });
}

/** Where the page loads a received file from; inline for images, audio and video. */
export function attachmentUrl(account, attachment, download = false) {
  const query = new URLSearchParams({account, type: attachment.contentType || '', filename: attachment.filename || ''});
  if (download) {
    query.set('download', '1');
  }
  return `/api/v1/attachments/${encodeURIComponent(attachment.id)}?${query}`;
}
