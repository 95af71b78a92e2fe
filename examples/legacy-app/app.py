#!/usr/bin/env python3
"""An old-style web app to put Herald in front of: server-rendered pages, plain HTML forms, no
JavaScript framework, Python's standard library only.

    python3 examples/legacy-app/app.py [--port 3000] [--publish-url http://127.0.0.1:8081]

`--publish-url` may list several Herald instances, comma-separated (instances sharing one Redis, see
examples/cluster): each webhook then goes to the next one in turn.

`/` lists orders (in memory, a few seeded); each row has a form that POSTs a new status to
`/orders/<id>`, which redirects back (post/redirect/get). On each change the app tells Herald with
two webhooks to its publish listener:

    POST /publish/orders?event=order-updated   {"id": 42, "status": "shipped"}
    POST /publish/orders                       Order 42 is now shipped

The page listens with `new EventSource('/events/orders')`: `order-updated` updates the row in
place, the default `message` goes to a notification log, and `herald-reset` (events were lost)
reloads the page. `/tabs` is the same page using Herald's `/events/client.js`, which shares one
connection among all tabs of the origin; it also shows announcements from a second channel, `news`
(posted with the form at its bottom). If Herald is down, a change is still saved: the failed
webhook is logged and the page says so.
"""

import argparse
import html
import itertools
import json
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATUSES = ("new", "paid", "packed", "shipped", "delivered", "cancelled")
WEBHOOK_TIMEOUT_S = 2  # a form submit must not hang on a Herald that does not answer
MAX_FORM_BYTES = 64 * 1024  # the forms here send a few dozen bytes
PAGES = ("/", "/tabs")  # where a form may send the browser back to (never an outside URL)


class Orders:
    """The app's data: orders by id, behind a lock (requests run on threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = {
            41: {"id": 41, "customer": "Grace Hopper", "item": "Compiler manual", "status": "delivered"},
            42: {"id": 42, "customer": "Ada Lovelace", "item": "Difference engine gears", "status": "paid"},
            43: {"id": 43, "customer": "Alan Turing", "item": "Paper tape, 12 rolls", "status": "new"},
            44: {"id": 44, "customer": "Edsger Dijkstra", "item": "Fountain pen", "status": "packed"},
        }

    def all(self):
        with self.lock:
            return [dict(row) for _, row in sorted(self.rows.items())]

    def set_status(self, order_id, status):
        """The updated order, or None when there is no such order."""
        with self.lock:
            row = self.rows.get(order_id)
            if row is None:
                return None
            row["status"] = status
            return dict(row)


class Herald:
    """Webhooks to Herald's publish listener (to several in turn, one per webhook, when given a
    comma-separated list). A failure is logged and reported, never raised."""

    def __init__(self, publish_url, token=""):
        self.publish_urls = [url.strip().rstrip("/") for url in publish_url.split(",") if url.strip()]
        self.turns = itertools.count()  # next() is atomic under the GIL: request threads share it
        self.token = token

    def publish(self, channel, data, event=None):
        """POST /publish/<channel>[?event=...] with `data` as the body; True when Herald took it."""
        publish_url = self.publish_urls[next(self.turns) % len(self.publish_urls)]
        target = "%s/publish/%s" % (publish_url, channel)
        if event:
            target += "?" + urllib.parse.urlencode({"event": event})
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(target, data=data.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
                response.read()
            return True
        except (urllib.error.URLError, OSError) as error:  # HTTPError is a URLError
            print("webhook to %s failed: %s" % (target, error), file=sys.stderr, flush=True)
            return False

    def order_changed(self, order):
        """The two events of a status change: a typed one for the row, a plain one for the log."""
        typed = self.publish("orders", json.dumps({"id": order["id"], "status": order["status"]}),
                             event="order-updated")
        plain = self.publish("orders", "Order %d is now %s" % (order["id"], order["status"]))
        return typed and plain


# ------------------------------------------------------------------------------------ the pages

STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: .35em .7em; text-align: left; }
th { background: #eee; }
.status { font-weight: bold; }
tr.updated td { background: #fff4c2; }
#stream-state { color: #666; }
#stream-state[data-state="open"] { color: #186a18; }
.warning { background: #fde2e2; padding: .5em; }
ol { padding-left: 1.5em; }
"""

# The page's own script for `/`: one EventSource, exactly as an app would write it by hand.
EVENTSOURCE_SCRIPT = """
<script>
  var state = document.getElementById('stream-state');
  var opens = 0;
  var source = new EventSource('%(events_path)s/orders');
  source.onopen = function () {
    opens += 1;
    showState('open', 'Live updates: connected');
  };
  source.onerror = function () {
    // EventSource reconnects by itself (sending Last-Event-ID) unless it gave up: CLOSED.
    if (source.readyState === EventSource.CLOSED) showState('closed', 'Live updates: stopped');
    else showState('reconnecting', 'Live updates: reconnecting...');
  };
  source.addEventListener('order-updated', function (e) {
    showOrder(JSON.parse(e.data));
  });
  source.onmessage = function (e) {
    logLine('log', e.data, e.lastEventId);
  };
  source.addEventListener('%(reset_event)s', function () {
    location.reload(); // events were lost while away: show the state afresh
  });

  function showState(name, text) {
    state.dataset.state = name;
    state.dataset.opens = String(opens);
    state.textContent = text;
  }
%(common)s
</script>
"""

# The script for `/tabs`: Herald's client.js, one connection for every tab of the origin.
CLIENT_JS_SCRIPT = """
<script src="%(events_path)s/client.js"></script>
<script>
  var state = document.getElementById('stream-state');
  var opens = 0;
  HeraldEvents.subscribe('orders', function (e) {
    if (e.type === 'order-updated') showOrder(JSON.parse(e.data));
    else if (e.type === 'message') logLine('log', e.data, e.id);
    else if (e.type === HeraldEvents.config.resetEvent) location.reload();
  }, { events: ['order-updated'], onOpen: opened, onError: stopped });
  HeraldEvents.subscribe('news', function (e) {
    if (e.type === 'message') logLine('news', e.data, e.id);
    else if (e.type === HeraldEvents.config.resetEvent) location.reload();
  });
  state.dataset.transport = HeraldEvents.transport;

  function opened() {
    opens += 1;
    state.dataset.state = 'open';
    state.dataset.opens = String(opens);
    state.textContent = 'Live updates: connected (client.js, ' + HeraldEvents.transport + ')';
  }

  function stopped(error) {
    state.dataset.state = 'closed';
    state.textContent = 'Live updates: stopped (' + error.status + ')';
  }
%(common)s
</script>
"""

# Shared by both pages: how an event changes the DOM.
COMMON_SCRIPT = """
  function showOrder(order) {
    var cell = document.getElementById('order-' + order.id + '-status');
    if (!cell) return;
    cell.textContent = order.status;
    cell.parentNode.className = 'updated';
    document.getElementById('order-' + order.id + '-select').value = order.status;
  }

  function logLine(listId, text, id) {
    var item = document.createElement('li');
    item.textContent = text;
    item.dataset.id = id;
    document.getElementById(listId).appendChild(item);
  }
"""


def render_page(orders, page, events_path, reset_event, notice=""):
    """The orders page; `page` is "/" (EventSource) or "/tabs" (client.js)."""
    rows = "\n".join(render_row(order, page) for order in orders)
    on_tabs = page == "/tabs"
    values = {"events_path": html.escape(events_path), "reset_event": html.escape(reset_event),
              "common": COMMON_SCRIPT}
    script = (CLIENT_JS_SCRIPT if on_tabs else EVENTSOURCE_SCRIPT) % values
    other = ('<a href="/">the EventSource page</a>' if on_tabs
             else '<a href="/tabs">the client.js page</a> (one connection for all tabs)')
    news = NEWS_SECTION if on_tabs else ""
    return PAGE % {"style": STYLE, "rows": rows, "script": script, "other": other, "news": news,
                   "notice": '<p class="warning" id="notice">%s</p>' % html.escape(notice) if notice else ""}


def render_row(order, page):
    options = "".join('<option%s>%s</option>' % (' selected' if s == order["status"] else "", s)
                      for s in STATUSES)
    return ROW % {"id": order["id"], "customer": html.escape(order["customer"]),
                  "item": html.escape(order["item"]), "status": html.escape(order["status"]),
                  "options": options, "back": page}


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Orders - legacy app behind Herald</title>
<style>%(style)s</style>
</head>
<body>
<h1>Orders</h1>
%(notice)s
<p id="stream-state" data-state="connecting">Live updates: connecting...</p>
<table id="orders">
<thead><tr><th>#</th><th>Customer</th><th>Item</th><th>Status</th><th>Change</th></tr></thead>
<tbody>
%(rows)s
</tbody>
</table>
<p>Change an order here and watch another tab update by itself. See also %(other)s.</p>
<h2>Notifications</h2>
<ol id="log"></ol>
%(news)s
%(script)s
</body>
</html>
"""

ROW = """<tr id="order-%(id)d">
  <td>%(id)d</td><td>%(customer)s</td><td>%(item)s</td>
  <td class="status" id="order-%(id)d-status">%(status)s</td>
  <td>
    <form method="post" action="/orders/%(id)d">
      <input type="hidden" name="back" value="%(back)s">
      <select name="status" id="order-%(id)d-select">%(options)s</select>
      <button type="submit" id="order-%(id)d-submit">Update</button>
    </form>
  </td>
</tr>"""

NEWS_SECTION = """<h2>Announcements</h2>
<ol id="news"></ol>
<form method="post" action="/news">
  <input name="text" id="news-text" placeholder="Shop closes at 6 today" size="40">
  <button type="submit" id="news-submit">Announce</button>
</form>
"""


# ---------------------------------------------------------------------------------- the handler


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so Herald can pool its connections
    server_version = "LegacyApp/1.0"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path in PAGES:
            failed = "webhook=failed" in query.split("&")
            notice = ("The change was saved, but Herald did not take the webhook (is it running?); "
                      "other tabs will not see it until they reload.") if failed else ""
            self.reply(200, "text/html; charset=utf-8",
                       render_page(self.server.orders.all(), path, self.server.events_path,
                                   self.server.reset_event, notice))
        elif path == "/healthz":
            self.reply(200, "text/plain; charset=utf-8", "ok\n")
        else:
            self.reply(404, "text/plain; charset=utf-8", "not found\n")

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        form = self.read_form()
        if form is None:
            return
        back = form.get("back", "/")
        back = back if back in PAGES else "/"
        path = self.path.partition("?")[0]
        if path.startswith("/orders/") and path[len("/orders/"):].isdigit():
            status = form.get("status", "")
            if status not in STATUSES:
                return self.reply(400, "text/plain; charset=utf-8", "unknown status %r\n" % status)
            order = self.server.orders.set_status(int(path[len("/orders/"):]), status)
            if order is None:
                return self.reply(404, "text/plain; charset=utf-8", "no such order\n")
            delivered = self.server.herald.order_changed(order)
        elif path == "/news":
            text = " ".join(form.get("text", "").split())
            if not text:
                return self.redirect(back)
            delivered = self.server.herald.publish("news", text)
        else:
            return self.reply(404, "text/plain; charset=utf-8", "not found\n")
        self.redirect(back if delivered else back + "?webhook=failed")

    def read_form(self):
        """The urlencoded form as a dict of first values, or None after answering an error."""
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if length < 0 or length > MAX_FORM_BYTES:
            self.reply(413 if length > MAX_FORM_BYTES else 400, "text/plain; charset=utf-8", "bad form\n")
            return None
        body = self.rfile.read(length).decode("utf-8", "replace")
        return {key: values[0] for key, values in urllib.parse.parse_qs(body).items()}

    def redirect(self, location):
        self.send_response(303)  # see other: the browser GETs the page, so a reload never re-posts
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def reply(self, status, content_type, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # the page is live state, never stale
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000, help="0 picks a free port (printed)")
    parser.add_argument("--publish-url", default="http://127.0.0.1:8081",
                        help="Herald's publish listener (default %(default)s); several, "
                             "comma-separated, are used in turn")
    parser.add_argument("--publish-token", default="",
                        help="Herald's publish.token, if it has one (sent as a bearer token)")
    parser.add_argument("--events-path", default="/events", help="Herald's events.path")
    parser.add_argument("--reset-event", default="herald-reset", help="Herald's events.reset_event")
    args = parser.parse_args()

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.orders = Orders()
    server.herald = Herald(args.publish_url, args.publish_token)
    server.events_path = args.events_path
    server.reset_event = args.reset_event
    host, port = server.server_address[:2]
    print("legacy app on http://%s:%d/ (webhooks to %s)" % (host, port, args.publish_url), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
