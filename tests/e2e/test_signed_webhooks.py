"""Signed webhooks (README "Signed webhooks"): Standard Webhooks (webhook-id, webhook-timestamp,
webhook-signature) and GitHub (X-Hub-Signature-256) signatures checked against publish.signing_secrets
on every publish; a refused signature is a 401 with a JSON reason and publishes nothing. Requests
are signed here with Python's hmac, independently of Herald's code.
"""

import base64
import hashlib
import hmac
import json
import time

import metrics_text
import publishing
import sse
from sse import assert_next_is

KEY_ONE = b"herald-e2e-key-one-of-24"
KEY_TWO = b"herald-e2e-key-two-of-24"
SECRET_ONE = "whsec_" + base64.b64encode(KEY_ONE).decode()
SECRET_TWO = "whsec_" + base64.b64encode(KEY_TWO).decode()
GITHUB_SECRET = "a GitHub secret, as typed"
TOKEN = "bearer-for-the-rest"


def standard_headers(body, key=KEY_ONE, msg_id="msg_1", timestamp=None, extra_signatures=()):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = ("%s.%d." % (msg_id, timestamp)).encode() + body
    signature = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return [("webhook-id", msg_id), ("webhook-timestamp", str(timestamp)),
            ("webhook-signature", " ".join(list(extra_signatures) + [signature]))]


def github_headers(body, secret=GITHUB_SECRET):
    return [("X-Hub-Signature-256", "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest())]


JSON = [("Content-Type", "application/json")]


def post_json(pub, value, headers, path="/publish"):
    body = json.dumps(value).encode()
    return pub.request("POST", path, body, headers=JSON + headers(body))


def refused(response, reason):
    assert response.status == 401, response
    assert response.header("content-type", "").startswith("application/json"), response
    assert response.json() == {"error": reason}, response


def start(start_herald, name="herald", **publish):
    return start_herald(name, publish={"signing_secrets": [SECRET_ONE, GITHUB_SECRET], "token": TOKEN, **publish})


def test_a_valid_standard_signature_publishes_without_the_token(start_herald):
    herald = start(start_herald)
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "signed") as stream:
        response = post_json(pub, {"channel": "signed", "data": "hello"}, lambda b: standard_headers(b, msg_id="msg_valid"))
        assert response.status == 202, response
        assert response.json() == [{"channel": "signed", "id": "msg_valid", "subscribers": 1}]
        assert_next_is(stream, "hello", id="msg_valid")
        # The raw form and /publish/ (with JSON) are publish routes too.
        body = b"raw data"
        response = pub.request("POST", "/publish/signed", body, headers=standard_headers(body, msg_id="msg_raw"))
        assert response.status == 202 and response.json()["id"] == "msg_raw", response
        assert_next_is(stream, "raw data", id="msg_raw")
        response = post_json(pub, {"channel": "signed", "data": "slash"}, lambda b: standard_headers(b, msg_id="msg_s"),
                             path="/publish/")
        assert response.status == 202, response
        assert_next_is(stream, "slash", id="msg_s")


def test_a_wrong_signature_is_refused_and_publishes_nothing(start_herald):
    herald = start(start_herald)
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "wrong") as stream:
        body = json.dumps({"channel": "wrong", "data": "forged"}).encode()
        headers = standard_headers(body, key=b"not the configured key!!")
        refused(pub.request("POST", "/publish", body, headers=JSON + headers), "no signature matches")
        # A valid token does not excuse a bad signature.
        refused(pub.request("POST", "/publish", body, headers=JSON + headers, token=TOKEN), "no signature matches")
        tampered = standard_headers(body)
        refused(pub.request("POST", "/publish", body + b" ", headers=JSON + tampered), "no signature matches")
        refused(pub.request("POST", "/publish/wrong", b"x", headers=[("webhook-id", "m"), ("webhook-timestamp", "1"),
                                                                    ("webhook-signature", "v1,@@@")]),
                "timestamp outside tolerance")
        refused(pub.request("POST", "/publish/wrong", b"x", headers=[("webhook-id", "m"),
                                                                    ("webhook-timestamp", str(int(time.time()))),
                                                                    ("webhook-signature", "v1,@@@")]),
                "malformed webhook-signature header: expected v1,<base64>")
        pub.publish("wrong", "marker", token=TOKEN)
        assert_next_is(stream, "marker")
        assert pub.request("GET", "/channels/wrong", token=TOKEN).json()["events_held"] == 1
        metrics = metrics_text.parse_metrics(pub.request("GET", "/metrics", token=TOKEN).text)
        assert metrics_text.metric(metrics, "herald_webhook_signatures_refused_total") == 5


def test_an_expired_or_future_timestamp_is_refused(start_herald):
    herald = start(start_herald, signature_tolerance="1m")
    with publishing.Publisher(herald.publish_port) as pub:
        now = int(time.time())
        for timestamp in (now - 3600, now + 3600):
            refused(post_json(pub, {"channel": "late", "data": "x"}, lambda b: standard_headers(b, timestamp=timestamp)),
                    "timestamp outside tolerance")
        assert pub.request("GET", "/channels/late", token=TOKEN).json()["events_held"] == 0


def test_a_rotated_secret_and_several_signatures_are_accepted(start_herald, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.write_text("# rotated in on Monday\n%s\n" % SECRET_TWO)
    herald = start(start_herald, signing_secrets_file=str(secrets))
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "rot") as stream:
        response = post_json(pub, {"channel": "rot", "data": "new key"}, lambda b: standard_headers(b, key=KEY_TWO, msg_id="m2"))
        assert response.status == 202, response
        response = post_json(pub, {"channel": "rot", "data": "old key"}, lambda b: standard_headers(b, key=KEY_ONE, msg_id="m1"))
        assert response.status == 202, response
        # A sender mid-rotation signs with an unknown key and a known one: one match suffices.
        unknown = "v1," + base64.b64encode(b"\0" * 32).decode()
        response = post_json(pub, {"channel": "rot", "data": "both"},
                             lambda b: standard_headers(b, key=KEY_TWO, msg_id="m3", extra_signatures=[unknown]))
        assert response.status == 202, response
        assert [(e.data, e.id) for e in stream.events(3)] == [("new key", "m2"), ("old key", "m1"), ("both", "m3")]


def test_github_signatures(start_herald):
    herald = start(start_herald)
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, "gh") as stream:
        body = b'{"ref": "refs/heads/main", "repository": {"full_name": "acme/app"}}'
        response = pub.request("POST", "/publish/gh?event=push", body, headers=github_headers(body))
        assert response.status == 202, response
        assert_next_is(stream, body.decode(), type="push", id=response.json()["id"])
        refused(pub.request("POST", "/publish/gh", body, headers=github_headers(body, secret="another secret")),
                "no signature matches")
        refused(pub.request("POST", "/publish/gh", body, headers=[("X-Hub-Signature-256", "sha1=abc")]),
                "malformed X-Hub-Signature-256 header: expected sha256=<64 hex digits>")
        pub.publish("gh", "marker", token=TOKEN)
        assert_next_is(stream, "marker")


def test_an_unsigned_publish_needs_the_token_unless_signatures_are_required(start_herald):
    herald = start(start_herald)
    with publishing.Publisher(herald.publish_port) as pub:
        assert pub.publish("open", "with token", token=TOKEN)["channel"] == "open"
        assert pub.publish("open", "no token", expect=401).header("www-authenticate") == "Bearer"
    strict = start(start_herald, require_signature=True, name="strict")
    with publishing.Publisher(strict.publish_port) as pub, sse.subscribe(strict.public_port, "strict") as stream:
        refused(pub.publish("strict", "unsigned", expect=401, token=TOKEN), "missing signature")
        refused(pub.publish_json({"channel": "strict", "data": "unsigned"}, expect=401, token=TOKEN), "missing signature")
        body = b"signed"
        response = pub.request("POST", "/publish/strict", body, headers=standard_headers(body, msg_id="ok"))
        assert response.status == 202, response
        assert_next_is(stream, "signed", id="ok")
        # Signatures open publishing only: the other routes still need the token.
        assert pub.request("GET", "/channels/strict").status == 401
        assert pub.request("GET", "/channels/strict", token=TOKEN).status == 200


def test_require_signature_opens_a_non_loopback_listener_without_a_token(start_herald):
    herald = start_herald(publish={"listen": "0.0.0.0:0", "signing_secrets": [SECRET_ONE], "require_signature": True})
    with publishing.Publisher(herald.publish_port) as pub:
        refused(pub.publish("net", "unsigned", expect=401), "missing signature")
        body = b"from the network"
        assert pub.request("POST", "/publish/net", body, headers=standard_headers(body, msg_id="n1")).status == 202
        for target in ("/channels/net", "/metrics"):
            response = pub.request("GET", target)
            assert response.status == 403 and b"publish.token" in response.body, response
        assert pub.request("GET", "/healthz").status == 200


def test_a_webhook_redelivery_is_a_duplicate_delivered_once(start_herald):
    herald = start(start_herald)
    with publishing.Publisher(herald.publish_port) as pub, sse.subscribe(herald.public_port, ["wh", "wh2"]) as stream:
        one = {"channel": "wh", "data": "once"}
        first = post_json(pub, one, lambda b: standard_headers(b, msg_id="msg_redeliver"))
        assert first.status == 202 and first.json() == [{"channel": "wh", "id": "msg_redeliver", "subscribers": 1}], first
        # The sender retries a second later: a new timestamp, so a new signature, same webhook-id.
        again = post_json(pub, one, lambda b: standard_headers(b, msg_id="msg_redeliver", timestamp=int(time.time()) + 1))
        assert again.status == 202, again
        assert again.json() == [{"channel": "wh", "duplicate": True, "id": "msg_redeliver", "subscribers": 1}]
        # An array of several items without ids: <webhook-id>-<index>; an item's own id wins.
        batch = [{"channel": "wh", "data": "a"}, {"channel": "wh2", "data": "b", "id": "own"}, {"channel": "wh", "data": "c"}]
        results = post_json(pub, batch, lambda b: standard_headers(b, msg_id="msg_batch")).json()
        assert [r["id"] for r in results] == ["msg_batch-0", "own", "msg_batch-2"], results
        redelivered = post_json(pub, batch, lambda b: standard_headers(b, msg_id="msg_batch")).json()
        assert [r.get("duplicate") for r in redelivered] == [True, True, True], redelivered
        marker = pub.publish("wh", "marker", token=TOKEN)
        assert [(e.data, e.id) for e in stream.events(5)] == [
            ("once", "msg_redeliver"), ("a", "msg_batch-0"), ("b", "own"), ("c", "msg_batch-2"), ("marker", marker["id"])]
