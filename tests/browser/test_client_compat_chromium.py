"""Client compatibility, Chromium's own EventSource: the scripted streams of
tests/clients/scenarios.py (shared with tests/e2e/test_client_compat.py, which runs them with the
non-browser clients), read by `new EventSource(url)` on a page of Herald's origin. The page must
get exactly the events published, nothing more and nothing less. A page cannot set Last-Event-ID,
so a resume names the id in `?lastEventId=`."""

import sys
from pathlib import Path

import pytest

from stack import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "clients"))
import scenarios  # noqa: E402

# Listens to the given types; records [type, data, lastEventId] of each event until the stop type
# (then closes), or the first error (an EventSource error means a reconnect, never expected here).
LISTEN = """
var url = arguments[0], types = arguments[1], stop = arguments[2];
var state = window.compat = {events: [], end: null};
var source = new EventSource(url);
source.onerror = function () {
  if (!state.end) { state.end = 'error (readyState ' + source.readyState + ')'; }
  source.close();
};
source.addEventListener(stop, function () { if (!state.end) { state.end = 'stop'; } source.close(); });
types.forEach(function (type) {
  source.addEventListener(type, function (e) {
    if (!state.end) { state.events.push([e.type, e.data, e.lastEventId]); }
  });
});
"""


class PageClient:
    """An EventSource in the browser's current tab, a page of Herald's origin."""

    def __init__(self, browser, timeout):
        self.browser = browser
        self.timeout = timeout

    def start(self, target, last_event_id=None, types=()):
        url = scenarios.with_last_event_id_query(target, last_event_id)
        self.browser.run(LISTEN, url, ["message"] + [t for t in types if t != "message"], scenarios.STOP)

    def state(self):
        return self.browser.run("return window.compat;")

    def alive(self):
        state = self.state()
        if state["end"] is not None:
            raise AssertionError("the EventSource ended before subscribing: %r" % state)

    def finish(self):
        wait_for(lambda: self.state()["end"] is not None, self.timeout, "the page's stop event")
        state = self.state()
        return [tuple(event) for event in state["events"]], state["end"]


@pytest.mark.parametrize("scenario", scenarios.ALL, ids=lambda s: s.__name__)
def test_chromium_reports_exactly_the_published_events(start_stack, browser, scenario):
    stack = start_stack(**scenario.events)
    browser.open(stack.herald.url + "/healthz")  # any page of Herald's origin will do
    hub = scenarios.Hub(stack.herald.public_port, stack.herald.publish_port)
    client = PageClient(browser, scenario.timeout_s)
    expected = scenario(hub, client)
    events, end = client.finish()
    assert (events, end) == (expected, "stop"), "Chromium reported, in %s:\n  %s\nexpected:\n  %s" % (
        scenario.__name__, "\n  ".join(map(repr, events)) or "(nothing)", "\n  ".join(map(repr, expected)))
