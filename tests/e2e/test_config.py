"""DESIGN §1.4: every mistake in proxy.conf is reported together, naming the file (as given), the
section and the key, before anything binds; `--check` validates and exits.
"""

import os
import subprocess
import time

import pytest

from conftest import HERALD_BIN, connect_refused, free_port, to_toml

CHECK_TIMEOUT_S = 10


def bad_config(public, publish):
    return "\n".join([
        "[server]",
        'listen = "127.0.0.1:%d"' % public,
        "header_timeout = 5",               # mistake 1: a duration must be a string with a unit
        'max_body_byte = "1MiB"',           # mistake 2: unknown key (max_body_bytes misspelt)
        "[upstream]",
        'url = "http://127.0.0.1:9"',
        'timeout = "soon"',                 # mistake 3: not a duration
        "[publish]",
        'listen = "127.0.0.1:%d"' % publish,
        "",
    ])


def run_watching_ports(args, cwd, ports):
    """Runs herald to completion (bounded); returns (exit status, stderr) and asserts no port ever bound."""
    if not os.access(HERALD_BIN, os.X_OK):
        pytest.fail("herald binary not found at %s (build it, or set HERALD_BIN)" % HERALD_BIN)
    proc = subprocess.Popen([HERALD_BIN] + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            for port in ports:
                assert connect_refused(port, 0.5), "herald bound 127.0.0.1:%d despite a bad config" % port
            time.sleep(0.01)
        assert proc.poll() is not None, "herald %s did not exit within %ss" % (" ".join(args), CHECK_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
        stdout, stderr = proc.communicate(timeout=5)
    for port in ports:
        assert connect_refused(port), "127.0.0.1:%d is bound after herald exited" % port
    return proc.returncode, stderr.decode(errors="replace"), stdout.decode(errors="replace")


def assert_three_mistakes_reported(stderr):
    lines = stderr.splitlines()

    def line_for(prefix, also):
        found = [line for line in lines if line.startswith(prefix) and also in line]
        assert found, "no line starting %r and mentioning %r in stderr:\n%s" % (prefix, also, stderr)
        return found[0]

    assert "expected" in line_for("bad.conf: [server] header_timeout:", "")
    line_for("bad.conf: [server]", "max_body_byte")
    assert "expected" in line_for("bad.conf: [upstream] timeout:", "")
    for fine in ("listen", "url"):
        assert not [line for line in lines if "] %s:" % fine in line], "a valid key was reported:\n" + stderr


@pytest.mark.parametrize("mode", ["--check", "plain start"])
def test_a_config_with_three_mistakes_reports_all_three_exits_non_zero_and_binds_nothing(tmp_path, mode):
    public, publish = free_port(), free_port()
    (tmp_path / "bad.conf").write_text(bad_config(public, publish))
    args = (["--check"] if mode == "--check" else []) + ["--config", "bad.conf"]
    status, stderr, _ = run_watching_ports(args, tmp_path, [public, publish])
    assert status != 0, "exit status 0 for a bad config; stderr:\n" + stderr
    assert_three_mistakes_reported(stderr)


def test_check_of_a_good_config_exits_zero_and_binds_nothing(tmp_path):
    public, publish = free_port(), free_port()
    (tmp_path / "good.conf").write_text(to_toml({
        "server": {"listen": "127.0.0.1:%d" % public, "header_timeout": "1s", "max_body_bytes": "64KiB",
                   "threads": 0},
        "upstream": {"url": "http://127.0.0.1:9", "timeout": "2s"},
        "publish": {"listen": "127.0.0.1:%d" % publish},
        "log": {"access": "combined"},
    }))
    status, stderr, _ = run_watching_ports(["--check", "--config", "good.conf"], tmp_path, [public, publish])
    assert status == 0, stderr


def test_a_missing_config_file_is_an_error_naming_it(tmp_path):
    status, stderr, _ = run_watching_ports(["--check", "--config", "nowhere.conf"], tmp_path, [])
    assert status != 0
    assert "nowhere.conf" in stderr
