"""Pages on other origins (a tiny page server on its own port) opening Herald's streams with
`new EventSource(url, {withCredentials: true})`: served for an origin in events.allow_origins,
refused with 403 for any other."""

import json
import re
import time

from stack import wait_for

EVENTSOURCE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title></head>
<body>
<h1>A page on another origin</h1>
<p id="state" data-state="connecting" data-errors="0">connecting</p>
<ol id="log"></ol>
<script>
  var state = document.getElementById('state');
  var errors = 0;
  var source = new EventSource(%(url)s, { withCredentials: true });
  source.onopen = function () { show('open'); };
  source.onerror = function () {
    errors += 1;
    show(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  };
  source.onmessage = function (e) {
    var item = document.createElement('li');
    item.textContent = e.data;
    document.getElementById('log').appendChild(item);
  };
  function show(name) {
    state.dataset.state = name;
    state.dataset.errors = String(errors);
    state.textContent = name;
  }
</script>
</body></html>
"""

CLIENT_JS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site with client.js</title></head>
<body>
<p id="state" data-state="connecting">connecting</p>
<ol id="log"></ol>
<script src="%(herald)s/events/client.js"></script>
<script>
  var state = document.getElementById('state');
  HeraldEvents.subscribe('orders', function (e) {
    var item = document.createElement('li');
    item.textContent = e.type + ' ' + e.data;
    document.getElementById('log').appendChild(item);
  }, { onOpen: function () { state.dataset.state = 'open'; }, events: ['order-updated'] });
  state.dataset.transport = HeraldEvents.transport;
</script>
</body></html>
"""


def page_state(browser):
    return browser.run("var d = document.getElementById('state').dataset; return [d.state, d.errors];")


def access_lines(herald, target, status):
    pattern = re.compile(r'"GET %s HTTP/1\.1" %d ' % (re.escape(target), status))
    return [line for line in herald.access_log().splitlines() if pattern.search(line)]


def test_a_page_on_an_allowed_origin_receives_events_with_credentials(start_stack, browser, page_server):
    site = page_server()
    stack = start_stack(allow_origins=[site.origin])
    site.html = EVENTSOURCE_PAGE % {"url": json.dumps(stack.herald.url + "/events/orders")}

    browser.open(site.origin + "/")
    wait_for(lambda: page_state(browser)[0] == "open", message="the cross-origin EventSource open")
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")
    stack.herald.publish("orders", "hello from another origin")
    stack.herald.publish("orders", "second")
    wait_for(lambda: browser.texts("#log li") == ["hello from another origin", "second"],
             message="both events on the page")
    # A credentialed EventSource only reads a stream whose answer names its exact origin and
    # allows credentials; it opened once and never failed.
    assert page_state(browser) == ["open", "0"]


def test_client_js_on_another_origin_reads_the_stream_in_the_page_with_credentials(start_stack, browser, page_server):
    site = page_server()
    stack = start_stack(allow_origins=[site.origin], retry="500ms")
    site.html = CLIENT_JS_PAGE % {"herald": stack.herald.url}

    browser.open(site.origin + "/")
    wait_for(lambda: page_state(browser)[0] == "open", message="client.js reporting its stream open")
    # A SharedWorker must be same-origin with the page, so the page reads the stream itself.
    assert browser.attribute("state", "data-transport") == "page"
    stack.herald.publish("orders", json.dumps({"id": 1}), event="order-updated")
    stack.herald.publish("orders", "plain")
    wait_for(lambda: browser.texts("#log li") == ['order-updated {"id": 1}', "message plain"],
             message="both events on the page")

    # Resuming after the stream closed: the last id goes in the query, not in a Last-Event-ID
    # header, which would cost a CORS preflight (OPTIONS) before every reconnect.
    last = stack.herald.publish("orders", "last before")
    wait_for(lambda: len(browser.texts("#log li")) == 3, message="the third event")
    stack.herald.delete_channel("orders")
    wait_for(lambda: stack.herald.subscribers("orders") == 0, message="the stream closed by DELETE")
    stack.herald.publish("orders", "while away")
    wait_for(lambda: browser.texts("#log li")[3:] == ["message while away"], message="the replayed event")
    stack.herald.delete_channel("orders")  # a fetch is listed in the page's resource timing once it ends
    resumed = stack.herald.url + "/events?channel=orders&lastEventId=" + last["id"]
    wait_for(lambda: resumed in browser.run("return performance.getEntriesByType('resource')"
                                            ".map(function (e) { return e.name; });"),
             message="the resumed stream's URL, with the last id in its query")


def test_a_page_on_an_origin_not_listed_gets_403_and_no_events(start_stack, browser, page_server):
    allowed, other = page_server(), page_server()
    stack = start_stack(allow_origins=[allowed.origin])
    other.html = EVENTSOURCE_PAGE % {"url": json.dumps(stack.herald.url + "/events/orders")}

    browser.open(other.origin + "/")
    # A refused EventSource fires error and gives up (CLOSED): it never reconnects.
    wait_for(lambda: page_state(browser) == ["closed", "1"], message="the EventSource failing for good")
    wait_for(lambda: access_lines(stack.herald, "/events/orders", 403), message="Herald's 403 in its access log")
    assert not access_lines(stack.herald, "/events/orders", 200)

    answer = stack.herald.publish("orders", "not for other sites")
    assert answer["subscribers"] == 0
    time.sleep(0.5)  # room for a wrongly delivered event to show up
    assert browser.texts("#log li") == []
    assert page_state(browser) == ["closed", "1"]
    assert len(access_lines(stack.herald, "/events/orders", 403)) == 1
