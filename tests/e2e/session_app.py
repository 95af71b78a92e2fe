#!/usr/bin/env python3
"""A legacy web app that keeps sessions, for the end-to-end tests of subscriber authorization and GRIP.

It knows its users by a session cookie and nothing about SSE, except that it answers Herald's auth
requests (`events.authorize = "upstream"`) like any other request of its own, and can answer a route
with GRIP instructions. Python stdlib only. Run: `python3 session_app.py [--port 0]`; it prints
`PORT <n>` once listening.

Users and channels:
  - user <id> may listen to `user:<id>`, to `news` and to the teams granted with /__grant; the channel
    `me` is a placeholder the app turns into `user:<id>` in its Herald-Channels answer (`me-encoded`
    into `user%3A<id>`, percent-encoded as some apps write it).
  - asking for another user's channel → 403; no session → 401 (WWW-Authenticate, X-App-Reason), or a
    302 to /login when the channel `page` is asked for; `huge` without a session → 401 with a 100 KiB
    body; `slow` → the answer comes after 3 s; `drop` → the connection is closed without an answer.

Endpoints (every request except /__* is recorded, see /__log):
  POST /login?user=<id>   a new session: Set-Cookie sid=…; answers {"user": id}
  POST /logout            ends the session of the request's cookie
  GET  /events...         (or /auth/events...) the auth request: Herald-Channels in, Herald-Channels out
  GET  /stream/<channel>  a GRIP answer: Grip-Hold: stream, Grip-Channel: <channel>, an initial body;
                          query: prev=<id> (prev-id), keepalive=1 (Grip-Keep-Alive ":\\n\\n", cstring),
                          hold=<mode> (Grip-Hold value), status=<code> (Grip-Status)
Control (not recorded): GET /__log?since=N, /__grant?user=<id>&channels=a,b (the teams of a user, replacing
  the previous ones), /__mode?drop=0|1 (drop every auth request while 1)
"""

import argparse
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_ANSWER_S = 3           # above the e2e config's upstream.timeout (2 s): Herald answers 504 first
HUGE_BODY_BYTES = 100 * 1024  # above Herald's 64 KiB bound on a relayed refusal

LOCK = threading.Lock()
SESSIONS = {}   # sid -> user id (str)
GRANTS = {}     # user id -> set of extra channels (teams)
RECORDS = []    # every request, in arrival order
MODE = {"drop": False}


def record(handler, body):
    with LOCK:
        RECORDS.append({
            "seq": len(RECORDS), "method": handler.command, "target": handler.path,
            "headers": [[name, value] for name, value in handler.headers.items()],
            "body_len": len(body), "time": time.time(),
        })


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Herald pools its connections to the app

    def log_message(self, *args):  # quiet: the tests read /__log instead
        pass

    # ------------------------------------------------------------------------------- plumbing

    def reply(self, status, body=b"", content_type="text/plain; charset=utf-8", headers=()):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def session_user(self):
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "sid":
                with LOCK:
                    return SESSIONS.get(value)
        return None

    def do_GET(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def route(self):
        path, _, query = self.path.partition("?")
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if path.startswith("/__"):
            return self.control(path, params)
        body = self.read_body()
        record(self, body)
        if path == "/login" and self.command == "POST":
            return self.login(params)
        if path == "/logout" and self.command == "POST":
            return self.logout()
        if path.startswith("/events") or path.startswith("/auth/events"):
            return self.authorize()
        if path.startswith("/stream/"):
            return self.grip(path[len("/stream/"):], params)
        return self.reply(200, "a page of the app\n", "text/html; charset=utf-8")

    # ------------------------------------------------------------------------------ the app

    def login(self, params):
        user = params.get("user", "")
        if not user.isdigit():
            return self.reply(400, "user must be a number\n")
        sid = secrets.token_hex(16)
        with LOCK:
            SESSIONS[sid] = user
        self.reply(200, json.dumps({"user": user}), "application/json",
                   [("Set-Cookie", "sid=%s; Path=/; HttpOnly" % sid)])

    def logout(self):
        cookie = self.headers.get("Cookie", "")
        with LOCK:
            for part in cookie.split(";"):
                name, _, value = part.strip().partition("=")
                if name == "sid":
                    SESSIONS.pop(value, None)
        self.reply(200, "logged out\n", headers=[("Set-Cookie", "sid=; Path=/; Max-Age=0")])

    def authorize(self):
        asked = [c.strip() for c in self.headers.get("Herald-Channels", "").split(",") if c.strip()]
        if MODE["drop"]:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if "slow" in asked:
            time.sleep(SLOW_ANSWER_S)
        user = self.session_user()
        if user is None:
            if "page" in asked:
                return self.reply(302, "see /login\n", headers=[("Location", "/login?next=" + urllib.parse.quote(self.path))])
            body = "x" * HUGE_BODY_BYTES if "huge" in asked else "log in first\n"
            return self.reply(401, body, headers=[("WWW-Authenticate", 'Session realm="app"'),
                                                  ("X-App-Reason", "no-session")])
        with LOCK:
            teams = set(GRANTS.get(user, ()))
        granted = []
        for channel in asked:
            if channel == "me-encoded":
                granted.append("user%3A" + user)
                continue
            if channel == "me":
                channel = "user:" + user
            if channel.startswith("user:") and channel != "user:" + user:
                return self.reply(403, "not your channel: %s\n" % channel)
            if channel == "user:" + user or channel == "news" or channel in teams or channel == "slow":
                granted.append(channel)
        if not granted:
            return self.reply(403, "no channel you may read\n")
        self.reply(200, "ok\n", headers=[("Herald-Channels", ", ".join(granted))])

    def grip(self, channel, params):
        grip_channel = channel
        if "prev" in params:
            grip_channel += "; prev-id=" + params["prev"]
        headers = [("Grip-Hold", params.get("hold", "stream")), ("Grip-Channel", grip_channel),
                   ("X-App", "grip"), ("Cache-Control", "no-cache")]
        if params.get("keepalive") == "1":
            headers.append(("Grip-Keep-Alive", r":\n\n; format=cstring; timeout=20"))
        if "status" in params:
            headers.append(("Grip-Status", params["status"]))
        self.reply(200, ": welcome to %s\n\n" % channel, params.get("type", "text/event-stream"), headers)

    # ------------------------------------------------------------------------------- control

    def control(self, path, params):
        if path == "/__log":
            since = int(params.get("since", "0"))
            with LOCK:
                text = json.dumps({"count": len(RECORDS), "records": RECORDS[since:]})
            return self.reply(200, text, "application/json")
        if path == "/__grant":
            with LOCK:
                GRANTS[params["user"]] = {c for c in params.get("channels", "").split(",") if c}
            return self.reply(200, "ok\n")
        if path == "/__mode":
            MODE["drop"] = params.get("drop") == "1"
            return self.reply(200, "ok\n")
        return self.reply(404, "no such control\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
