"""The command line: `--version`, `--check --print`, and a `HERALD_*` environment variable for every
option, which the command line overrides.
"""

import os
import re
import subprocess
import tomllib

from conftest import HERALD_BIN, REPO, Herald, default_config, free_port, refusing_port, to_toml

RUN_TIMEOUT_S = 10
OPTIONS = ["--config", "--listen", "--upstream", "--publish-listen", "--check", "--print"]


def run(args, cwd, **variables):
    """Runs herald to completion with `variables` added to a clean HERALD_* environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(variables)
    done = subprocess.run([HERALD_BIN] + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S)
    return done.returncode, done.stdout, done.stderr


def good_config(tmp_path, name="good.conf"):
    (tmp_path / name).write_text(to_toml({
        "server": {"listen": "127.0.0.1:%d" % free_port()},
        "publish": {"listen": "127.0.0.1:%d" % free_port()},
    }))
    return name


def test_version_prints_the_version_in_the_source_and_exits_zero(tmp_path):
    source = (REPO / "Sources" / "HeraldServer" / "HeraldVersion.swift").read_text()
    version = re.search(r'number = "([^"]+)"', source).group(1)
    status, stdout, stderr = run(["--version"], tmp_path)
    assert status == 0, stderr
    assert stdout.strip() == version


def test_help_names_the_variable_of_every_option(tmp_path):
    status, stdout, stderr = run(["--help"], tmp_path)
    assert status == 0, stderr
    for option in OPTIONS:
        variable = "HERALD_" + option.lstrip("-").upper().replace("-", "_")
        assert variable in stdout, "--help does not name %s:\n%s" % (variable, stdout)


def test_herald_config_and_herald_check_validate_the_file_they_name(tmp_path):
    name = good_config(tmp_path)
    status, stdout, stderr = run([], tmp_path, HERALD_CONFIG=name, HERALD_CHECK="1")
    assert status == 0, stderr
    assert stdout.strip() == "%s: ok" % name


def test_an_empty_variable_counts_as_unset_and_a_bad_herald_check_is_refused(tmp_path):
    name = good_config(tmp_path)
    status, stdout, stderr = run(["--check", "--config", name], tmp_path, HERALD_LISTEN="", HERALD_UPSTREAM="")
    assert status == 0, stderr
    status, _, stderr = run([], tmp_path, HERALD_CHECK="maybe")
    assert status == 2
    assert 'HERALD_CHECK: expected 1, true, yes, 0, false or no, got "maybe"' in stderr


def test_a_bad_variable_is_reported_under_its_own_name(tmp_path):
    status, _, stderr = run(["--check"], tmp_path, HERALD_LISTEN="8080", HERALD_UPSTREAM="127.0.0.1:3000",
                            HERALD_PUBLISH_LISTEN="127.0.0.1:99999")
    assert status == 2
    assert 'HERALD_LISTEN: expected "host:port", got "8080"' in stderr
    assert 'HERALD_UPSTREAM: expected "http://host:port", got "127.0.0.1:3000"' in stderr
    assert "HERALD_PUBLISH_LISTEN: expected" in stderr


def test_the_command_line_wins_over_a_variable(tmp_path):
    name = good_config(tmp_path)
    status, stdout, stderr = run(["--check", "--config", name, "--listen", "127.0.0.1:%d" % free_port()],
                                 tmp_path, HERALD_CONFIG="nowhere.conf", HERALD_LISTEN="not an address")
    assert status == 0, stderr
    assert stdout.strip() == "%s: ok" % name


def test_herald_runs_from_variables_alone(upstream, tmp_path):
    refusing, port = refusing_port()
    config = default_config("http://127.0.0.1:%d" % port)  # HERALD_UPSTREAM replaces it
    herald = Herald(tmp_path, config)
    herald.config_path.write_text(to_toml(config))
    herald.args = []
    herald.env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    herald.env.update(HERALD_CONFIG=str(herald.config_path), HERALD_UPSTREAM=upstream.url)
    mark = upstream.mark()
    try:
        herald.start()
        response = herald.request("GET", "/from-variables")
        assert response.status == 200
        assert upstream.requests_for("/from-variables", since=mark)
    finally:
        refusing.close()
        assert herald.stop() == 0


def test_check_print_shows_every_section_with_defaults_filled_in_and_secrets_hidden(tmp_path):
    public = free_port()
    (tmp_path / "proxy.conf").write_text(to_toml({
        "server": {"listen": "127.0.0.1:%d" % public},
        "publish": {"listen": "0.0.0.0:%d" % free_port(), "token": "publisher-secret"},
    }))
    status, stdout, stderr = run(["--check", "--print", "--config", "proxy.conf"], tmp_path,
                                 HERALD_UPSTREAM="http://127.0.0.1:4000")
    assert status == 0, stderr
    assert "publisher-secret" not in stdout
    printed = tomllib.loads(stdout)
    assert set(printed) == {"server", "upstream", "events", "publish", "limits", "log"}, stdout
    assert printed["server"]["listen"] == "127.0.0.1:%d" % public
    assert printed["upstream"]["url"] == "http://127.0.0.1:4000"  # the variable applied
    assert printed["upstream"]["timeout"] == "1m"  # a default filled in
    assert printed["publish"]["token"] == "***"
    # What it prints is a proxy.conf Herald accepts.
    (tmp_path / "printed.conf").write_text(stdout)
    status, _, stderr = run(["--check", "--config", "printed.conf"], tmp_path)
    assert status == 0, stderr


def test_herald_print_alone_prints_and_exits(tmp_path):
    status, stdout, stderr = run([], tmp_path, HERALD_PRINT="1")
    assert status == 0, stderr
    assert tomllib.loads(stdout)["server"]["listen"] == "0.0.0.0:8080"
