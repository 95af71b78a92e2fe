"""The legacy app's page (`/`) in a real browser: one `new EventSource('/events/orders')`, an
`order-updated` listener that updates the row in place, `onmessage` appending to a notification
log, and `herald-reset` reloading the page."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from stack import LegacyApp, free_port, wait_for


def page_value(browser, script, *args):
    """A value read from the page, or None while it is between two documents (a reload)."""
    try:
        return browser.run(script, *args)
    except Exception:  # the document went away under the script: try again
        return None


def opens(browser):
    """How many times the page's EventSource has opened (0 while connecting)."""
    return int(page_value(browser, "var e = document.getElementById('stream-state');"
                                   "return e && e.dataset.state === 'open' ? e.dataset.opens : '0';") or 0)


def log_entries(browser):
    """The notification log as (text, lastEventId) pairs."""
    return page_value(browser, "return Array.from(document.querySelectorAll('#log li'))"
                               ".map(function (li) { return [li.textContent, li.dataset.id]; });") or []


def test_a_change_in_one_tab_reaches_another_as_order_updated_and_message(start_stack, browser):
    stack = start_stack()
    watcher = browser.open(stack.herald.url + "/")
    wait_for(lambda: opens(browser) == 1, message="the page's EventSource open")
    assert browser.texts("#order-42-status") == ["paid"]
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")

    # A second tab changes order 42 with the plain HTML form; the app sends the webhooks.
    browser.new_tab(stack.herald.url + "/")
    Select(browser.driver.find_element(By.ID, "order-42-select")).select_by_visible_text("shipped")
    browser.driver.find_element(By.ID, "order-42-submit").click()
    wait_for(lambda: page_value(browser, "return location.pathname + '|' + "
                                         "document.getElementById('order-42-status').textContent")
             == "/|shipped", message="the form's redirect back to the page, which shows shipped")

    browser.switch(watcher)
    wait_for(lambda: browser.texts("#order-42-status") == ["shipped"],
             message="order-updated changing the row in place")
    wait_for(lambda: browser.texts("#log li") == ["Order 42 is now shipped"],
             message="the default message in the notification log")
    assert browser.attribute("order-42", "class") == "updated"
    assert browser.run("return document.getElementById('order-42-select').value") == "shipped"
    # The typed event went only to its listener, never to onmessage; nothing else arrived.
    assert [text for text, _ in log_entries(browser)] == ["Order 42 is now shipped"]
    assert opens(browser) == 1


def test_after_delete_the_page_reconnects_with_last_event_id_and_gets_what_it_missed_once(start_stack, browser):
    stack = start_stack(retry="1s")
    browser.open(stack.herald.url + "/")
    wait_for(lambda: opens(browser) == 1, message="the page's EventSource open")
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")
    before = [stack.herald.publish("orders", "before %d" % i) for i in (1, 2)]
    wait_for(lambda: len(log_entries(browser)) == 2, message="the first two events")

    stack.herald.delete_channel("orders")
    wait_for(lambda: stack.herald.subscribers("orders") == 0, message="the stream closed by DELETE")
    away = [stack.herald.publish("orders", "away %d" % i) for i in (1, 2, 3)]
    # Published with nobody subscribed: only a replay after Last-Event-ID can bring them.
    assert [answer["subscribers"] for answer in away] == [0, 0, 0]

    wait_for(lambda: opens(browser) == 2, message="the browser reconnecting by itself")
    wait_for(lambda: len(log_entries(browser)) >= 5, message="the events published while away")
    after = stack.herald.publish("orders", "after")  # live; a duplicate would arrive before it
    wait_for(lambda: len(log_entries(browser)) >= 6, message="the live event after the reconnect")

    published = before + away + [after]
    assert log_entries(browser) == [[text, answer["id"]] for text, answer in zip(
        ["before 1", "before 2", "away 1", "away 2", "away 3", "after"], published)]
    assert stack.herald.subscribers("orders") == 1


def test_events_lost_beyond_the_history_make_the_page_reload_on_herald_reset(start_stack, browser):
    stack = start_stack(retry="500ms", history_size=2)
    browser.open(stack.herald.url + "/")
    wait_for(lambda: opens(browser) == 1, message="the page's EventSource open")
    wait_for(lambda: stack.herald.subscribers("orders") == 1, message="one subscriber on orders")
    stack.herald.publish("orders", "seen")
    wait_for(lambda: len(log_entries(browser)) == 1, message="the first event")
    browser.run("window.loadedBeforeReset = true;")

    stack.herald.delete_channel("orders")
    wait_for(lambda: stack.herald.subscribers("orders") == 0, message="the stream closed by DELETE")
    for i in (1, 2, 3):  # pushes "seen" out of a history of 2
        stack.herald.publish("orders", "lost %d" % i)

    # The reset reloads the page: a new document (no marker), a fresh log, a new stream.
    wait_for(lambda: page_value(browser, "return window.loadedBeforeReset === undefined && "
                                         "document.getElementById('stream-state').dataset.state === 'open'"),
             message="the page reloaded by herald-reset and connected again")
    assert log_entries(browser) == []
    assert browser.texts("#order-42-status") == ["paid"]


def test_the_form_still_works_when_herald_is_down(start_stack, browser, tmp_path):
    # The app alone, its webhooks aimed at a port where nothing listens; the browser goes straight
    # to it (the page's EventSource just keeps failing, as it would with Herald down).
    app = LegacyApp(tmp_path, "http://127.0.0.1:%d" % free_port()).start()
    try:
        browser.open(app.url + "/")
        Select(browser.driver.find_element(By.ID, "order-43-select")).select_by_visible_text("cancelled")
        browser.driver.find_element(By.ID, "order-43-submit").click()
        wait_for(lambda: page_value(browser, "return location.search") == "?webhook=failed",
                 message="the redirect back, saying the webhook failed")
        assert browser.texts("#order-43-status") == ["cancelled"]
        assert "Herald did not take the webhook" in browser.texts("#notice")[0]
        wait_for(lambda: "webhook to http://127.0.0.1:" in app.log_path.read_text(), message="the failure logged")
    finally:
        assert app.stop() is not None
