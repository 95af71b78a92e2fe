"""The Prometheus text format /metrics answers with, read into samples the tests can sum."""

import json


def parse_metrics(text):
    """Prometheus text format → {"types": {family: type}, "samples": [(name, labels dict, value)]}."""
    types, samples = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 4 and parts[1] == "TYPE":
                types[parts[2]] = parts[3].strip()
            continue
        if "{" in line:
            name, _, rest = line.partition("{")
            label_text, _, value_text = rest.rpartition("}")
            labels = {}
            for part in _split_labels(label_text):
                k, _, v = part.partition("=")
                labels[k.strip()] = json.loads(v.strip())
        else:
            name, _, value_text = line.partition(" ")
            labels = {}
        value_text = value_text.strip().split()[0]
        samples.append((name.strip(), labels, float(value_text)))
    return {"types": types, "samples": samples}


def _split_labels(text):
    parts, current, quoted, escaped = [], "", False, False
    for c in text:
        if escaped:
            current += c
            escaped = False
        elif c == "\\":
            current += c
            escaped = True
        elif c == '"':
            current += c
            quoted = not quoted
        elif c == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += c
    if current.strip():
        parts.append(current)
    return parts


def metric(metrics, name, **labels):
    """Sum of the samples named `name` whose labels include `labels` (None when there is none)."""
    found = [v for n, ls, v in metrics["samples"] if n == name and all(ls.get(k) == v for k, v in labels.items())]
    return sum(found) if found else None
