"""What the Python client drivers share: their command line and their output.

A driver connects one SSE client library to a URL and prints, on stdout, one JSON line per event
the library dispatches, `{"type": …, "data": …, "id": …}` (the id the library reports with the
event: its last event id, or the block's own id where that is all it keeps; null when it reports
none). It stops at the first event of the stop type (not printed), printing `{"end": "stop"}`; a
library error prints `{"end": "error", "error": …}`, a stream that ends `{"end": "closed"}`, and the
time bound `{"end": "timeout"}`.
Whatever the test sees is what the library gave the application: the drivers add no parsing.

    <driver> URL [--last-event-id ID] [--types A,B] [--stop TYPE] [--timeout SECONDS]
"""

import argparse
import json
import os
import sys
import threading


def arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("url")
    parser.add_argument("--last-event-id", help="sent as the Last-Event-ID header")
    parser.add_argument("--types", default="", help="ignored: these libraries report every type")
    parser.add_argument("--stop", default="client-stop", help="the event type that ends the run")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before giving up")
    return parser.parse_args()


def emit(line):
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def start_deadline(seconds):
    """After `seconds`, prints the timeout line and exits at once, whatever the library is doing
    (a blocking read in a library cannot be interrupted any other way)."""
    def expire():
        emit({"end": "timeout"})
        os._exit(3)
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


class Run:
    """Reports the events of one run; `event` returns False once the stop type was seen."""

    def __init__(self, stop):
        self.stop = stop
        self.stopped = False

    def event(self, type, data, id):
        if type == self.stop:
            emit({"end": "stop"})
            self.stopped = True
            return False
        emit({"type": type, "data": data, "id": id})
        return True


def main(description, read):
    """Parses the command line, bounds the run, and calls `read(args, run)`, which reads events
    until `run.event` returns False (then the driver exits 0) or the stream ends."""
    args = arguments(description)
    start_deadline(args.timeout)
    run = Run(args.stop)
    try:
        read(args, run)
    except Exception as error:  # the library's own failure is a result the test shows
        emit({"end": "error", "error": "%s: %s" % (type(error).__name__, error)})
        os._exit(2)
    if not run.stopped:
        emit({"end": "closed"})
    os._exit(0)
