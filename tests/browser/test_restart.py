"""Herald restarts (stopped, and a new one started on the same ports) under open tabs holding ids
of the old one, which the new one does not have: each stream gets one reset. The reset carries the
id the stream continues from, so a page that reloads on it resumes without another reset, and
nothing holds on to the old id: not the browser's EventSource, not client.js's shared worker,
which outlives the reload of a tab while another tab of the origin uses it.

Three tabs, on pages served by the test's own upstream through Herald:
- `/plain`: `new EventSource('/events/orders')` reloading on `herald-reset`, as README shows;
- `/client`: client.js on orders and news, reloading on the reset event;
- `/refetch`: client.js on orders, which refetches instead of reloading (it keeps the worker alive).
Each page counts its loads in sessionStorage and logs what it receives.
"""

import time

from stack import wait_for

SETTLE_S = 3  # room for a wrong second reset or reload: many reconnects at retry=500ms

HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title></head><body>
<p id="state" data-state="connecting">connecting</p>
<ol id="log"></ol>
<script>
  sessionStorage.loads = String(Number(sessionStorage.loads || 0) + 1);
  function opened() { document.getElementById('state').dataset.state = 'open'; }
  function log(text) {
    var item = document.createElement('li');
    item.textContent = text;
    document.getElementById('log').appendChild(item);
  }
</script>
"""

PLAIN_PAGE = HEAD % "plain" + """<script>
  var source = new EventSource('/events/orders');
  source.onopen = opened;
  source.onmessage = function (e) { log(e.data); };
  source.addEventListener('herald-reset', () => location.reload());
</script>
</body></html>
"""

CLIENT_PAGE = HEAD % "client.js" + """<script src="/events/client.js"></script>
<script>
  function onEvent(e) {
    if (e.type === HeraldEvents.config.resetEvent) location.reload();
    else log(e.data);
  }
  HeraldEvents.subscribe('orders', onEvent, { onOpen: opened });
  HeraldEvents.subscribe('news', onEvent);
</script>
</body></html>
"""

REFETCH_PAGE = HEAD % "client.js, refetching" + """<script src="/events/client.js"></script>
<script>
  HeraldEvents.subscribe('orders', function (e) {
    log(e.type === HeraldEvents.config.resetEvent ? 'reset' : e.data);
  }, { onOpen: opened });
</script>
</body></html>
"""


def page_value(browser, script, *args):
    """A value read from the page, or None while it is between two documents (a reload)."""
    try:
        return browser.run(script, *args)
    except Exception:  # the document went away under the script
        return None


def loads(browser):
    return int(page_value(browser, "return sessionStorage.loads;") or 0)


def is_open(browser):
    return page_value(browser, "return document.getElementById('state').dataset.state;") == "open"


def log_texts(browser):
    return page_value(browser, "return Array.from(document.querySelectorAll('#log li'))"
                               ".map(function (li) { return li.textContent; });") or []


def in_each(browser, tabs, condition, message):
    for name, handle in tabs.items():
        browser.switch(handle)
        wait_for(lambda: condition(name), message="%s (%s)" % (message, name))


def test_after_a_restart_each_tab_reloads_once_then_gets_live_events(start_stack, browser, page_server):
    site = page_server()
    site.pages = {"/plain": PLAIN_PAGE, "/client": CLIENT_PAGE, "/refetch": REFETCH_PAGE}
    stack = start_stack(upstream=site.origin, retry="500ms")
    tabs = {"/plain": browser.open(stack.herald.url + "/plain"),
            "/client": browser.new_tab(stack.herald.url + "/client"),
            "/refetch": browser.new_tab(stack.herald.url + "/refetch")}
    in_each(browser, tabs, lambda name: is_open(browser), "the stream open")
    assert browser.run("return HeraldEvents.transport;") == "shared-worker"
    # The EventSource, and the worker's one stream for both client.js tabs.
    wait_for(lambda: stack.herald.subscribers("orders") == 2, message="two subscribers on orders")
    stack.herald.publish("orders", "before")  # an id of this Herald, held by every tab
    in_each(browser, tabs, lambda name: log_texts(browser) == ["before"], "the event before the restart")

    stack.restart_herald()
    reloading = {name: tabs[name] for name in ("/plain", "/client")}
    in_each(browser, reloading, lambda name: loads(browser) >= 2 and is_open(browser),
            "a reload on the reset, then the stream open")
    browser.switch(tabs["/refetch"])
    wait_for(lambda: log_texts(browser)[-1:] == ["reset"], message="the reset in the refetching tab")
    time.sleep(SETTLE_S)
    for name, handle in reloading.items():
        browser.switch(handle)
        assert loads(browser) == 2, "%s loaded %d times: a reset after the reload" % (name, loads(browser))
    browser.switch(tabs["/refetch"])
    assert (loads(browser), log_texts(browser)) == (1, ["before", "reset"])

    # Live events reach every tab, with nothing before them.
    answers = [stack.herald.publish("orders", "after 1"), stack.herald.publish("orders", "after 2")]
    assert [answer["subscribers"] for answer in answers] == [2, 2]
    in_each(browser, reloading, lambda name: log_texts(browser) == ["after 1", "after 2"],
            "the live events after the reload")
    browser.switch(tabs["/refetch"])
    wait_for(lambda: log_texts(browser) == ["before", "reset", "after 1", "after 2"],
             message="the live events in the refetching tab")
    for handle in tabs.values():
        browser.switch(handle)
        assert loads(browser) == (1 if handle == tabs["/refetch"] else 2)
