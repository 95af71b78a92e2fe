"""`log.format = "json"`: every diagnostic line is one JSON object with time, level, label and
message, and the message's fields beside them."""

import json
import re
import signal


def test_the_diagnostic_log_is_one_json_object_per_line(start_herald):
    herald = start_herald(log={"format": "json", "level": "info"})
    herald.signal(signal.SIGTERM)
    assert herald.wait(15) == 0
    lines = [line for line in herald.stderr_path.read_text().splitlines() if line]
    records = [json.loads(line) for line in lines]
    assert len(records) >= 3, lines
    for record in records:
        assert {"time", "level", "label", "message"} <= set(record), record
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["time"]), record
        assert all(isinstance(value, str) for value in record.values()), record
    listening = next(r for r in records if r["message"].startswith("listening public="))
    assert listening["level"] == "notice" and listening["upstream"].startswith("http://127.0.0.1:")
    assert [r["message"] for r in records][-2:] == ["draining", "stopped"]
