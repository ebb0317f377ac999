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

  /**
   * Scrolls to the top of the conversation again and again, each time waiting for the page of older
   * messages that scrolling to the '.earlier' sentinel loads, until the sentinel is hidden (nothing
   * older) or {maxPages} pages. One entry per page: when it was asked for and when it was shown.
   */
  bench.scrollBackThroughHistory = async (maxPages, pageTimeoutMillis, timeoutMillis) => {
    const scroller = document.scrollingElement;
    const deadline = performance.now() + timeoutMillis;
    const start = performance.now();
    const pages = [];
    const earlier = () => document.querySelector('.messages .earlier');
    let outcome = 'done';
    while (earlier() && !earlier().hidden) {
      if (pages.length >= maxPages || performance.now() >= deadline) {
        outcome = pages.length >= maxPages ? 'page limit' : 'time limit';
        break;
      }
      const before = count('.messages .message');
      const asked = performance.now();
      scroller.scrollTop = 0;
      const pageDeadline = Math.min(deadline, asked + pageTimeoutMillis);
      while ((count('.messages .message') === before && !earlier()?.hidden) && performance.now() < pageDeadline) {
        await frame();
      }
      const after = count('.messages .message');
      if (after === before) {
        // With a multiple of 100 messages the last full page leaves the sentinel up; the empty page after it hides it.
        outcome = earlier()?.hidden ? 'done' : 'no page came';
        break;
      }
      pages.push({asked, shown: performance.now(), messages: after});
      await frame();
    }
    const shown = [...document.querySelectorAll('.messages .message')];
    return {start, end: performance.now(), pages, outcome, messages: shown.length,
      oldest: shown.length > 0 ? Number(shown[0].dataset.timestamp) : null};
  };

  /** What happened between two times: long tasks that started then, calls that started then, the JS heap now. */
  bench.between = (from, to) => ({
    longTasks: bench.longTasks.filter(task => task.start >= from && task.start < to),
    calls: bench.calls.filter(call => call.start >= from && call.start < to),
    heapBytes: performance.memory ? performance.memory.usedJSHeapSize : null,
  });
})();
