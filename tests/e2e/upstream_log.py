"""What the upstream app saw, and the acknowledgements the tests send it: shared by every
connection thread, read back by the tests through the control routes (see upstream.py)."""

import json
import threading


class Log:
    """Every request that reached the upstream, in arrival order; records are updated in place."""

    def __init__(self):
        self.lock = threading.Lock()
        self.records = []
        self.connections = 0
        self.open_ids = set()

    def add(self, record):
        with self.lock:
            record["seq"] = len(self.records)
            self.records.append(record)
        return record

    def update(self, record, **fields):
        with self.lock:
            record.update(fields)

    def snapshot(self, since):
        with self.lock:
            return json.dumps({"count": len(self.records), "records": self.records[since:]})


class Acks:
    """Acknowledgements sent by the tests: (stream id, index) pairs, waited for by /sse and /interim."""

    def __init__(self):
        self.cond = threading.Condition()
        self.seen = set()

    def ack(self, sid, index):
        with self.cond:
            self.seen.add((sid, index))
            self.cond.notify_all()

    def wait(self, sid, index, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: (sid, index) in self.seen, timeout)


LOG = Log()
ACKS = Acks()
