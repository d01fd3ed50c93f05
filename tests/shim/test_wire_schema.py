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

from backupplugins_shim import entries, messages, wire  # noqa: E402

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
    assert messages.REVISION == max(v.number for e in file.enum_type if e.name == "Revision" for v in e.value)


def protobuf_class(fds, name):
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    descriptor = pool.FindMessageTypeByName("backupplugins.v1." + name)
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)  # protobuf 4.21 (Debian 12)


# One packed stat, byte for byte: the same bytes are checked in tests/BackupPlugins.Service.Tests/PackedStatTests.cs.
PACKED_FIELDS = dict(dev=2 ** 40 + 3, ino=2 ** 63 + 5, mode=0o100644, nlink=70_000, uid=1000, gid=2 ** 32 - 2,
                     rdev=(259 << 8) | 7, size=2 ** 33, atime=1_700_000_000, mtime=-5, ctime=2 ** 40, blksize=4096,
                     blocks=2 ** 40 + 1, atime_nsec=1, mtime_nsec=999_999_999, ctime_nsec=500)
PACKED_HEX = ("03000000000100000500000000000080a481000070110100e8030000feffffff07030100000000000000000002000000"
              "00f1536500000000fbffffffffffffff000000000001000000100000010000000001000001000000ffc99a3bf4010000")


def test_packed_stat_layout_is_the_protos():
    packed = entries.PACKED_STAT.pack(*PACKED_FIELDS.values())
    assert entries.PACKED_STAT.size == 96
    assert packed.hex() == PACKED_HEX


def test_a_packed_stat_becomes_the_stat_packet_arguments_in_their_order():
    sys.path.insert(0, os.path.join(ROOT, "tests", "fd-driver"))
    import bareosfd
    reply = wire.encode(messages.StartBackupFileResponse, {"items": [{"file": {"fname": b"/a", "stat": bytes.fromhex(PACKED_HEX)}}]})
    stat = entries.decode_start_backup_file(reply)["items"][0].stat
    packet = bareosfd.StatPacket(*stat)
    got = {name: getattr(packet, "st_" + name) for name in bareosfd._STAT_ARGS}
    want = dict(PACKED_FIELDS, dev=3, rdev=(259 << 8) | 7, nlink=0xFFFF)  # C unsigned ints: low 32 bits; nlink clamped
    assert got == {name: want[name] for name in bareosfd._STAT_ARGS}
    assert (stat[entries.SIZE], stat[entries.MTIME]) == (2 ** 33, -5)


SAMPLE = {
    "items": [
        {"file": {"fname": b"/srv/K\xef\x9f\x9cBLER", "link": b"", "type": 3, "no_read": False, "data_path": 1,
                  "open_path": b"/srv/K\xdcBLER", "stat": bytes.fromhex(PACKED_HEX),
                  "xattrs": [{"name": b"user.a", "value": bytes(range(256))}, {"name": b"user.b", "value": b""},
                             {"name": b"user.c", "value": b"short"}]}},
        {"error": {"fname": b"/srv/gone", "type": 9, "reason": "cannot stat: Permission denied"}},
        {"file": {"fname": b"/srv/" + b"d" * 300 + b"/", "link": b"/srv/" + b"d" * 300 + b"/", "type": 5, "no_read": True,
                  "acl": b"\x02" * 200, "sparse": True, "stat": bytes.fromhex(PACKED_HEX)}},
    ],
    "more": True,
    "messages": [{"severity": 5, "text": "h\u00e9llo"}],
}


def test_codec_and_protobuf_read_each_other(proto_file):
    _, fds = proto_file
    cls = protobuf_class(fds, "StartBackupFileResponse")
    ours = wire.encode(messages.StartBackupFileResponse, SAMPLE)
    theirs = cls()
    theirs.ParseFromString(ours)
    assert theirs.items[0].file.stat == bytes.fromhex(PACKED_HEX)
    assert theirs.items[0].file.xattrs[0].value == bytes(range(256))
    assert theirs.items[1].error.reason == "cannot stat: Permission denied"
    back = wire.decode(messages.StartBackupFileResponse, theirs.SerializeToString())
    assert back["more"] is True
    assert back["messages"] == [{"severity": 5, "text": "h\u00e9llo"}]
    f = back["items"][0]["file"]
    assert f["stat"] == bytes.fromhex(PACKED_HEX) and f["open_path"] == b"/srv/K\xdcBLER"
    assert back["items"][0]["error"] is None and back["items"][1]["file"] is None
    assert [x["name"] for x in f["xattrs"]] == [b"user.a", b"user.b", b"user.c"]


def test_the_entry_decoder_reads_what_protobuf_writes(proto_file):
    _, fds = proto_file
    theirs = protobuf_class(fds, "StartBackupFileResponse")()
    theirs.ParseFromString(wire.encode(messages.StartBackupFileResponse, SAMPLE))
    reply = entries.decode_start_backup_file(theirs.SerializeToString())
    assert reply["more"] is True and reply["messages"] == [{"severity": 5, "text": "h\u00e9llo"}]
    first, error, directory = reply["items"]
    assert (first.fname, first.link, first.type, first.no_read, first.data_path, first.open_path, first.acl) == \
        (b"/srv/K\xef\x9f\x9cBLER", b"", 3, False, 1, b"/srv/K\xdcBLER", b"")
    assert [entries.decode_xattr(x) for x in first.xattrs] == [(b"user.a", bytes(range(256))), (b"user.b", b""),
                                                              (b"user.c", b"short")]
    assert error == entries.FileError(b"/srv/gone", "cannot stat: Permission denied")
    assert (directory.fname, directory.link, directory.type, directory.no_read, directory.acl, directory.xattrs) == \
        (b"/srv/" + b"d" * 300 + b"/", b"/srv/" + b"d" * 300 + b"/", 5, True, b"\x02" * 200, ())
    assert first.stat == directory.stat


def test_the_entry_decoder_skips_unknown_fields_and_reads_an_empty_stat_as_zeros():
    unknown = bytes([0x98, 0x06, 0x2A]) + bytes([0xA2, 0x06, 0x02, 0x61, 0x62]) + bytes([0x61]) + bytes(8) + bytes([0x6D]) + bytes(4)
    file = unknown + wire.encode(messages.BackupFile, {"fname": b"/x", "type": 3}) + unknown
    item = bytes([0x0A, len(file)]) + file + unknown
    reply = unknown + bytes([0x0A, len(item)]) + item + unknown + bytes([0x10, 0x01])
    decoded = entries.decode_start_backup_file(reply)
    assert decoded["more"] is True
    (x,) = decoded["items"]
    assert (x.fname, x.type, x.stat) == (b"/x", 3, (0,) * 13)


def test_a_restore_packet_stat_is_packed_with_an_unknown_size_as_minus_one():
    sys.path.insert(0, os.path.join(ROOT, "tests", "fd-driver"))
    import bareosfd
    packed = entries.pack_stat(bareosfd.StatPacket(dev=7, mode=0o100600, size=-1, mtime=-5, atime=1, ctime=2))
    values = entries.PACKED_STAT.unpack(packed)
    assert (values[0], values[2], values[7], values[9]) == (7, 0o100600, -1, -5)
    assert entries.pack_stat(None) == b""


def test_decode_skips_unknown_fields():
    known = wire.encode(messages.PluginReply, {"messages": [{"severity": 6, "text": "x"}]})
    unknown = bytes([0x98, 0x06, 0x2A]) + bytes([0xA2, 0x06, 0x02, 0x61, 0x62])  # field 99 varint, field 100 bytes
    assert wire.decode(messages.PluginReply, unknown + known) == {"messages": [{"severity": 6, "text": "x"}]}
