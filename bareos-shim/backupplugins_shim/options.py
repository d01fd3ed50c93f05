# SPDX-License-Identifier: AGPL-3.0-or-later
"""The few options the shim reads itself; everything else goes to the host untouched."""

DEFAULT_SOCKET = "/run/backup-plugins/host.sock"
DEFAULT_TIMEOUT = 300.0
LOAD_TIMEOUT = 8.0


def parse(definition, into=None):
    """Bareos rules: key=value separated by ':', '\\:' inside a value, first value for a key wins."""
    values = {} if into is None else into
    token = []
    tokens = []
    i = 0
    while i < len(definition):
        c = definition[i]
        if c == "\\" and i + 1 < len(definition) and definition[i + 1] == ":":
            token.append(":")
            i += 2
            continue
        if c == ":":
            tokens.append("".join(token))
            token = []
        else:
            token.append(c)
        i += 1
    tokens.append("".join(token))
    for t in tokens:
        if "=" in t:
            key, value = t.split("=", 1)
            key = key.strip().lower()
            if key and value and key not in values:
                values[key] = value
    return values


def timeout(values):
    try:
        return max(1.0, float(values.get("timeout", DEFAULT_TIMEOUT)))
    except ValueError:
        return DEFAULT_TIMEOUT
