/*
 * Herald's browser client: HeraldEvents.subscribe(channel, onEvent, options) -> unsubscribe().
 *
 * Why it exists: browsers open at most six HTTP/1.1 connections per origin, so an app kept open in
 * many tabs, each with its own EventSource, starves itself. Here all tabs of an origin share ONE
 * stream to Herald through a SharedWorker. The worker is this very file (loaded again from
 * <events.path>/client.js): it holds one stream for the union of the channels its tabs want,
 * parses it, and routes each event to the tabs subscribed to its channel. Where SharedWorker is
 * missing (or the script came from another origin), the page runs the same stream reader itself:
 * one stream per page for the union of its channels.
 *
 * Herald serves this file with one line before it, naming where the streams are and how often an
 * idle stream gets a heartbeat:
 *   const HERALD_CONFIG = {"heartbeatMs":15000,"path":"/events","resetEvent":"herald-reset"};
 *
 * Plain ES2017, no build step, works as a classic <script>. Include it once per page.
 */
(function () {
  'use strict';

  const CONFIG = Object.assign({ path: '/events', resetEvent: 'herald-reset', heartbeatMs: 15000 },
    typeof HERALD_CONFIG === 'object' && HERALD_CONFIG !== null ? HERALD_CONFIG : {});

  // Herald's channel names: 1-200 bytes of A-Z a-z 0-9 - _ . : @ /. All of them are safe in a URL
  // path and query as they are, so names are never percent-encoded (Herald matches them raw).
  const CHANNEL_NAME = /^[A-Za-z0-9_.:@/-]{1,200}$/;
  const WORKER_NAME = 'herald-events';
  // The worker asks every tab for a sign of life this often (a tab answers from its message
  // handler, which background tabs run without the throttling their timers get) ...
  const PING_INTERVAL_MS = 10000;
  // ... and stops serving a tab silent for this long: it closed without saying so, or is frozen.
  const TAB_SILENCE_LIMIT_MS = 35000;
  // A tab also announces its channels on its own this often, so one that was dropped while it
  // could not answer (frozen, or throttled hard) is taken back. Chrome runs the timers of a tab
  // hidden for long once a minute at most.
  const TAB_ANNOUNCE_INTERVAL_MS = 60000;
  // Subscriptions made together (a page subscribing at load) reopen the stream once, not per call.
  const REOPEN_DELAY_MS = 20;
  // Reconnect delay before Herald's retry: arrives; browsers' own default is 3 s too.
  const DEFAULT_RETRY_MS = 3000;
  // Herald writes at least a comment every heartbeat; a stream silent for this many of them was
  // lost on the way (a proxy or NAT that dropped it without closing it) and is reopened.
  const SILENT_HEARTBEATS = 3;
  // Backoff after failed connects starts at max(retry, 1 s) and doubles up to this cap.
  const MIN_BACKOFF_MS = 1000;
  const MAX_BACKOFF_MS = 30000;

  // ------------------------------------------------------------------------------------ the page

  /** The page's API. `scriptUrl` is where this file was loaded from; streams live on that origin. */
  function createPageClient(scriptUrl) {
    const streamBase = new URL(CONFIG.path, scriptUrl).href;
    const sameOrigin = new URL(scriptUrl).origin === location.origin;
    let transport = null;

    function subscribe(channel, onEvent, options) {
      options = options || {};
      if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel)) {
        throw new TypeError('HeraldEvents.subscribe: bad channel name ' + JSON.stringify(channel));
      }
      if (typeof onEvent !== 'function') {
        throw new TypeError('HeraldEvents.subscribe: onEvent must be a function');
      }
      const subscription = {
        channel: channel,
        onEvent: onEvent,
        onOpen: typeof options.onOpen === 'function' ? options.onOpen : null,
        onError: typeof options.onError === 'function' ? options.onError : null,
        types: new Set(options.events || []),
      };
      if (transport === null) transport = chooseTransport();
      transport.add(subscription);
      let active = true;
      return function unsubscribe() {
        if (!active) return;
        active = false;
        transport.remove(subscription);
      };
    }

    // A SharedWorker must come from the page's own origin; a script included from Herald on
    // another origin reads the stream in the page, with credentials (the origin must be in
    // allow_origins).
    function chooseTransport() {
      if (typeof SharedWorker === 'function' && sameOrigin) {
        try {
          // The same absolute URL from every page, so every tab reaches the same worker.
          return new SharedWorkerTransport(streamBase + '/client.js', fallBack);
        } catch (error) {
          // SecurityError (sandboxed frame, CSP worker-src, ...): the fallback still works.
        }
      }
      return new PageTransport(streamBase, !sameOrigin);
    }

    // The worker failed to start: move every subscription to a stream of the page's own.
    function fallBack(subscriptions) {
      transport = new PageTransport(streamBase, !sameOrigin);
      subscriptions.forEach((subscription) => transport.add(subscription));
    }

    return Object.freeze({
      subscribe: subscribe,
      config: Object.freeze(Object.assign({}, CONFIG)),
      /** 'shared-worker', 'page' (the fallback), or null before the first subscribe. */
      get transport() { return transport === null ? null : transport.kind; },
    });
  }

  /** Whether a subscription wants an event of `type`: message, its listed types, and resets. */
  function wants(subscription, type) {
    return type === 'message' || type === CONFIG.resetEvent || subscription.types.has(type);
  }

  // An event names the channels it belongs to, or none (a reset): then it is for every channel.
  function deliver(subscriptions, message) {
    Array.from(subscriptions).forEach((subscription) => {
      const forChannel = message.channels === null || message.channels.indexOf(subscription.channel) >= 0;
      if (!forChannel || !wants(subscription, message.type)) return;
      callHandler(subscription.onEvent,
        { channel: subscription.channel, type: message.type, data: message.data, id: message.id });
    });
  }

  /** Calls a page's handler; one that throws is reported without stopping the others. */
  function callHandler(handler, value) {
    try {
      handler(value);
    } catch (error) {
      setTimeout(() => { throw error; });
    }
  }

  /**
   * The page's side of the shared connection: tells the worker which channels this tab wants,
   * answers its pings, says goodbye when the page goes away, and hands events to subscriptions.
   */
  function SharedWorkerTransport(workerUrl, onWorkerFailed) {
    this.kind = 'shared-worker';
    this.subscriptions = new Set();
    this.announcePending = false;
    this.heardFromWorker = false;
    this.worker = new SharedWorker(workerUrl, { name: WORKER_NAME });
    this.port = this.worker.port;
    this.port.onmessage = (message) => this.onWorkerMessage(message.data);
    // An error before the worker ever answered means it could not start at all.
    this.worker.onerror = () => {
      if (this.heardFromWorker) return;
      const moved = Array.from(this.subscriptions);
      this.subscriptions.clear();
      this.port.close();
      onWorkerFailed(moved);
    };
    // pagehide fires on every unload and on entering the back/forward cache; pageshow (persisted)
    // and resume bring the tab back. freeze: a frozen tab cannot answer pings.
    window.addEventListener('pagehide', () => this.post({ op: 'bye' }));
    window.addEventListener('freeze', () => this.post({ op: 'bye' }));
    window.addEventListener('pageshow', (event) => { if (event.persisted) this.announce(); });
    window.addEventListener('resume', () => this.announce());
    setInterval(() => this.announce(), TAB_ANNOUNCE_INTERVAL_MS);
  }

  SharedWorkerTransport.prototype.add = function (subscription) {
    this.subscriptions.add(subscription);
    this.announceSoon();
  };

  SharedWorkerTransport.prototype.remove = function (subscription) {
    this.subscriptions.delete(subscription);
    this.announceSoon();
  };

  // Several subscribe calls in one task make one announcement.
  SharedWorkerTransport.prototype.announceSoon = function () {
    if (this.announcePending) return;
    this.announcePending = true;
    Promise.resolve().then(() => {
      this.announcePending = false;
      this.announce();
    });
  };

  /** Sends the full set of this tab's channels (idempotent: it is also the answer to a ping). */
  SharedWorkerTransport.prototype.announce = function () {
    const channels = new Set();
    this.subscriptions.forEach((subscription) => channels.add(subscription.channel));
    this.post({ op: 'channels', channels: Array.from(channels) });
  };

  SharedWorkerTransport.prototype.post = function (message) {
    try {
      this.port.postMessage(message);
    } catch (error) {
      // The port is closed (the worker failed): nothing to tell.
    }
  };

  SharedWorkerTransport.prototype.onWorkerMessage = function (message) {
    this.heardFromWorker = true;
    if (message.op === 'ping') {
      this.announce();
    } else if (message.op === 'event') {
      deliver(this.subscriptions, message);
    } else if (message.op === 'open') {
      this.subscriptions.forEach((subscription) => {
        if (subscription.onOpen) callHandler(subscription.onOpen, undefined);
      });
    } else if (message.op === 'error') {
      this.subscriptions.forEach((subscription) => {
        if (subscription.onError) callHandler(subscription.onError, { status: message.status, fatal: true });
      });
    }
  };

  /**
   * The fallback: the page holds the stream itself, with the same reader as the worker: one stream
   * for the union of the page's channels, reopened when the union changes.
   */
  function PageTransport(streamBase, crossOrigin) {
    this.kind = 'page';
    this.subscriptions = new Set();
    this.stream = new HeraldStream(streamBase, crossOrigin, {
      wanted: () => unionOf(Array.from(this.subscriptions, (subscription) => [subscription.channel])),
      opened: () => this.subscriptions.forEach((subscription) => this.tellOpen(subscription)),
      received: (message) => deliver(this.subscriptions, message),
      refused: (status) => this.subscriptions.forEach((subscription) => this.tellRefused(subscription, status)),
    });
  }

  PageTransport.prototype.add = function (subscription) {
    this.subscriptions.add(subscription);
    // Joining a stream that already carries the channel: it will not open (or fail) again for it.
    setTimeout(() => {
      if (!this.subscriptions.has(subscription) || !this.stream.carries(subscription.channel)) return;
      if (this.stream.open) this.tellOpen(subscription);
      else if (this.stream.fatal) this.tellRefused(subscription, this.stream.fatal.status);
    });
    this.stream.reopenSoon();
  };

  PageTransport.prototype.remove = function (subscription) {
    this.subscriptions.delete(subscription);
    this.stream.reopenSoon();
  };

  PageTransport.prototype.tellOpen = function (subscription) {
    if (subscription.onOpen && this.stream.carries(subscription.channel)) callHandler(subscription.onOpen, undefined);
  };

  PageTransport.prototype.tellRefused = function (subscription, status) {
    if (subscription.onError) callHandler(subscription.onError, { status: status, fatal: true });
  };

  // ---------------------------------------------------------------------------- the shared worker

  /**
   * The worker: one stream to Herald for the union of its tabs' channels, reopened when the union
   * changes; every event goes to the tabs subscribed to its channel.
   */
  function runSharedWorker(scope) {
    const tabs = new Map(); // MessagePort -> { channels: Set, heardAt: ms }
    const stream = new HeraldStream(new URL(CONFIG.path, scope.location.href).href, false, {
      wanted: () => unionOf(Array.from(tabs.values(), (tab) => tab.channels)),
      opened: () => tabs.forEach((tab, port) => { if (carries(tab)) port.postMessage({ op: 'open' }); }),
      received: (message) => tabs.forEach((tab, port) => {
        if (message.channels === null || message.channels.some((channel) => tab.channels.has(channel))) {
          port.postMessage({ op: 'event', channels: message.channels, type: message.type, data: message.data, id: message.id });
        }
      }),
      refused: (status) => tabs.forEach((tab, port) => port.postMessage({ op: 'error', status: status })),
    });

    scope.onconnect = (event) => {
      const port = event.ports[0];
      tabs.set(port, { channels: new Set(), heardAt: Date.now() });
      port.onmessage = (message) => onTabMessage(port, message.data);
      // Newer browsers tell when the other side of a port is gone; the heartbeat covers the rest.
      port.addEventListener('close', () => forgetTab(port));
    };
    setInterval(checkTabs, PING_INTERVAL_MS);

    function onTabMessage(port, message) {
      if (message.op === 'bye') {
        forgetTab(port);
        return;
      }
      if (message.op !== 'channels') return;
      // Also takes back a tab that was dropped while silent: its port was kept open for that.
      tabs.set(port, { channels: new Set(message.channels), heardAt: Date.now() });
      if (stream.fatal) port.postMessage({ op: 'error', status: stream.fatal.status });
      else if (stream.open && carries(tabs.get(port))) port.postMessage({ op: 'open' }); // live from now on
      stream.reopenSoon();
    }

    // Stops routing to a tab. Its port stays open: a tab leaving for the back/forward cache says
    // bye and may come back; the port goes away with the tab's document.
    function forgetTab(port) {
      if (!tabs.delete(port)) return;
      stream.reopenSoon();
    }

    function checkTabs() {
      const now = Date.now();
      tabs.forEach((tab, port) => {
        if (now - tab.heardAt > TAB_SILENCE_LIMIT_MS) forgetTab(port);
        else port.postMessage({ op: 'ping' });
      });
    }

    // Whether the current stream holds every channel the tab wants.
    function carries(tab) {
      return Array.from(tab.channels).every((channel) => stream.carries(channel));
    }
  }

  // ------------------------------------------------------------------------ the stream to Herald

  /**
   * One stream to Herald for a set of channels, read with fetch() and parsed as EventSource would,
   * run by the shared worker or, without one, by the page. It resumes from the last event id,
   * reconnects after `retry:` and backs off (with jitter) after failed connects, stops on a final
   * refusal, and reopens a stream gone silent. `owner` says which channels are wanted (`wanted()`,
   * sorted) and hears of the stream: `opened()`, `received({channels, type, data, id})` (channels
   * null for an event of every channel, a reset) and `refused(status)`.
   */
  function HeraldStream(streamBase, crossOrigin, owner) {
    this.streamBase = streamBase;
    this.crossOrigin = crossOrigin;
    this.owner = owner;
    // channel -> id of the last event seen on it. Re-inserted on every event, so the Map's order is
    // arrival order and its last entry among a set of channels is that set's last event id.
    this.lastIds = new Map();
    this.channels = [];        // the channels of the open (or reopening) stream, sorted
    this.controller = null;    // AbortController of the fetch in progress
    this.open = false;         // the stream answered 200 and is being read
    this.lastReadAt = 0;       // when its last bytes came (ms)
    this.reconnectTimer = null;
    this.reopenTimer = null;
    this.retryMs = DEFAULT_RETRY_MS;
    this.failures = 0;         // connects in a row that did not open
    this.fatal = null;         // { status } once Herald refused for good; cleared by a new union
    // The watchdog: a stream that has been silent for SILENT_HEARTBEATS heartbeats is reopened.
    setInterval(() => {
      if (!this.open || Date.now() - this.lastReadAt <= SILENT_HEARTBEATS * CONFIG.heartbeatMs) return;
      this.controller.stalled = true; // so connect() reconnects instead of taking it as on purpose
      this.controller.abort();
    }, CONFIG.heartbeatMs);
  }

  HeraldStream.prototype.carries = function (channel) {
    return this.channels.indexOf(channel) >= 0;
  };

  // Changes of the wanted channels made together (a page subscribing at load) reopen once.
  HeraldStream.prototype.reopenSoon = function () {
    if (this.reopenTimer !== null) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      this.reopenIfChanged();
    }, REOPEN_DELAY_MS);
  };

  HeraldStream.prototype.reopenIfChanged = function () {
    const wanted = this.owner.wanted();
    if (sameList(wanted, this.channels)) return;
    this.close();
    this.channels = wanted;
    this.failures = 0;
    this.fatal = null;
    if (wanted.length > 0) this.connect();
  };

  HeraldStream.prototype.close = function () {
    this.open = false;
    if (this.controller) this.controller.abort();
    this.controller = null;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  };

  HeraldStream.prototype.connect = async function () {
    const controller = new AbortController();
    this.controller = controller;
    let outcome;
    try {
      outcome = await this.read(this.channels, controller.signal);
    } catch (error) {
      outcome = error;
    }
    if (this.controller !== controller) return; // closed on purpose; another stream took over
    if (controller.stalled) outcome = 'ended';
    this.controller = null;
    this.open = false;
    this.afterStream(outcome);
  };

  /** Fetches and parses one stream until it ends. Resolves 'ended' if it opened; throws if not. */
  HeraldStream.prototype.read = async function (channels, signal) {
    const lastId = this.lastIdFor(channels);
    const headers = { Accept: 'text/event-stream' };
    let url = this.streamBase + '?' + channels.map((channel) => 'channel=' + channel).join('&');
    // Across origins a Last-Event-ID header would cost a CORS preflight; Herald reads both.
    if (lastId && this.crossOrigin) url += '&lastEventId=' + encodeURIComponent(lastId);
    else if (lastId) headers['Last-Event-ID'] = lastId;
    const response = await fetch(url, {
      headers: headers, cache: 'no-store', signal: signal,
      credentials: this.crossOrigin ? 'include' : 'same-origin',
    });
    const type = response.headers.get('Content-Type') || '';
    if (response.status !== 200 || !/^text\/event-stream\b/i.test(type)) {
      throw new RefusedError(response.status, response.headers.get('Retry-After'));
    }
    this.failures = 0;
    this.open = true;
    this.lastReadAt = Date.now();
    this.owner.opened();
    const parser = new EventStreamParser(lastId, (block) => this.onBlock(channels, block), (ms) => { this.retryMs = ms; });
    const reader = response.body.getReader();
    const decoder = new TextDecoder(); // drops a leading BOM, as the SSE parsing rules ask
    for (;;) {
      const chunk = await reader.read();
      this.lastReadAt = Date.now();
      if (chunk.done) break;
      parser.push(decoder.decode(chunk.value, { stream: true }));
    }
    parser.push(decoder.decode()); // an event cut off by the end is discarded, as EventSource does
    return 'ended';
  };

  // Decides what comes after a stream: a reconnect after about retry ms, a backoff, or a stop.
  HeraldStream.prototype.afterStream = function (outcome) {
    // A clean end (a drain, DELETE /channels/...) reaches many streams at once. Each waits a random
    // delay, uniform over [retry/2, retry*1.5], so they come back spread out instead of together: the
    // mean stays the retry Herald asked for (a drain already draws it at random over
    // server.drain_spread), and none comes back sooner than half of it.
    let delay = this.retryMs * (0.5 + Math.random());
    if (outcome instanceof RefusedError && outcome.isFinal()) {
      this.fatal = { status: outcome.status };
      this.owner.refused(outcome.status);
      return;
    }
    if (outcome !== 'ended') {
      this.failures += 1;
      delay = Math.max(this.retryMs, MIN_BACKOFF_MS) * Math.pow(2, this.failures - 1);
      // Jitter, so that the browsers of many users do not all come back in the same instant.
      delay = Math.min(MAX_BACKOFF_MS, delay + Math.random() * delay / 2);
      if (outcome instanceof RefusedError) delay = Math.max(delay, outcome.retryAfterMs());
    }
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  };

  /**
   * One blank-line-ended block of the stream. A block names its channels with `channel:` lines;
   * on a one-channel stream it is that channel; a reset names none and is for all of them.
   */
  HeraldStream.prototype.onBlock = function (streamChannels, block) {
    let channels = block.channels;
    let type = block.type;
    if (channels.length === 0 && streamChannels.length === 1) {
      channels = streamChannels;
    } else if (channels.length === 0 && streamChannels.indexOf(type) >= 0) {
      channels = [type]; // an untyped event from a Herald that sends no channel lines
    }
    // On a stream of several channels Herald sends an untyped event as `event: <channel>`.
    if (streamChannels.length > 1 && channels.indexOf(type) >= 0) type = 'message';
    // A block's id (possibly empty: a reset after a restart) is where each of its channels resumes.
    (channels.length > 0 ? channels : streamChannels).forEach((channel) => {
      this.lastIds.delete(channel);
      this.lastIds.set(channel, block.id);
    });
    if (!block.dispatch) return;
    this.owner.received({ channels: channels.length > 0 ? channels : null, type: type, data: block.data, id: block.id });
  };

  // The id to resume from: the last one seen on any of these channels. After a channel left the
  // union, this is not an id of that channel, which Herald would not find (and would reset).
  HeraldStream.prototype.lastIdFor = function (channels) {
    let id = '';
    this.lastIds.forEach((value, channel) => {
      if (channels.indexOf(channel) >= 0) id = value;
    });
    return id;
  };

  /** Herald answered something other than a stream. */
  function RefusedError(status, retryAfter) {
    this.status = status;
    this.retryAfter = retryAfter;
  }

  // 4xx means the request itself is wrong (bad channel, forbidden, too many channels): asking
  // again cannot help. 429 is a rate limit, and 5xx and network errors pass, so those retry.
  // 204 is how a server tells EventSource to stop, so it stops here too.
  RefusedError.prototype.isFinal = function () {
    return this.status === 204 || (this.status >= 400 && this.status < 500 && this.status !== 429);
  };

  RefusedError.prototype.retryAfterMs = function () {
    const seconds = Number(this.retryAfter);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
  };

  /**
   * The event-stream parser of the HTML standard ("Interpreting an event stream"): lines end with
   * CRLF, LF or CR; `:` starts a comment; the first `:` splits field and value, one space after it
   * is dropped; data lines join with LF; `id` without NUL sets the last event id; `retry` of digits
   * only sets the reconnection time; a blank line ends a block. Herald's own field `channel` names
   * the channel(s) of an event on a stream of several. Fed text, it calls `onBlock` at every blank
   * line with { dispatch, type, data, id, channels }; `dispatch` is false when the block had no
   * data (an EventSource would fire nothing, but its id still counts).
   */
  function EventStreamParser(lastId, onBlock, onRetry) {
    this.onBlock = onBlock;
    this.onRetry = onRetry;
    this.pending = '';     // an unfinished line
    this.afterCR = false;  // the last chunk ended with CR: an LF starting the next one is its pair
    this.lastId = lastId || '';
    this.resetBlock();
  }

  EventStreamParser.prototype.resetBlock = function () {
    this.data = '';
    this.hasData = false;
    this.type = '';
    this.channels = [];
  };

  EventStreamParser.prototype.push = function (chunk) {
    const text = this.pending + chunk;
    let start = this.afterCR && text.charCodeAt(0) === 10 ? 1 : 0;
    this.afterCR = false;
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      this.line(text.slice(start, i));
      if (code === 13 && i + 1 === text.length) this.afterCR = true;
      else if (code === 13 && text.charCodeAt(i + 1) === 10) i += 1;
      start = i + 1;
    }
    this.pending = text.slice(start);
  };

  EventStreamParser.prototype.line = function (line) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ":" comment, such as Herald's heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this.data += value + '\n';
      this.hasData = true;
    } else if (field === 'event') {
      this.type = value;
    } else if (field === 'id') {
      if (value.indexOf('\0') < 0) this.lastId = value;
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) this.onRetry(parseInt(value, 10));
    } else if (field === 'channel') {
      this.channels.push(value);
    }
    // Any other field is ignored, as the standard says.
  };

  EventStreamParser.prototype.dispatch = function () {
    const block = {
      dispatch: this.hasData,
      type: this.type || 'message',
      data: this.data.slice(0, -1), // the last LF goes
      id: this.lastId,
      channels: this.channels,
    };
    this.resetBlock();
    this.onBlock(block);
  };

  /** The channels of several sets (or arrays) together, sorted, each once. */
  function unionOf(sets) {
    const union = new Set();
    sets.forEach((channels) => channels.forEach((channel) => union.add(channel)));
    return Array.from(union).sort();
  }

  function sameList(a, b) {
    return a.length === b.length && a.every((value, i) => value === b[i]);
  }

  // Last, once every function and prototype above exists: start as the worker or as the page's API.
  const inSharedWorker = typeof SharedWorkerGlobalScope === 'function' &&
    self instanceof SharedWorkerGlobalScope;

  if (inSharedWorker) {
    runSharedWorker(self);
  } else if (typeof window === 'object') {
    // document.currentScript exists only while this file first runs: capture where it came from.
    const script = document.currentScript;
    window.HeraldEvents = createPageClient(script && script.src ? script.src : location.href);
  }
})();
