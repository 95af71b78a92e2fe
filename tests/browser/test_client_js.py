"""`/events/client.js` in a real browser, through the legacy app's `/tabs` page, which subscribes
to `orders` (order-updated and message) and `news` (message) with `HeraldEvents.subscribe`."""

import json

from stack import wait_for


def page_value(browser, script, *args):
    try:
        return browser.run(script, *args)
    except Exception:  # between two documents
        return None


def stream_state(browser):
    """(state, opens, transport) shown by the page's #stream-state."""
    return tuple(page_value(browser, "var d = document.getElementById('stream-state').dataset;"
                                     "return [d.state, d.opens || '0', d.transport];") or (None, "0", None))


def entries(browser, list_id):
    """An event log of the page (`log` for orders messages, `news`) as (text, event id) pairs."""
    return page_value(browser, "return Array.from(document.querySelectorAll('#' + arguments[0] + ' li'))"
                               ".map(function (li) { return [li.textContent, li.dataset.id]; });", list_id) or []


def texts(browser, list_id):
    return [text for text, _ in entries(browser, list_id)]


def open_tabs(browser, url, count):
    handles = [browser.open(url)] + [browser.new_tab(url) for _ in range(count - 1)]
    for handle in handles:
        browser.switch(handle)
        wait_for(lambda: stream_state(browser)[0] == "open", message="client.js reporting its stream open")
    return handles


def in_every_tab(browser, handles, condition, message):
    for handle in handles:
        browser.switch(handle)
        wait_for(lambda: condition(), message="%s (tab %s)" % (message, handle))


def test_three_tabs_share_one_connection_and_each_gets_every_event(start_stack, browser):
    stack = start_stack()
    tabs = open_tabs(browser, stack.herald.url + "/tabs", 3)
    for handle in tabs:
        browser.switch(handle)
        assert stream_state(browser)[2] == "shared-worker"

    # One stream in all of Herald, carrying both channels of all three tabs.
    wait_for(lambda: stack.herald.subscribers("orders") == 1 and stack.herald.subscribers("news") == 1,
             message="one subscriber on orders and on news")
    assert stack.herald.metric("herald_subscribers") == 1

    stack.herald.publish("orders", json.dumps({"id": 43, "status": "shipped"}), event="order-updated")
    m1 = stack.herald.publish("orders", "m1")
    n1 = stack.herald.publish("news", "n1")
    assert m1["subscribers"] == 1 and n1["subscribers"] == 1
    in_every_tab(browser, tabs, lambda: texts(browser, "log") == ["m1"] and texts(browser, "news") == ["n1"],
                 "m1 in the orders log and n1 in the news log")
    for handle in tabs:
        browser.switch(handle)
        assert browser.texts("#order-43-status") == ["shipped"]
        assert entries(browser, "log") == [["m1", m1["id"]]]
        assert entries(browser, "news") == [["n1", n1["id"]]]

    # A closed tab is forgotten; the other two keep the one connection and get what follows.
    browser.close_tab(tabs[2])
    m2 = stack.herald.publish("orders", "m2")
    in_every_tab(browser, tabs[:2], lambda: texts(browser, "log") == ["m1", "m2"], "m2 after a tab closed")
    assert m2["subscribers"] == 1
    assert stack.herald.metric("herald_subscribers") == 1
    for handle in tabs[:2]:
        browser.switch(handle)
        assert stream_state(browser)[:2] == ("open", "1")  # the worker never reopened the stream


def test_the_shared_stream_resumes_after_delete_with_last_event_id_and_nothing_twice(start_stack, browser):
    stack = start_stack(retry="1s")
    tabs = open_tabs(browser, stack.herald.url + "/tabs", 2)
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")
    m1 = stack.herald.publish("orders", "m1")
    in_every_tab(browser, tabs, lambda: texts(browser, "log") == ["m1"], "m1")

    stack.herald.delete_channel("orders")
    wait_for(lambda: stack.herald.subscribers("orders") == 0 and stack.herald.subscribers("news") == 0,
             message="the shared stream closed by DELETE")
    away = [stack.herald.publish("orders", "m2"), stack.herald.publish("news", "n1"),
            stack.herald.publish("orders", "m3")]
    assert [answer["subscribers"] for answer in away] == [0, 0, 0]

    in_every_tab(browser, tabs, lambda: stream_state(browser)[:2] == ("open", "2"), "the worker reconnecting")
    in_every_tab(browser, tabs, lambda: len(texts(browser, "log")) >= 3 and len(texts(browser, "news")) >= 1,
                 "the events published while away")
    m4 = stack.herald.publish("orders", "m4")  # live; a duplicate would arrive before it
    in_every_tab(browser, tabs, lambda: len(texts(browser, "log")) >= 4, "the live event after the reconnect")

    for handle in tabs:
        browser.switch(handle)
        assert entries(browser, "log") == [["m1", m1["id"]], ["m2", away[0]["id"]], ["m3", away[2]["id"]],
                                           ["m4", m4["id"]]]
        assert entries(browser, "news") == [["n1", away[1]["id"]]]
    assert stack.herald.metric("herald_subscribers") == 1


def test_a_channel_added_and_removed_reopens_the_one_stream_without_a_reset(start_stack, browser):
    stack = start_stack()
    open_tabs(browser, stack.herald.url + "/tabs", 1)
    m1 = stack.herald.publish("orders", "m1")
    wait_for(lambda: texts(browser, "log") == ["m1"], message="m1")

    # The page subscribes to a third channel: the worker reopens one stream for all three.
    browser.run("window.extra = []; window.stopExtra = HeraldEvents.subscribe('extra', function (e) {"
                "  window.extra.push([e.channel, e.type, e.data]); });")
    wait_for(lambda: stack.herald.subscribers("extra") == 1 and stack.herald.metric("herald_subscribers") == 1,
             message="one stream carrying orders, news and extra")
    stack.herald.publish("extra", "x1")
    wait_for(lambda: page_value(browser, "return window.extra;") == [["extra", "message", "x1"]],
             message="x1 to the new subscription")

    # Unsubscribing reopens on orders and news, resuming after m1: x1 is not in their history,
    # so sending its id would make Herald answer with a reset (and the page would reload).
    browser.run("window.stopExtra(); window.stillTheSamePage = true;")
    wait_for(lambda: stack.herald.subscribers("extra") == 0 and stack.herald.subscribers("orders") == 1,
             message="the stream reopened without extra")
    m2 = stack.herald.publish("orders", "m2")
    stack.herald.publish("extra", "x2")
    wait_for(lambda: texts(browser, "log") == ["m1", "m2"], message="m2 on the reopened stream")
    assert entries(browser, "log") == [["m1", m1["id"]], ["m2", m2["id"]]]
    assert page_value(browser, "return window.stillTheSamePage === true && window.extra.length === 1;")
    assert stack.herald.metric("herald_subscribers") == 1


def test_client_js_follows_the_configured_events_path(start_stack, browser):
    stack = start_stack(path="/live", reset_event="refetch")
    browser.open(stack.herald.url + "/tabs")
    wait_for(lambda: stream_state(browser)[0] == "open", message="client.js reporting its stream open")
    assert stream_state(browser)[2] == "shared-worker"
    assert browser.run("return HeraldEvents.config;") == {"path": "/live", "resetEvent": "refetch", "heartbeatMs": 15000}
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")
    m1 = stack.herald.publish("orders", "m1")
    wait_for(lambda: entries(browser, "log") == [["m1", m1["id"]]], message="m1")


def test_one_publish_to_two_channels_reaches_the_subscriptions_of_both(start_stack, browser):
    """The worker's one stream carries orders and news; an event published to both arrives on it
    once, naming both channels, and each subscription of the page gets it."""
    stack = start_stack()
    open_tabs(browser, stack.herald.url + "/tabs", 1)
    results = stack.herald.publish_json({"channel": ["orders", "news"], "data": "to both"})
    assert [r["channel"] for r in results] == ["orders", "news"]
    wait_for(lambda: texts(browser, "log") == ["to both"] and texts(browser, "news") == ["to both"],
             message="the event in the orders log and in the news log")
