"""A client of the publish listener for the tests: `Publisher` keeps one keep-alive connection
(reopened when Herald closed it) and checks each answer's status and JSON.

Everything talks to 127.0.0.1 only; every wait has a deadline.
"""

import json
import urllib.parse

import httpwire
from metrics_text import parse_metrics


class Publisher:
    """Requests to the publish listener over one keep-alive connection (reopened when closed)."""

    def __init__(self, port, token=None, timeout=10.0):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, target, body=b"", headers=(), token=None):
        headers = list(headers)
        token = self.token if token is None else token
        if token:
            headers.append(("Authorization", "Bearer " + token))
        if body and not any(h[0].lower() == "content-type" for h in headers):
            headers.append(("Content-Type", "text/plain; charset=utf-8"))
        if not body and method == "POST" and not any(h[0].lower() == "content-length" for h in headers):
            headers.append(("Content-Length", "0"))
        if self.conn is None or self.conn.eof:
            self.close()
            self.conn = httpwire.Connection(self.port, timeout=self.timeout)
        response = self.conn.request(method, target, headers, body, self.timeout)
        if any(t == "close" for t in response.tokens("connection")) or self.conn.eof:
            self.close()
        return response

    def publish(self, channel, data="", event=None, id=None, retry=None, expect=202, **kw):
        """POST /publish/<channel>?event=&id=&retry= with `data` as the body; returns the parsed JSON
        result (expect=202) or the response (any other expect)."""
        params = [(k, v) for k, v in (("event", event), ("id", id), ("retry", retry)) if v is not None]
        target = "/publish/" + channel
        if params:
            target += "?" + "&".join("%s=%s" % (k, urllib.parse.quote(str(v), safe="")) for k, v in params)
        body = data.encode("utf-8") if isinstance(data, str) else data
        response = self.request("POST", target, body, **kw)
        return _expect(response, expect)

    def publish_json(self, value, expect=202, raw=None, **kw):
        """POST /publish with a JSON body (or `raw` bytes as the body)."""
        body = raw if raw is not None else json.dumps(value).encode("utf-8")
        headers = list(kw.pop("headers", [("Content-Type", "application/json")]))
        response = self.request("POST", "/publish", body, headers=headers, **kw)
        return _expect(response, expect)

    def channel(self, channel, expect=200):
        return _expect(self.request("GET", "/channels/" + channel), expect)

    def delete(self, channel, expect=202):
        return _expect(self.request("DELETE", "/channels/" + channel), expect)

    def subscribers(self, channel):
        return self.channel(channel)["subscribers"]

    def metrics(self):
        response = self.request("GET", "/metrics")
        assert response.status == 200, response
        return parse_metrics(response.text), response


def _expect(response, expect):
    assert response.status == expect, "expected %s, got %r" % (expect, response)
    if expect in (200, 202):
        assert response.header("content-type", "").startswith("application/json"), response
        return response.json()
    return response
