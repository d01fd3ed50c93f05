# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's pure-Python gRPC client against the real host: status codes, deadlines, abort from another thread."""
import fcntl
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT, host_binary

sys.path.insert(0, os.path.join(ROOT, "bareos-shim"))

from backupplugins_shim import messages as m, wire  # noqa: E402
from backupplugins_shim.h2client import Channel, RpcError  # noqa: E402


def load(channel, definition, revision=m.REVISION):
    reply = channel.unary(m.SERVICE + "LoadPlugin", wire.encode(m.LoadPluginRequest, {
        "job": {"job_id": 5, "level": "F", "type": "I"}, "plugin_definition": definition.encode(),
        "shim_version": "0.0.9", "protocol": revision}), 5)
    return wire.decode(m.LoadPluginResponse, reply)["session"]


def start_backup(channel, session, timeout):
    channel.unary(m.SERVICE + "HandlePluginEvent", wire.encode(m.HandlePluginEventRequest, {
        "session": session, "event": m.EVENT_START_BACKUP_JOB}), timeout)


def sessions(host):
    out = subprocess.run([host_binary(), "status", "--socket", host.socket], capture_output=True, text=True, check=True).stdout
    return out


def test_a_shim_of_another_protocol_revision_is_refused_with_both_revisions_named(host):
    version = subprocess.run([host_binary(), "--version"], capture_output=True, text=True, check=True).stdout.split()[-1].split("+")[0]
    with pytest.raises(RpcError) as e:
        load(Channel(host.socket), "source=dir:path=/srv:", revision=0)
    assert e.value.detail == (
        "the plugin (shim version 0.0.9) speaks protocol revision 0 and this host (version %s) speaks revision %d: "
        "install the shim and the host from the same BackupPlugins release" % (version, m.REVISION))
    assert "sessions: 0" in sessions(host)


def test_check_returns_at_once_while_the_host_is_there_and_says_lost_when_it_is_gone(host, work):
    channel = Channel(host.socket)
    load(channel, "source=dir:path=/srv:")
    started = time.monotonic()
    channel.check()
    assert time.monotonic() - started < 0.5
    path = os.path.join(work, "dying.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    doomed = Channel(path)
    peer, _ = server.accept()
    peer.close()  # the host's end, as when the host is killed
    with pytest.raises(RpcError) as e:
        doomed.check()
    assert e.value.code == 14
    assert e.value.detail.startswith("lost the connection to the BackupPlugins host at %s (" % path)
    server.close()


def test_host_error_arrives_as_grpc_status_with_its_message(host):
    channel = Channel(host.socket)
    session = load(channel, "source=dir:path=/nonexistent-bp:")
    with pytest.raises(RpcError) as e:
        start_backup(channel, session, 10)
    assert e.value.code == 5  # NOT_FOUND
    assert e.value.detail == "path=/nonexistent-bp cannot be read: No such file or directory; check the path option"
    channel.close()


def test_many_calls_on_one_connection(host, work):
    channel = Channel(host.socket)
    session = load(channel, "source=dir:path=%s:" % work)
    start_backup(channel, session, 10)
    for _ in range(200):
        channel.unary(m.SERVICE + "CheckFile", wire.encode(m.CheckFileRequest, {"session": session, "fname": b"/x"}), 5)
    channel.close()


def test_deadline_ends_a_call_the_host_does_not_answer_in_time(host, work):
    lockfile = os.path.join(work, "held.lock")
    with open(lockfile, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        channel = Channel(host.socket)
        session = load(channel, "source=dir:path=%s:lockfile=%s:lock_timeout=30:" % (work, lockfile))
        started = time.time()
        with pytest.raises(RpcError) as e:
            start_backup(channel, session, 1)
        assert time.time() - started < 3
        assert e.value.code in (4, 14)  # DEADLINE_EXCEEDED from either side


def test_abort_from_another_thread_unblocks_a_call_and_the_host_cleans_up(host, work):
    lockfile = os.path.join(work, "held.lock")
    with open(lockfile, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        channel = Channel(host.socket)
        session = load(channel, "source=dir:path=%s:lockfile=%s:lock_timeout=60:" % (work, lockfile))
        threading.Timer(0.5, channel.abort).start()
        started = time.time()
        with pytest.raises(RpcError) as e:
            start_backup(channel, session, 60)
        assert time.time() - started < 3
        assert e.value.code == 1  # CANCELLED
        deadline = time.time() + 5
        while "sessions: 0" not in sessions(host) and time.time() < deadline:
            time.sleep(0.1)
        assert "sessions: 0" in sessions(host)
