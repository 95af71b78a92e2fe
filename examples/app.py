#!/usr/bin/env python3
"""The example app of the README: a plain web app that knows nothing about Herald or SSE.

    python3 examples/app.py 3000      # listens on 127.0.0.1:3000 (the port is optional)

`/` is a small HTML page showing the X-Forwarded-For it received (set by Herald) and how many
requests it has served; `/api/time` is JSON. Put Herald in front of it and open Herald's port.
"""

import html
import itertools
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Example app</title></head>
<body>
<h1>Hello from the example app behind Herald</h1>
<p>X-Forwarded-For: <code>{xff}</code></p>
<p>Requests served: {count}</p>
<p><a href="/api/time">/api/time</a></p>
</body>
</html>
"""


REQUESTS = itertools.count(1)  # next() on it is atomic under the GIL


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so Herald can pool its connections

    def do_GET(self):
        count = next(REQUESTS)
        if self.path == "/":
            xff = self.headers.get("X-Forwarded-For", "(none: not behind Herald)")
            self.reply(200, "text/html; charset=utf-8", PAGE.format(xff=html.escape(xff), count=count))
        elif self.path == "/api/time":
            self.reply(200, "application/json", json.dumps({"time": time.time(), "requests": count}))
        else:
            self.reply(404, "text/plain; charset=utf-8", "not found\n")

    def reply(self, status, content_type, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("example app on http://127.0.0.1:%d/" % port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
