# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's own decisions, with the host's replies scripted: what reaches the job log and which bRC comes back."""
import importlib
import os
import socket
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path[:0] = [os.path.join(ROOT, "tests", "fd-driver"), os.path.join(ROOT, "bareos-shim")]

import bareosfd as fd  # noqa: E402  (the FD driver's stand-in)
from backupplugins_shim import entries, messages as m, wire  # noqa: E402
from backupplugins_shim.backup import AHEAD  # noqa: E402
from backupplugins_shim.h2client import RpcError, _message  # noqa: E402
from backupplugins_shim.entry import install  # noqa: E402
from backupplugins_shim.plugin import Shim  # noqa: E402


class Core:
    def __init__(self):
        self.messages = []

    def get_value(self, var):
        return {fd.bVarJobId: 3, fd.bVarLevel: ord("F"), fd.bVarType: ord("B")}.get(var)

    def job_message(self, kind, text):
        self.messages.append((kind, text))

    def register_events(self, events):
        pass

    def debug_message(self, level, text):
        pass


class ScriptedChannel:
    """Answers each method with a scripted reply dict (or raises a scripted RpcError)."""

    def __init__(self, replies):
        self.replies = replies
        self.calls = []
        self.checks = 0

    def unary(self, method, payload, timeout):
        return self.result(self.start(method, payload, timeout))

    def start(self, method, payload, timeout):
        name = method.rsplit("/", 1)[1]
        self.calls.append(name)
        reply = self.replies[name]
        return name, reply.pop(0) if isinstance(reply, list) else reply  # a list: one reply per call, in order

    def result(self, call):
        name, reply = call
        if isinstance(reply, Exception):
            raise reply
        schema = getattr(m, name + "Response", m.PluginReply)
        return wire.encode(schema, reply)

    def check(self):
        self.checks += 1
        if isinstance(self.replies.get("check"), Exception):
            raise self.replies["check"]

    def abort(self):
        pass

    def close(self):
        pass


@pytest.fixture
def core():
    c = Core()
    fd._core = c
    return c


def packed(mode=0o100644, size=0, mtime=0, **more):
    fields = dict(dev=0, ino=0, mode=mode, nlink=1, uid=0, gid=0, rdev=0, size=size, atime=0, mtime=mtime, ctime=0,
                  blksize=4096, blocks=0, atime_nsec=0, mtime_nsec=0, ctime_nsec=0, **more)
    return entries.PACKED_STAT.pack(*fields.values())


def entry(fname, size=0, mtime=0, data_path=m.DATA_PATH_PATH):
    """An entry as the shim holds it after decoding a StartBackupFile reply."""
    reply = wire.encode(m.StartBackupFileResponse, {"items": [{"file": {
        "fname": fname, "type": 3, "data_path": data_path, "stat": packed(size=size, mtime=mtime)}}]})
    return entries.decode_start_backup_file(reply)["items"][0]


def shim_with(replies):
    shim = Shim(fd)
    shim.channel = ScriptedChannel(replies)
    shim.session = "s1"
    shim.started = True
    return shim


def test_incomplete_data_stream_fails_the_job(core):
    shim = shim_with({"FileClose": {"bytes": 1000, "complete": False, "error": "zfs send exited with code 1"}})
    shim.item = entry(b"/tank/data@bp-7.zfs", size=-1, data_path=m.DATA_PATH_SOCKET)
    a, b = socket.socketpair()
    shim.io = {"fd": a.fileno(), "sock": a, "token": b"t" * 16, "kind": "socket", "fname": b"/tank/data@bp-7.zfs"}
    iop = fd.IoPacket(fd.IO_CLOSE)
    assert shim.plugin_io(iop) == fd.bRC_Error
    assert iop.status == -1
    assert core.messages == [(fd.M_FATAL, "backupplugins: /tank/data@bp-7.zfs: data stream incomplete after 1000 bytes: "
                                          "zfs send exited with code 1\n")]
    b.close()


def test_a_host_gone_while_entries_are_handed_out_from_the_queue_fails_the_job_within_a_second(core):
    lost = RpcError(14, "lost the connection to the BackupPlugins host at /run/bp.sock (it closed the connection): the host "
                        "stopped during the job; it undoes what the job left behind when it starts again")
    shim = shim_with({"check": None})
    shim.queue.extend([entry(b"/srv/a"), entry(b"/srv/b")])
    shim.more = False
    assert shim.start_backup_file(fd.SavePacket("python3:source=dir", b"")) == fd.bRC_OK
    assert shim.start_backup_file(fd.SavePacket("python3:source=dir", b"")) == fd.bRC_OK
    assert shim.channel.checks == 1  # once a second, not once an entry
    shim.channel.replies["check"] = lost
    shim.queue.append(entry(b"/srv/c"))
    shim.alive_check = 0.0  # a second later
    assert shim.start_backup_file(fd.SavePacket("python3:source=dir", b"")) == fd.bRC_Error
    assert core.messages == [(fd.M_FATAL, "backupplugins: %s\n" % lost.detail)]


def test_host_job_messages_are_replayed_with_their_severity(core):
    shim = shim_with({"StartBackupFile": {"items": [], "more": False, "messages": [
        {"severity": 6, "text": "locked /run/lock/x"}, {"severity": 5, "text": "plugin option \"x\" has an empty value"}]}})
    sp = fd.SavePacket("cmd", bytes(5))
    assert shim.start_backup_file(sp) == fd.bRC_Stop
    assert core.messages == [(fd.M_INFO, "locked /run/lock/x\n"), (fd.M_WARNING, "plugin option \"x\" has an empty value\n")]


def test_host_error_during_backup_is_fatal_with_its_text(core):
    shim = shim_with({"StartBackupFile": RpcError(10, "readdir /srv/x: Input/output error")})
    assert shim.start_backup_file(fd.SavePacket("cmd", bytes(5))) == fd.bRC_Error
    assert core.messages == [(fd.M_FATAL, "backupplugins: readdir /srv/x: Input/output error\n")]


def test_entry_error_is_reported_and_the_next_entry_follows(core):
    shim = shim_with({"StartBackupFile": {"more": False, "items": [
        {"error": {"fname": "/srv/secret".encode(), "type": 9, "reason": "cannot stat: Permission denied"}},
        {"file": {"fname": b"/srv/ok", "type": 3, "stat": packed(size=1)}},
    ]}})
    sp = fd.SavePacket("cmd", bytes(5))
    assert shim.start_backup_file(sp) == fd.bRC_OK
    assert sp.fname == "/srv/ok" and sp.statp.st_size == 1
    assert core.messages == [(fd.M_ERROR, "backupplugins: /srv/secret not saved: cannot stat: Permission denied\n")]


def test_the_next_batch_is_asked_for_before_the_entries_run_out_and_its_failure_is_reported_when_it_is_needed(core):
    files = [{"file": {"fname": b"/srv/f%d" % i, "type": 3, "stat": packed(size=1)}} for i in range(AHEAD + 2)]
    shim = shim_with({"StartBackupFile": [{"items": files, "more": True}, RpcError(14, "the host closed the connection")]})
    sp = fd.SavePacket("cmd", bytes(5))
    assert shim.start_backup_file(sp) == fd.bRC_OK and shim.end_backup_file() == fd.bRC_More
    assert shim.channel.calls == ["StartBackupFile"]
    assert shim.start_backup_file(sp) == fd.bRC_OK and shim.end_backup_file() == fd.bRC_More
    assert shim.channel.calls == ["StartBackupFile", "StartBackupFile"]  # AHEAD entries left: the next batch is asked for
    for i in range(AHEAD):
        assert shim.start_backup_file(sp) == fd.bRC_OK and sp.fname == "/srv/f%d" % (i + 2)
        assert shim.end_backup_file() == fd.bRC_More
    assert core.messages == []
    assert shim.start_backup_file(sp) == fd.bRC_Error
    assert core.messages == [(fd.M_FATAL, "backupplugins: the host closed the connection\n")]
    assert shim.broken


def test_module_functions_never_let_an_exception_out(core, monkeypatch):
    def boom(*args):
        raise KeyError("surprise")

    for name in ("start_backup_file", "plugin_io", "create_file", "end_restore_file", "check_file", "get_xattr"):
        monkeypatch.setattr(Shim, name, boom)
    module = {}
    install(module, fd)  # as bareos-fd-backupplugins.py does, with the methods that raise
    for name, arg in (("start_backup_file", fd.SavePacket("c", bytes(5))), ("plugin_io", fd.IoPacket(fd.IO_OPEN)),
                      ("create_file", fd.RestorePacket()), ("check_file", "/x"), ("get_xattr", fd.XattrPacket("/x"))):
        assert module[name](arg) == fd.bRC_Error
    assert module["end_restore_file"]() == fd.bRC_Error
    assert all(k == fd.M_FATAL and "KeyError: 'surprise'" in t for k, t in core.messages) and len(core.messages) == 6


def test_every_python_fd_entry_point_exists_and_returns_an_int(core):
    module = importlib.import_module("bareos-fd-backupplugins")
    for name in ("load_bareos_plugin", "parse_plugin_definition", "handle_plugin_event", "start_backup_file",
                 "end_backup_file", "plugin_io", "start_restore_file", "end_restore_file", "create_file",
                 "set_file_attributes", "check_file", "get_acl", "set_acl", "get_xattr", "set_xattr",
                 "restore_object_data", "handle_backup_file"):
        assert callable(getattr(module, name)), name
    assert isinstance(module.restore_object_data(None), int)
    assert isinstance(module.handle_backup_file(None), int)


def test_unchanged_file_with_a_mtime_just_below_a_whole_second_is_not_reported(core, tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    # 1764633612.999999999 as a float is 1764633613.0: the check must use the nanosecond value.
    os.utime(path, ns=(1_764_633_612_999_999_999, 1_764_633_612_999_999_999))
    shim = shim_with({})
    shim.item = entry(os.fsencode(path), size=3, mtime=1_764_633_612)
    assert shim.plugin_io(fd.IoPacket(fd.IO_OPEN)) == fd.bRC_OK
    assert shim.plugin_io(fd.IoPacket(fd.IO_CLOSE)) == fd.bRC_OK
    assert core.messages == []


def test_after_a_failed_load_other_callbacks_fail_quietly(core, tmp_path, monkeypatch):
    module = importlib.import_module("bareos-fd-backupplugins")
    monkeypatch.setattr(module, "_shim", Shim(fd))  # a fresh job's state, as in a new sub-interpreter
    sock = str(tmp_path / "nobody.sock")
    assert module.load_bareos_plugin("source=dir:path=/srv:socket=%s:" % sock) == fd.bRC_Error
    assert module.parse_plugin_definition("source=dir:path=/srv:socket=%s:" % sock) == fd.bRC_Error
    assert module.handle_plugin_event(fd.bEventStartBackupJob) == fd.bRC_Error
    assert module.start_backup_file(fd.SavePacket("c", bytes(5))) == fd.bRC_Error
    assert len(core.messages) == 1 and core.messages[0][0] == fd.M_FATAL
    assert "socket=%s" % sock in core.messages[0][1]


def test_a_reply_is_its_grpc_message_however_its_data_frames_cut_it():
    message = bytes(range(256)) * 300
    framed = b"\0" + len(message).to_bytes(4, "big") + message
    for cuts in ([], [3], [5], [6, 70_000], [1, 2, 3, 4]):
        chunks = [framed[a:b] for a, b in zip([0] + cuts, cuts + [len(framed)])]
        assert _message(chunks) == message, cuts
    assert _message([framed + b"more"]) == message
    with pytest.raises(RpcError, match="cut short"):
        _message([framed[:-1]])
    with pytest.raises(RpcError, match="empty response"):
        _message([b"\0\0"])
    with pytest.raises(RpcError, match="compressed"):
        _message([b"\1" + framed[1:]])
