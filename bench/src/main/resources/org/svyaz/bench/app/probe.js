// SPDX-License-Identifier: AGPL-3.0-only
// Installed by 'svyaz bench app' before any script of the page runs (DevTools
// Page.addScriptToEvaluateOnNewDocument); not part of the app. It records the browser's long tasks
// from the start, times every JSON-RPC call the app makes (from fetch to the parsed answer), and
// holds the steps the benchmark drives the page with. Every loop here ends by a count and a deadline.
(() => {
  const bench = {longTasks: [], calls: [], observing: false, observerError: null};
  Object.defineProperty(window, 'svyazBench', {value: bench});

  try {
    new PerformanceObserver(list => {
      for (const entry of list.getEntries()) {
        bench.longTasks.push({start: entry.startTime, duration: entry.duration});
      }
    }).observe({type: 'longtask', buffered: true});
    bench.observing = PerformanceObserver.supportedEntryTypes.includes('longtask');
  } catch (e) {
    bench.observerError = String(e);
  }

  // The app's only way to the daemon is fetch('/api/v1/rpc') with a JSON body and reply.json().
  const realFetch = window.fetch.bind(window);
  window.fetch = async (resource, init) => {
    const method = String(resource).endsWith('/api/v1/rpc') && typeof init?.body === 'string'
      ? /"method":"(\w+)"/.exec(init.body)?.[1] : null;
    const start = performance.now();
    const response = await realFetch(resource, init);
    if (!method) {
      return response;
    }
    const json = response.json.bind(response);
    response.json = async () => {
      const reply = await json();
      const result = reply?.result;
      bench.calls.push({method, start, end: performance.now(),
        items: Array.isArray(result) ? result.length : null, error: reply?.error ? reply.error.code : null});
      return reply;
    };
    return response;
  };

  const frame = () => new Promise(resolve => requestAnimationFrame(() => resolve()));
  const pause = millis => new Promise(resolve => setTimeout(resolve, millis));
  const count = selector => document.querySelectorAll(selector).length;

  bench.now = () => performance.now();

  /** Resolves with the time {count of selector} first equals {expected}, checked every frame; null at the deadline. */
  bench.waitForCount = async (selector, expected, timeoutMillis) => {
    const deadline = performance.now() + timeoutMillis;
    while (performance.now() < deadline) {
      if (count(selector) === expected) {
        return performance.now();
      }
      await frame();
    }
    return null;
  };

  /**
   * Resolves when #app has not changed for {quietMillis} and holds at least one {selector}: the
   * time of its last change (what the user saw last), and how many {selector} there are. Null at the deadline.
   */
  bench.waitForQuiet = async (selector, quietMillis, timeoutMillis) => {
    const deadline = performance.now() + timeoutMillis;
    let changed = performance.now();
    const observer = new MutationObserver(() => {
      changed = performance.now();
    });
    observer.observe(document.getElementById('app'), {childList: true, subtree: true, characterData: true});
    try {
      while (performance.now() < deadline) {
        await pause(50);
        if (performance.now() - changed >= quietMillis && count(selector) > 0) {
          return {at: changed, count: count(selector)};
        }
      }
      return null;
    } finally {
      observer.disconnect();
    }
  };

  /** Scrolls the page to its bottom and back, {fraction} of the window at a time, two frames per step. */
  bench.scrollDownAndUp = async (fraction, maxSteps, timeoutMillis) => {
    const scroller = document.scrollingElement;
    const step = Math.max(1, Math.floor(innerHeight * fraction));
    const deadline = performance.now() + timeoutMillis;
    const start = performance.now();
    let steps = 0;
    while (scroller.scrollTop + scroller.clientHeight < scroller.scrollHeight - 1 && steps < maxSteps
      && performance.now() < deadline) {
      scroller.scrollBy(0, step);
      steps++;
      await frame();
      await frame();
    }
    const bottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1;
    while (scroller.scrollTop > 0 && steps < 2 * maxSteps && performance.now() < deadline) {
      scroller.scrollBy(0, -step);
      steps++;
      await frame();
      await frame();
    }
    return {start, end: performance.now(), steps, reachedBottom: bottom, backAtTop: scroller.scrollTop === 0};
  };

  /** The timestamps of the messages the page shows, oldest first. */
  const shownMessages = () => [...document.querySelectorAll('.messages .message')]
    .map(item => Number(item.dataset.timestamp));

  /**
   * Scrolls to the {edge} ('top' or 'bottom') of the conversation again and again, each time waiting
   * for the page of messages that scrolling to its sentinel ('.earlier' or '.later') brings, until
   * the sentinel is hidden (nothing more that way) or {maxPages} pages. The app keeps only a few
   * pages in the page, so a page counts as shown when the message at that edge changed. One entry
   * per page: when it was asked for and when it was shown. {messages}: how many different messages
   * were shown on the way.
   */
  const scrollThrough = async (edge, maxPages, pageTimeoutMillis, timeoutMillis) => {
    // Only the messages scroll in a conversation, not the page.
    const scroller = document.querySelector('.message-scroller');
    const deadline = performance.now() + timeoutMillis;
    const start = performance.now();
    const pages = [];
    const sentinel = () => document.querySelector(edge === 'top' ? '.messages .earlier' : '.messages .later');
    const atEdge = () => {
      const shown = shownMessages();
      return shown.length === 0 ? null : (edge === 'top' ? shown[0] : shown[shown.length - 1]);
    };
    const seen = new Set(shownMessages());
    let outcome = 'done';
    while (sentinel() && !sentinel().hidden) {
      if (pages.length >= maxPages || performance.now() >= deadline) {
        outcome = pages.length >= maxPages ? 'page limit' : 'time limit';
        break;
      }
      const before = atEdge();
      const asked = performance.now();
      scroller.scrollTop = edge === 'top' ? 0 : scroller.scrollHeight;
      const pageDeadline = Math.min(deadline, asked + pageTimeoutMillis);
      while (atEdge() === before && !sentinel()?.hidden && performance.now() < pageDeadline) {
        await frame();
      }
      if (atEdge() === before) {
        // With a multiple of 100 messages the last full page leaves the sentinel up; the empty page after it hides it.
        outcome = sentinel()?.hidden ? 'done' : 'no page came';
        break;
      }
      shownMessages().forEach(timestamp => seen.add(timestamp));
      pages.push({asked, shown: performance.now(), messages: count('.messages .message')});
      await frame();
    }
    return {start, end: performance.now(), pages, outcome, messages: seen.size, inPage: count('.messages .message'),
      edge: atEdge()};
  };

  /** Scrolls back to the first message of the conversation. */
  bench.scrollBackThroughHistory = (maxPages, pageTimeoutMillis, timeoutMillis) =>
    scrollThrough('top', maxPages, pageTimeoutMillis, timeoutMillis);

  /** Then forward again to the newest. */
  bench.scrollForwardToNewest = (maxPages, pageTimeoutMillis, timeoutMillis) =>
    scrollThrough('bottom', maxPages, pageTimeoutMillis, timeoutMillis);

  /** What happened between two times: long tasks that started then, calls that started then, the JS heap now. */
  bench.between = (from, to) => ({
    longTasks: bench.longTasks.filter(task => task.start >= from && task.start < to),
    calls: bench.calls.filter(call => call.start >= from && call.start < to),
    heapBytes: performance.memory ? performance.memory.usedJSHeapSize : null,
  });
})();
