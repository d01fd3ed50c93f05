# SPDX-License-Identifier: AGPL-3.0-or-later
"""The host under systemd: READY=1 on $NOTIFY_SOCKET once it listens (after its start-up sweep), STOPPING=1 when it
stops (Type=notify); one time stamp per line in the journal ($JOURNAL_STREAM: the journal stamps lines itself)."""
import os
import re
import socket

from conftest import Host


def test_the_host_tells_systemd_when_it_is_ready_and_when_it_stops(built_host, work):
    path = os.path.join(work, "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(path)
        notify.settimeout(30)
        host = Host(built_host, work, env={"NOTIFY_SOCKET": path}).start()
        ready = notify.recv(4096).decode()
        assert os.path.exists(host.socket)  # it says so only once it listens
        assert ready == "READY=1\nSTATUS=listening on unix:%s\nMAINPID=%d" % (host.socket, host.proc.pid), ready
        host.stop()
        assert notify.recv(4096).decode() == "STOPPING=1\nSTATUS=stopping: cleaning up running jobs"


def test_under_the_journal_a_log_line_carries_no_time_stamp_of_its_own(built_host, work, fd):
    host = Host(built_host, work, env={"JOURNAL_STREAM": "8:12345"}).start()
    src = os.path.join(work, "src")
    os.makedirs(src)
    assert fd.job(fd.backup("source=dir:path=%s:socket=%s" % (src, host.socket)))["status"] == "T"  # a job: lines are logged
    host.stop()
    lines = [line for line in host.log_text().splitlines() if re.match(r"^(INF|WRN|ERR) ", line)]
    assert lines, host.log_text()
    assert not [line for line in host.log_text().splitlines() if re.match(r"^\d\d:\d\d:\d\d\.\d{3} ", line)], host.log_text()
