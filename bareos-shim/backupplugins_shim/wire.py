# SPDX-License-Identifier: AGPL-3.0-or-later
"""A small protobuf wire codec (proto3, the field kinds our protocol uses).

A schema is a dict: field name -> (number, kind, repeated, sub-schema or None). Kinds: 'uint' (uint32/64,
enums, bools as 0/1 on decode), 'int' (int32/int64, two's complement), 'bool', 'string', 'bytes', 'msg'.
Decoding returns a dict holding every field of the schema (defaults for absent ones); unknown fields are
skipped, as protobuf does. Kept in step with proto/ by tests/shim/test_wire_schema.py.
"""

_DEFAULTS = {"uint": 0, "int": 0, "bool": False, "string": "", "bytes": b"", "msg": None}
_LEN_KINDS = ("string", "bytes", "msg")


def _varint(value, out):
    if value < 0:
        value += 1 << 64
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def encode(schema, values):
    out = bytearray()
    _encode_into(schema, values, out)
    return bytes(out)


def _encode_into(schema, values, out):
    for name, value in values.items():
        number, kind, repeated, sub = schema[name]
        items = value if repeated else (value,)
        for item in items:
            if kind in _LEN_KINDS:
                if kind == "string":
                    data = item.encode("utf-8")
                elif kind == "msg":
                    data = encode(sub, item)
                else:
                    data = bytes(item)
                if not repeated and not data and kind != "msg":
                    continue
                _varint((number << 3) | 2, out)
                _varint(len(data), out)
                out += data
            else:
                item = int(item)
                if not repeated and item == 0:
                    continue
                _varint(number << 3, out)
                _varint(item, out)


_INDEXES = {}
_K_UINT, _K_INT, _K_BOOL, _K_STRING, _K_BYTES, _K_MSG = range(6)
_KIND_CODES = {"uint": _K_UINT, "int": _K_INT, "bool": _K_BOOL, "string": _K_STRING, "bytes": _K_BYTES, "msg": _K_MSG}


def _index(schema):
    """Per schema, computed once: number -> (name, kind code, repeated, sub), and a fresh result's defaults."""
    found = _INDEXES.get(id(schema))
    if found is None:
        index = {number: (name, _KIND_CODES[kind], repeated, sub) for name, (number, kind, repeated, sub) in schema.items()}
        scalars = {name: _DEFAULTS[kind] for name, (_, kind, repeated, _) in schema.items() if not repeated}
        lists = tuple(name for name, (_, _, repeated, _) in schema.items() if repeated)
        found = _INDEXES[id(schema)] = (index, scalars, lists, schema)
    return found


def decode(schema, data, pos=0, end=None):
    """Decodes data[pos:end]. Written for speed: it runs for every entry of every backup."""
    index, scalars, lists, _ = _index(schema)
    result = scalars.copy()
    for name in lists:
        result[name] = []
    if end is None:
        end = len(data)
    while pos < end:
        key = data[pos]
        pos += 1
        if key >= 0x80:
            key &= 0x7F
            shift = 7
            while True:
                b = data[pos]
                pos += 1
                key |= (b & 0x7F) << shift
                if b < 0x80:
                    break
                shift += 7
        wire_type = key & 7
        if wire_type == 0 or wire_type == 2:
            value = data[pos]
            pos += 1
            if value >= 0x80:
                value &= 0x7F
                shift = 7
                while True:
                    b = data[pos]
                    pos += 1
                    value |= (b & 0x7F) << shift
                    if b < 0x80:
                        break
                    shift += 7
        elif wire_type == 1:
            value = int.from_bytes(data[pos:pos + 8], "little")
            pos += 8
        elif wire_type == 5:
            value = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wire_type)
        field = index.get(key >> 3)
        if wire_type == 2:
            start = pos
            pos += value
            if field is None:
                continue
            name, kind, repeated, sub = field
            if kind == _K_BYTES:
                value = data[start:pos]
            elif kind == _K_MSG:
                value = decode(sub, data, start, pos)
            elif kind == _K_STRING:
                value = data[start:pos].decode("utf-8")
            else:
                result[name].extend(_unpack(data[start:pos], kind))
                continue
        else:
            if field is None:
                continue
            name, kind, repeated, sub = field
            if kind == _K_INT:
                if value >= 1 << 63:
                    value -= 1 << 64
            elif kind == _K_BOOL:
                value = bool(value)
        if repeated:
            result[name].append(value)
        else:
            result[name] = value
    return result


def read_varint(data, pos):
    """The varint at data[pos] -> (value, position after it)."""
    value = 0
    shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def _unpack(data, kind):
    values = []
    pos = 0
    while pos < len(data):
        value, pos = read_varint(data, pos)
        if kind == _K_INT and value >= 1 << 63:
            value -= 1 << 64
        values.append(value)
    return values
