"""Fixtures of the browser suite: real pages in headless Chromium, served through the real `herald`
binary ($HERALD_BIN, default .build/release/herald) by the real legacy app (examples/legacy-app).

- `start_stack(sections=None, upstream=None, **events)`: starts the legacy app (or uses the
  `upstream` URL given, e.g. a `page_server`'s origin) and Herald in front of it, with a proxy.conf
  whose [events] section is `events` (e.g. retry="500ms") plus `sections` (e.g.
  {"limits": {...}}); returns a `stack.Stack` (`.herald.url`, `.herald.publish(...)`,
  `.herald.subscribers(channel)`, `.restart_herald()`, ...). Teardown stops both by PID and fails
  the test if a Herald did not exit 0 on SIGTERM.
- `browser`: a `chrome.Browser` (headless Chromium), quit before the stack stops.
- `page_server`: a page on another origin (`.origin`, `.html`), for the cross-origin tests.
- Every test runs under a SIGALRM bound on top of each wait's own deadline, so nothing hangs.
  On failure the logs of Herald, the app and the browser console are printed.
"""

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import chrome  # noqa: E402
import stack  # noqa: E402
from stack import harness  # noqa: E402

TEST_BOUND_S = 120


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    yield from harness.record_reports(item)


@pytest.fixture(autouse=True)
def _test_bound():
    yield from harness.bounded(TEST_BOUND_S)


@pytest.fixture
def start_stack(tmp_path, request):
    started = []

    def start(sections=None, upstream=None, **events):
        running = stack.Stack(tmp_path, events, sections, upstream)
        started.append(running)
        return running.start()

    yield start
    problems = []
    for running in started:
        problems += running.stop()
        if problems or harness.failed(request.node):
            print(running.logs())
    assert not problems, "; ".join(problems)


@pytest.fixture
def browser(start_stack, tmp_path, request):
    """Depends on start_stack so that it is set up after it and quit before the stack stops."""
    try:
        instance = chrome.Browser(tmp_path)
    except chrome.BrowserMissing as error:
        pytest.fail(str(error))
    yield instance
    instance.quit()
    if harness.failed(request.node):
        print("--- browser console\n" + "\n".join(instance.console[-80:]))


@pytest.fixture
def page_server():
    servers = []

    def start():
        server = stack.PageServer().start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
