# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's hand-written wire codec must agree with proto/ and with protobuf itself."""
import glob
import os
import subprocess
import sys
import tempfile

import pytest

os.environ["PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION"] = "python"
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bareos-shim"))

from backupplugins_shim import messages, wire  # noqa: E402

KINDS = {
    descriptor_pb2.FieldDescriptorProto.TYPE_UINT32: "uint", descriptor_pb2.FieldDescriptorProto.TYPE_UINT64: "uint",
    descriptor_pb2.FieldDescriptorProto.TYPE_ENUM: "uint", descriptor_pb2.FieldDescriptorProto.TYPE_INT32: "int",
    descriptor_pb2.FieldDescriptorProto.TYPE_INT64: "int", descriptor_pb2.FieldDescriptorProto.TYPE_BOOL: "bool",
    descriptor_pb2.FieldDescriptorProto.TYPE_STRING: "string", descriptor_pb2.FieldDescriptorProto.TYPE_BYTES: "bytes",
    descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE: "msg",
}


def protoc():
    home = os.environ.get("NUGET_PACKAGES", os.path.expanduser("~/.nuget/packages"))
    found = sorted(glob.glob(os.path.join(home, "grpc.tools", "*", "tools", "linux_x64", "protoc")))
    if not found:
        pytest.fail("protoc from the Grpc.Tools NuGet package is missing: build the solution first (tests/run-all does)")
    return found[-1]


@pytest.fixture(scope="module")
def proto_file():
    out = os.path.join(tempfile.mkdtemp(), "fd.pb")
    subprocess.run([protoc(), "--proto_path", os.path.join(ROOT, "proto"), "--include_imports", "--descriptor_set_out", out,
                    "backupplugins/v1/fd_plugin.proto"], check=True)
    fds = descriptor_pb2.FileDescriptorSet()
    with open(out, "rb") as f:
        fds.ParseFromString(f.read())
    return next(f for f in fds.file if f.name == "backupplugins/v1/fd_plugin.proto"), fds


def test_every_proto_message_used_by_the_shim_has_the_same_fields(proto_file):
    file, _ = proto_file
    checked = 0
    for message in file.message_type:
        schema = getattr(messages, message.name, None)
        if schema is None:
            continue
        proto_fields = {f.name: (f.number, KINDS[f.type], f.label == f.LABEL_REPEATED) for f in message.field}
        shim_fields = {name: (number, kind, repeated) for name, (number, kind, repeated, _) in schema.items()}
        assert shim_fields == proto_fields, message.name
        checked += 1
    assert checked >= 20


def test_enum_values_used_by_the_shim_match_the_proto(proto_file):
    file, _ = proto_file
    enums = {v.name: v.number for e in file.enum_type for v in e.value}
    assert messages.EVENT_START_BACKUP_JOB == enums["EVENT_START_BACKUP_JOB"]
    assert messages.EVENT_END_BACKUP_JOB == enums["EVENT_END_BACKUP_JOB"]
    assert messages.EVENT_END_RESTORE_JOB == enums["EVENT_END_RESTORE_JOB"]
    assert messages.EVENT_JOB_END == enums["EVENT_JOB_END"]
    assert messages.DATA_PATH_PATH == enums["DATA_PATH_PATH"]
    assert messages.DATA_PATH_SOCKET == enums["DATA_PATH_SOCKET"]


def protobuf_class(fds, name):
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    descriptor = pool.FindMessageTypeByName("backupplugins.v1." + name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)  # protobuf 4.21 (Debian 12)


SAMPLE = {
    "items": [
        {"file": {"fname": b"/srv/K\xef\x9f\x9cBLER", "link": b"", "type": 3, "no_read": False, "data_path": 1,
                  "open_path": b"/srv/K\xdcBLER", "stat": {"dev": 2 ** 40 + 3, "mode": 0o100644, "size": 2 ** 33,
                                                            "mtime": -5, "atime": 1_700_000_000, "mtime_nsec": 999_999_999},
                  "xattrs": [{"name": b"user.a", "value": bytes(range(256))}, {"name": b"user.b", "value": b""}]}},
        {"error": {"fname": b"/srv/gone", "type": 9, "reason": "cannot stat: Permission denied"}},
    ],
    "more": True,
    "messages": [{"severity": 5, "text": "héllo"}],
}


def test_codec_and_protobuf_read_each_other(proto_file):
    _, fds = proto_file
    cls = protobuf_class(fds, "StartBackupFileResponse")
    ours = wire.encode(messages.StartBackupFileResponse, SAMPLE)
    theirs = cls()
    theirs.ParseFromString(ours)
    assert theirs.items[0].file.stat.mtime == -5
    assert theirs.items[0].file.stat.dev == 2 ** 40 + 3
    assert theirs.items[0].file.xattrs[0].value == bytes(range(256))
    assert theirs.items[1].error.reason == "cannot stat: Permission denied"
    back = wire.decode(messages.StartBackupFileResponse, theirs.SerializeToString())
    assert back["more"] is True
    assert back["messages"] == [{"severity": 5, "text": "héllo"}]
    f = back["items"][0]["file"]
    assert (f["stat"]["size"], f["stat"]["mtime"], f["stat"]["mtime_nsec"], f["stat"]["uid"]) == (2 ** 33, -5, 999_999_999, 0)
    assert back["items"][0]["error"] is None and back["items"][1]["file"] is None
    assert [x["name"] for x in f["xattrs"]] == [b"user.a", b"user.b"]


def test_decode_skips_unknown_fields():
    known = wire.encode(messages.PluginReply, {"messages": [{"severity": 6, "text": "x"}]})
    unknown = bytes([0x98, 0x06, 0x2A]) + bytes([0xA2, 0x06, 0x02, 0x61, 0x62])  # field 99 varint, field 100 bytes
    assert wire.decode(messages.PluginReply, unknown + known) == {"messages": [{"severity": 6, "text": "x"}]}
