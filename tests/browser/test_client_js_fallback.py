"""client.js without a shared worker (removed before any script of the page runs, as in a browser
that has none): the page holds one stream itself, for the union of its channels, with the worker's
own reader. The legacy app's `/tabs` page subscribes to `orders` (order-updated and message) and
`news` (message)."""

import json

from stack import wait_for
from test_client_js import entries, page_value, stream_state, texts

NO_SHARED_WORKER = "delete window.SharedWorker;"


def open_without_shared_worker(browser, url):
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_SHARED_WORKER})
    browser.open(url)
    wait_for(lambda: stream_state(browser)[0] == "open", message="client.js reporting its stream open")
    assert stream_state(browser)[2] == "page"


def test_the_page_holds_one_stream_for_its_channels_and_routes_each_event_by_channel_and_type(start_stack, browser):
    stack = start_stack(retry="1s")
    open_without_shared_worker(browser, stack.herald.url + "/tabs")
    wait_for(lambda: stack.herald.subscribers("orders") == 1 and stack.herald.subscribers("news") == 1,
             message="one subscriber on orders and on news")
    assert stack.herald.metric("herald_subscribers") == 1

    # order-updated on news: the news subscription did not ask for that type, and the orders
    # subscription, which did, must not take an event of another channel for its own.
    stack.herald.publish("news", json.dumps({"id": 43, "status": "cancelled"}), event="order-updated")
    stack.herald.publish("orders", json.dumps({"id": 44, "status": "shipped"}), event="order-updated")
    m1 = stack.herald.publish("orders", "m1")
    n1 = stack.herald.publish("news", "n1")
    wait_for(lambda: texts(browser, "log") == ["m1"] and texts(browser, "news") == ["n1"],
             message="m1 in the orders log and n1 in the news log")
    assert browser.texts("#order-44-status") == ["shipped"]
    assert browser.texts("#order-43-status") == ["new"]
    assert entries(browser, "log") == [["m1", m1["id"]]]
    assert entries(browser, "news") == [["n1", n1["id"]]]

    # A third channel reopens the one stream for all three, resuming after n1: no reset.
    browser.run("window.extra = []; window.stopExtra = HeraldEvents.subscribe('extra', function (e) {"
                "  window.extra.push([e.channel, e.type, e.data]); }); window.stillTheSamePage = true;")
    wait_for(lambda: stack.herald.subscribers("extra") == 1 and stack.herald.metric("herald_subscribers") == 1,
             message="one stream carrying orders, news and extra")
    stack.herald.publish("extra", "x1")
    wait_for(lambda: page_value(browser, "return window.extra;") == [["extra", "message", "x1"]],
             message="x1 to the new subscription only")

    # The stream closed under the page (DELETE) comes back with the last event id and replays.
    browser.run("window.stopExtra();")
    wait_for(lambda: stack.herald.subscribers("extra") == 0 and stack.herald.subscribers("orders") == 1,
             message="the stream reopened without extra")
    stack.herald.delete_channel("orders")
    wait_for(lambda: stack.herald.subscribers("orders") == 0, message="the stream closed by DELETE")
    m2 = stack.herald.publish("orders", "m2")
    assert m2["subscribers"] == 0
    wait_for(lambda: texts(browser, "log") == ["m1", "m2"], message="m2, published while away, replayed")
    m3 = stack.herald.publish("orders", "m3")
    wait_for(lambda: len(texts(browser, "log")) >= 3, message="m3, live")
    assert entries(browser, "log") == [["m1", m1["id"]], ["m2", m2["id"]], ["m3", m3["id"]]]
    assert texts(browser, "news") == ["n1"]
    assert page_value(browser, "return window.stillTheSamePage === true && window.extra.length === 1;")
    assert stack.herald.metric("herald_subscribers") == 1
    assert stream_state(browser)[:2] == ("open", "4")  # opened, +extra, -extra, after DELETE


def test_on_error_gets_the_status_herald_refused_the_stream_with(start_stack, browser):
    stack = start_stack(sections={"limits": {"max_channels_per_connection": 2}})
    open_without_shared_worker(browser, stack.herald.url + "/tabs")  # orders and news: two

    # A third channel is one too many for one stream: Herald answers 400, and every subscription
    # of the page hears it with that status (the page's own shows it as "stopped (400)").
    browser.run("window.errors = []; window.stopExtra = HeraldEvents.subscribe('extra', function () {},"
                "  { onError: function (e) { window.errors.push([e.status, e.fatal]); } });")
    wait_for(lambda: page_value(browser, "return window.errors;") == [[400, True]],
             message="onError with status 400 for the subscription that made the union too big")
    wait_for(lambda: stream_state(browser)[0] == "closed", message="the page's own onError")
    assert browser.texts("#stream-state") == ["Live updates: stopped (400)"]
    assert stack.herald.metric("herald_subscribers") == 0  # the one stream, refused whole

    # Giving the channel up makes a stream Herald accepts again.
    browser.run("window.stopExtra();")
    wait_for(lambda: stream_state(browser)[:2] == ("open", "2"), message="the stream open again on two channels")
    m1 = stack.herald.publish("orders", "m1")
    wait_for(lambda: entries(browser, "log") == [["m1", m1["id"]]], message="m1 after the refusal")
    assert page_value(browser, "return window.errors;") == [[400, True]]


def test_a_shared_worker_that_cannot_start_hands_its_subscriptions_to_the_page(start_stack, browser):
    """As under a Content-Security-Policy that forbids the worker: the SharedWorker object exists but
    its script never runs (here its URL answers 404), so it fails before ever answering."""
    stack = start_stack()
    browser.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "var RealSharedWorker = window.SharedWorker;"
        "window.SharedWorker = function (url, options) {"
        "  return new RealSharedWorker('/no-such-worker.js', options); };")})
    browser.open(stack.herald.url + "/tabs")
    wait_for(lambda: page_value(browser, "return HeraldEvents.transport;") == "page",
             message="client.js falling back to the page's own stream")
    wait_for(lambda: stream_state(browser)[0] == "open", message="the page's stream open")
    wait_for(lambda: stack.herald.subscribers("orders") == 1 and stack.herald.subscribers("news") == 1,
             message="one subscriber on orders and on news")
    assert stack.herald.metric("herald_subscribers") == 1
    m1 = stack.herald.publish("orders", "m1")
    n1 = stack.herald.publish("news", "n1")
    wait_for(lambda: texts(browser, "log") == ["m1"] and texts(browser, "news") == ["n1"],
             message="m1 in the orders log and n1 in the news log")
    assert entries(browser, "log") == [["m1", m1["id"]]] and entries(browser, "news") == [["n1", n1["id"]]]
