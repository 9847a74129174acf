#!/usr/bin/python3
"""tests/integration/promcheck.py - check Prometheus text exposition.

    promcheck.py < metrics

Checks the text against the exposition format (version 0.0.4): HELP and
TYPE lines, at most one TYPE per family and before its samples, samples
of a family together, metric and label names, quoted and escaped label
values, float values, no duplicate series, counters named *_total.
Prints every sample as "name{labels} value" (labels sorted) on stdout;
errors on stderr, exit 1.
"""
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def labels_of(text, errors, n):
    if not text:
        return ()
    body, pairs, pos = text[1:-1], [], 0
    while pos < len(body):
        m = LABEL.match(body, pos)
        if not m:
            errors.append(f"line {n}: bad labels {text}")
            return ()
        pairs.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(body):
            if body[pos] != ",":
                errors.append(f"line {n}: bad labels {text}")
                return ()
            pos += 1
    return tuple(sorted(pairs))


def main():
    errors, types, seen, done, current = [], {}, set(), set(), None
    out = []
    for n, line in enumerate(sys.stdin.read().splitlines(), 1):
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                errors.append(f"line {n}: bad comment: {line}")
                continue
            if parts[1] == "TYPE":
                if parts[2] in types or parts[3] not in TYPES:
                    errors.append(f"line {n}: bad or repeated TYPE: {line}")
                types[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(f"line {n}: bad sample: {line}")
            continue
        name, labels, value = m.group(1), m.group(2), m.group(3)
        try:
            float(value)
        except ValueError:
            errors.append(f"line {n}: bad value: {line}")
        if name not in types:
            errors.append(f"line {n}: sample before its TYPE: {name}")
        elif types[name] == "counter" and not name.endswith("_total"):
            errors.append(f"line {n}: counter not named *_total: {name}")
        if name != current:
            if name in done:
                errors.append(f"line {n}: family {name} split up")
            if current:
                done.add(current)
            current = name
        key = (name, labels_of(labels, errors, n))
        if key in seen:
            errors.append(f"line {n}: duplicate series {line}")
        seen.add(key)
        lab = ",".join(f'{k}="{v}"' for k, v in key[1])
        out.append(f"{name}{{{lab}}} {float(value):g}")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)
    print("\n".join(out))


main()
