"""scripts/install: the binary, proxy.conf and the systemd unit in place (under the test's own
directories), an operator's proxy.conf kept, and the unit accepted by `systemd-analyze verify`
where systemd is installed.
"""

import os
import shutil
import subprocess

import pytest

from conftest import HERALD_BIN, REPO

INSTALL_TIMEOUT_S = 30


def install(tmp_path):
    env = dict(os.environ, PREFIX=str(tmp_path / "usr/local"), CONFDIR=str(tmp_path / "etc/herald"),
               UNITDIR=str(tmp_path / "units"), HERALD_BIN=HERALD_BIN)
    done = subprocess.run([str(REPO / "scripts" / "install")], env=env, capture_output=True, text=True,
                          timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_install_puts_the_binary_the_config_and_the_unit_in_place(tmp_path):
    said = install(tmp_path)
    binary = tmp_path / "usr/local/bin/herald"
    assert subprocess.run([str(binary), "--version"], capture_output=True, text=True).returncode == 0
    config = tmp_path / "etc/herald/proxy.conf"
    assert config.read_text() == (REPO / "proxy.conf").read_text()
    unit = (tmp_path / "units/herald.service").read_text()
    assert "ExecStart=%s --config %s" % (binary, config) in unit
    assert "@BINDIR@" not in unit and "@CONFDIR@" not in unit
    for path in (binary, config, tmp_path / "units/herald.service", tmp_path / "units/herald.socket"):
        assert str(path) in said, "install did not say it installed %s:\n%s" % (path, said)
    # The config the unit names passes the same check the unit runs before starting.
    assert subprocess.run([str(binary), "--check", "--config", str(config)], capture_output=True).returncode == 0


def test_install_keeps_an_operators_proxy_conf(tmp_path):
    install(tmp_path)
    config = tmp_path / "etc/herald/proxy.conf"
    config.write_text('[upstream]\nurl = "http://127.0.0.1:4000"\n')
    said = install(tmp_path)
    assert config.read_text() == '[upstream]\nurl = "http://127.0.0.1:4000"\n'
    assert (tmp_path / "etc/herald/proxy.conf.default").read_text() == (REPO / "proxy.conf").read_text()
    assert "kept" in said


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    # scripts/ensure-packages --tests installs systemd where it is missing.
    assert shutil.which("systemd-analyze"), "systemd-analyze is not installed (scripts/ensure-packages --tests installs it)"
    install(tmp_path)
    units = [str(tmp_path / "units" / unit) for unit in ("herald.service", "herald.socket")]
    done = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0 and not done.stderr.strip(), done.stdout + done.stderr
    socket_unit = (tmp_path / "units/herald.socket").read_text()
    assert "ListenStream=0.0.0.0:8080" in socket_unit and "ListenStream=127.0.0.1:8081" in socket_unit
