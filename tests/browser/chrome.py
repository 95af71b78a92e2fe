"""Headless Chromium from Debian's packages, driven by Selenium.

Selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium explicitly (CHROMEDRIVER and
CHROMIUM override them), so it never looks for, or downloads, a driver or a browser of its own. A
missing browser is a failure, never a skip. `Browser.quit()` ends chromedriver and every process
it started, by PID.
"""

import os
import signal
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
PAGE_LOAD_TIMEOUT_S = 15
SCRIPT_TIMEOUT_S = 10
QUIT_TIMEOUT_S = 5
FLAGS = [
    "--headless=new",
    "--no-sandbox",             # root in a container has no user namespaces for the sandbox
    "--disable-dev-shm-usage",  # a small /dev/shm would crash renderers
    "--window-size=1280,900",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",  # no calls home: this machine has no network
    "--disable-extensions",
]


class BrowserMissing(AssertionError):
    pass


def descendants(pid):
    """PIDs of every process below `pid` (read from /proc), children first."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name may contain spaces and parentheses: the ppid follows the last ")".
            ppid = int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Browser:
    """One Chromium (its own profile under `workdir`) and its chromedriver."""

    def __init__(self, workdir):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise BrowserMissing("%s not found: apt-get install -y chromium chromium-driver" % path)
        try:
            from selenium import webdriver
            from selenium.webdriver.chrome.service import Service
        except ImportError as error:
            raise BrowserMissing("selenium is not installed (pip install selenium): %s" % error)
        self.workdir = Path(workdir)
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument("--user-data-dir=%s" % (self.workdir / "chromium-profile"))
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver_log = self.workdir / "chromedriver.log"
        service = Service(executable_path=CHROMEDRIVER, log_output=str(self.driver_log))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver_pid = self.driver.service.process.pid
        self.driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        self.driver.set_script_timeout(SCRIPT_TIMEOUT_S)
        self.console = []  # console lines of every tab, collected as tabs are read or closed

    # -------------------------------------------------------------------------------- tabs

    def open(self, url):
        """Loads `url` in the current tab and returns its window handle."""
        self.driver.get(url)
        return self.driver.current_window_handle

    def new_tab(self, url):
        self.driver.switch_to.new_window("tab")
        return self.open(url)

    def switch(self, handle):
        self.driver.switch_to.window(handle)

    def close_tab(self, handle):
        self.switch(handle)
        self.collect_console()
        self.driver.close()
        remaining = self.driver.window_handles
        if remaining:
            self.switch(remaining[0])

    def run(self, script, *args):
        return self.driver.execute_script(script, *args)

    def texts(self, selector):
        """textContent of every element matching `selector`, in document order."""
        return self.run("return Array.from(document.querySelectorAll(arguments[0]))"
                        ".map(function (e) { return e.textContent; });", selector)

    def attribute(self, element_id, name):
        return self.run("var e = document.getElementById(arguments[0]);"
                        "return e ? e.getAttribute(arguments[1]) : null;", element_id, name)

    def screenshot(self, path):
        self.driver.save_screenshot(str(path))
        return path

    def collect_console(self):
        try:
            for entry in self.driver.get_log("browser"):
                self.console.append("%s %s" % (entry.get("level"), entry.get("message")))
        except Exception:  # a tab that is gone has no log to give
            pass

    # ------------------------------------------------------------------------------ teardown

    def quit(self):
        """Ends the browser: WebDriver quit, then SIGKILL by PID to whatever of it is still alive."""
        pids = [self.driver_pid] + descendants(self.driver_pid)
        try:
            self.collect_console()
            self.driver.quit()
        except Exception:
            pass
        deadline = time.monotonic() + QUIT_TIMEOUT_S
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in pids:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
