"""Webhooks in the sender's own format: a `[[publish.routes]]` path on the publish listener turns a
POST (GitHub's push, an app's own JSON) into an event whose channel, type and id come from templates
over the headers and the JSON body, and whose data is the body as received.
"""

import json
import subprocess
import uuid
from pathlib import Path

import pytest

import publishing
import sse
from conftest import HERALD_BIN, to_toml, wait_for
from sse import assert_next_is

GITHUB_PUSH = (Path(__file__).resolve().parent / "webhooks" / "github-push.json").read_bytes()
GITHUB_ROUTE = {
    "path": "/hooks/github",
    "channel": "repo-{/repository/full_name}",
    "event": "{header:X-GitHub-Event}",
    "id": "{header:X-GitHub-Delivery}",
}
APP_ROUTE = {  # an app's own JSON, its tenant in a header
    "path": "/hooks/app",
    "channel": "tenant-{header:X-Tenant}",
    "event": "{/type}",
    "id": "{/object/id}-{/object/version}",
}
CHECK_TIMEOUT_S = 10


def github_headers(event="push", delivery=None):
    return [("Content-Type", "application/json"), ("User-Agent", "GitHub-Hookshot/044aadd"),
            ("X-GitHub-Event", event), ("X-GitHub-Delivery", delivery or str(uuid.uuid4())),
            ("X-GitHub-Hook-ID", "292430182")]


def assert_nothing_stored_or_sent(pub, stream, channel):
    """Nothing reached `channel`: its history is empty, and the stream's next event is a marker."""
    info = pub.channel(channel)
    assert info["events_held"] == 0 and info["last_event_id"] is None, "a refused webhook was stored: %r" % info
    pub.publish(channel, "marker")
    assert_next_is(stream, "marker")


def test_a_github_push_becomes_an_event_on_the_repositorys_channel_with_the_body_as_its_data(start_herald):
    herald = start_herald(publish={"routes": [GITHUB_ROUTE]})
    channel = "repo-" + json.loads(GITHUB_PUSH)["repository"]["full_name"]
    delivery = str(uuid.uuid4())
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, channel) as stream:
        wait_for(lambda: pub.subscribers(channel) == 1, 1.0, message="subscriber registered")
        response = pub.request("POST", "/hooks/github", GITHUB_PUSH, headers=github_headers("push", delivery))
        assert response.status == 202, response
        assert response.header("content-type", "").startswith("application/json"), response
        assert response.json() == {"channel": "repo-octo-org/hello-world", "id": delivery, "subscribers": 1}
        event = assert_next_is(stream, GITHUB_PUSH.decode("utf-8"), type="push", id=delivery)
        assert event.event_field == "push" and event.id_field == delivery, event
        assert pub.channel(channel)["last_event_id"] == delivery


def test_a_route_publishes_like_publish_to_a_channel_so_a_resume_replays_it(start_herald):
    herald = start_herald(publish={"routes": [GITHUB_ROUTE]})
    channel = "repo-octo-org/hello-world"
    with publishing.Publisher(herald.publish_port) as pub:
        first = pub.publish(channel, "before")
        deliveries = [str(uuid.uuid4()) for _ in range(2)]
        for delivery in deliveries:
            response = pub.request("POST", "/hooks/github", GITHUB_PUSH, headers=github_headers("push", delivery))
            assert response.status == 202, response
        with sse.subscribe(herald.public_port, channel, header_id=first["id"]) as late:
            for delivery in deliveries:
                assert_next_is(late, GITHUB_PUSH.decode("utf-8"), type="push", id=delivery)


def test_an_apps_own_json_with_a_header_template_matched_in_any_case(start_herald):
    herald = start_herald(publish={"routes": [GITHUB_ROUTE, APP_ROUTE]})
    body = json.dumps({"type": "invoice.paid", "object": {"id": "in_1Nv", "version": 3, "total": 4200}},
                      indent=2).encode()
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "tenant-acme") as stream:
        response = pub.request("POST", "/hooks/app", body, headers=[("content-type", "application/json"),
                                                                     ("x-tenant", "acme")])
        assert response.status == 202, response
        assert response.json() == {"channel": "tenant-acme", "id": "in_1Nv-3", "subscribers": 1}
        assert_next_is(stream, body.decode(), type="invoice.paid", id="in_1Nv-3")


def test_a_route_without_event_or_id_gives_a_message_with_an_id_herald_assigns(start_herald):
    herald = start_herald(publish={"routes": [{"path": "/hooks/plain", "channel": "plain"}]})
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "plain") as stream:
        result = pub.request("POST", "/hooks/plain", b"deploy finished\nall green").json()
        assert result["channel"] == "plain" and result["id"], result
        event = assert_next_is(stream, "deploy finished\nall green", type="message", id=result["id"])
        assert event.event_field is None, event


REFUSED = {
    # a field the channel names is missing: GitHub's ping carries no repository
    "missing field": ("/hooks/github", b'{"zen": "Design for failure.", "hook_id": 292430182}', github_headers("ping"),
                      422, "channel: /repository/full_name: no such field in the body"),
    "field is an object": ("/hooks/app", b'{"type": "x", "object": {"id": {"n": 1}, "version": 1}}', [("X-Tenant", "acme")],
                           422, "id: /object/id: is an object, expected a string, a number or a boolean"),
    "field is null": ("/hooks/app", b'{"type": null, "object": {"id": 1, "version": 1}}', [("X-Tenant", "acme")],
                      422, "event: /type: is null, expected a string, a number or a boolean"),
    "missing header": ("/hooks/app", b'{"type": "x", "object": {"id": 1, "version": 1}}', [],
                       422, "channel: header X-Tenant: not in the request"),
    "channel invalid once filled": ("/hooks/app", b'{"type": "x", "object": {"id": 1, "version": 1}}', [("X-Tenant", "ac me")],
                                    422, 'channel "tenant-ac me": channel name may only contain'),
    "event with LF": ("/hooks/app", b'{"type": "a\\nb", "object": {"id": 1, "version": 1}}', [("X-Tenant", "acme")],
                      422, 'event "a\\nb": must not contain CR, LF or NUL'),
    "form-encoded body": ("/hooks/github", b"payload=%7B%22zen%22%3A%22x%22%7D",
                          [("Content-Type", "application/x-www-form-urlencoded"), ("X-GitHub-Event", "ping"),
                           ("X-GitHub-Delivery", "d-1")],
                          400, "body is not JSON, which this route reads fields of: expected a value at byte 0"),
    "truncated JSON": ("/hooks/github", GITHUB_PUSH[:200], github_headers(),
                       400, "body is not JSON, which this route reads fields of: unterminated string at byte"),
    "nested too deep": ("/hooks/github", b'{"repository": {"full_name": "a"}, "x": ' + b"[" * 300 + b"]" * 300 + b"}",
                        github_headers(), 400, "body is not JSON, which this route reads fields of: nested deeper than 256 levels"),
    "body not UTF-8": ("/hooks/github", b'{"repository": {"full_name": "caf\xe9"}}', github_headers(),
                       400, "body is not valid UTF-8"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_webhook_the_route_cannot_read_is_refused_naming_why_and_publishes_nothing(start_herald, case):
    path, body, headers, status, reason = REFUSED[case]
    herald = start_herald(publish={"routes": [GITHUB_ROUTE, APP_ROUTE]})
    channel = "repo-octo-org/hello-world" if path == "/hooks/github" else "tenant-acme"
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, channel) as stream:
        response = pub.request("POST", path, body, headers=headers)
        assert response.status == status, response
        assert response.text.startswith(reason), response
        assert_nothing_stored_or_sent(pub, stream, channel)


def test_a_body_nested_as_deep_as_the_bound_is_published(start_herald):
    herald = start_herald(publish={"routes": [GITHUB_ROUTE]})
    # The object is one level, the arrays the other 255 of JSONParser.maxDepth.
    body = b'{"repository": {"full_name": "deep"}, "x": ' + b"[" * 255 + b"]" * 255 + b"}"
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "repo-deep") as stream:
        response = pub.request("POST", "/hooks/github", body, headers=github_headers("push", "d-deep"))
        assert response.status == 202, response
        assert_next_is(stream, body.decode(), type="push", id="d-deep")


def test_other_methods_on_a_route_get_405_and_an_unknown_path_404(start_herald):
    herald = start_herald(publish={"routes": [GITHUB_ROUTE]})
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.request("GET", "/hooks/github").status == 405
        assert pub.request("POST", "/hooks/gitlab", GITHUB_PUSH, headers=github_headers()).status == 404
        assert pub.request("POST", "/hooks/github/", GITHUB_PUSH, headers=github_headers()).status == 404


def test_a_route_needs_the_bearer_token_like_any_publish(start_herald):
    herald = start_herald(publish={"token": "s3cret-token", "routes": [GITHUB_ROUTE]})
    with publishing.Publisher(herald.publish_port) as pub:
        refused = pub.request("POST", "/hooks/github", GITHUB_PUSH, headers=github_headers())
        assert refused.status == 401, refused
        accepted = pub.request("POST", "/hooks/github", GITHUB_PUSH, headers=github_headers(), token="s3cret-token")
        assert accepted.status == 202, accepted


def test_check_refuses_bad_routes_naming_each_and_reporting_them_together(tmp_path):
    (tmp_path / "bad.conf").write_text(to_toml({
        "upstream": {"url": "http://127.0.0.1:9"},
        "publish": {"listen": "127.0.0.1:0", "routes": [
            {"path": "/hooks/github", "channel": "repo-{/repository/full_name", "event": "{header:X-GitHub-Event}"},
            {"path": "/publish/github", "channel": "github"},
            {"path": "/hooks/stripe", "channel": "payments", "id": "fixed"},
        ]},
    }))
    result = subprocess.run([HERALD_BIN, "--check", "--config", "bad.conf"], cwd=tmp_path, capture_output=True,
                            timeout=CHECK_TIMEOUT_S)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode != 0, stderr
    expected = [
        'bad.conf: [[publish.routes]] #1 channel: expected a "}" closing the "{" at character 6, '
        'got "repo-{/repository/full_name"',
        'bad.conf: [[publish.routes]] #2 path: expected a path such as "/hooks/github" apart from /publish, /publish/…, '
        '/channels/…, /healthz and /metrics, which Herald serves, got "/publish/github"',
        'bad.conf: [[publish.routes]] #3 id: expected an id template with a {…} part (a fixed id would make every event '
        'a duplicate of the first), got "fixed"',
    ]
    for line in expected:
        assert line in stderr.splitlines(), "missing %r in:\n%s" % (line, stderr)


def test_check_accepts_good_routes(tmp_path):
    (tmp_path / "good.conf").write_text(to_toml({
        "upstream": {"url": "http://127.0.0.1:9"},
        "publish": {"listen": "127.0.0.1:0", "routes": [GITHUB_ROUTE, APP_ROUTE]},
    }))
    result = subprocess.run([HERALD_BIN, "--check", "--config", "good.conf"], cwd=tmp_path, capture_output=True,
                            timeout=CHECK_TIMEOUT_S)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
