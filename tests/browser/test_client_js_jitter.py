"""client.js after a clean end: streams that Herald ends together (here `DELETE /channels/<c>` with
`server.drain_spread = "0s"`, so every stream keeps the same `retry:`) come back spread over
[retry/2, retry*1.5], not all at once. Six clients in one page (the legacy app's `/tabs` page and
five frames of it, without a shared worker, so each holds its own stream); their reconnects are
seen from Herald's side, as its subscriber count climbing back."""

import time

from stack import wait_for
from test_client_js import stream_state
from test_client_js_fallback import NO_SHARED_WORKER

CLIENTS = 6
RETRY_S = 2.0


def test_streams_ended_together_reconnect_spread_out_and_not_before_half_the_retry(start_stack, browser):
    server = {"listen": "127.0.0.1:0", "threads": 2, "shutdown_grace": "2s", "drain_spread": "0s"}
    stack = start_stack(sections={"server": server}, retry="%dms" % (RETRY_S * 1000))
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SHARED_WORKER})
    browser.open(stack.herald.url + "/tabs")
    wait_for(lambda: stream_state(browser)[0] == "open", message="client.js reporting its stream open")
    assert stream_state(browser)[2] == "page"
    browser.run("for (var i = 1; i < arguments[0]; i++) {"
                "  var frame = document.createElement('iframe'); frame.src = '/tabs'; document.body.appendChild(frame);"
                "}", CLIENTS)
    wait_for(lambda: stack.herald.metric("herald_subscribers") == CLIENTS, timeout=20,
             message="%d streams, one per client" % CLIENTS)

    stack.herald.delete_channel("orders")
    ended = time.monotonic()
    wait_for(lambda: stack.herald.metric("herald_subscribers") == 0, timeout=5, message="every stream ended")
    back = []  # seconds after the end at which the count of streams climbed by one
    deadline = ended + RETRY_S * 1.5 + 5
    while len(back) < CLIENTS and time.monotonic() < deadline:
        count = int(stack.herald.metric("herald_subscribers"))
        now = time.monotonic() - ended
        back += [now] * max(0, count - len(back))
        time.sleep(0.01)
    print("reconnects after the end (s): %s" % ", ".join("%.3f" % t for t in back))
    assert len(back) == CLIENTS, "only %d of %d clients came back: %r" % (len(back), CLIENTS, back)
    # None sooner than half the retry (less a little: the clients saw the end just before the
    # DELETE's answer reached the test) ...
    assert min(back) >= RETRY_S / 2 - 0.1, back
    # ... and not all in the same instant, as they were when each waited exactly the retry.
    assert max(back) - min(back) >= 0.2, back
