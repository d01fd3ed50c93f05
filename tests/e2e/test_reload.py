# SPDX-License-Identifier: AGPL-3.0-or-later
"""SIGHUP (`systemctl reload backup-plugins`) reloads the host configuration: jobs that start afterwards use the new
tool paths, a job that runs across the reload keeps its settings and ends well, and a file that does not read is
refused with the reason while the settings in use stay."""
import json
import os
import signal
import socket
import threading
import time

from conftest import Host


def fake_zfs(work, name):
    """A zfs that only says which path was called and that the dataset is missing (as zfs does, exit 1)."""
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write('#!/bin/sh\necho "$*" >> "$0.calls"\necho "cannot open \'tank/x\': dataset does not exist" >&2\nexit 1\n')
    os.chmod(path, 0o755)
    return path


def calls(path):
    try:
        return open(path + ".calls").read().splitlines()
    except FileNotFoundError:
        return []


def write_config(path, state, zfs=None, text=None):
    with open(path, "w") as f:
        f.write(text if text is not None else json.dumps({"StateDirectory": state, "Sources": {"Zfs": {"Zfs": zfs}}}))


def wait_for_log(host, needle, count=1):
    deadline = time.time() + 20
    while host.log_text().count(needle) < count:
        assert time.time() < deadline, host.log_text()
        time.sleep(0.1)


def test_sighup_reloads_settings_for_new_jobs_keeps_running_ones_and_refuses_a_bad_file(built_host, work, fd):
    zfs_a, zfs_b = fake_zfs(work, "zfs-a"), fake_zfs(work, "zfs-b")
    config, state = os.path.join(work, "host.json"), os.path.join(work, "state")
    write_config(config, state, zfs_a)
    notify_path = os.path.join(work, "notify.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(20)
    host = Host(built_host, work, extra=["--config", config], env={"NOTIFY_SOCKET": notify_path}).start()
    try:
        assert notify.recv(4096).startswith(b"READY=1\n")
        zfs_job = "source=zfs:dataset=tank/x:socket=%s" % host.socket
        assert fd.job(fd.backup(zfs_job))["status"] != "T"
        assert calls(zfs_a) and not calls(zfs_b)
        before = len(calls(zfs_a))

        # a job runs across the reload: it ends well
        src = os.path.join(work, "src")
        os.makedirs(src)
        with open(os.path.join(src, "big.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        running = {}
        job = threading.Thread(target=lambda: running.update(
            id=fd.backup("source=dir:path=%s:socket=%s" % (src, host.socket), pause_before_data_of=[os.path.join(src, "big.bin"), 3])))
        job.start()
        time.sleep(1.5)
        write_config(config, state, zfs_b)
        host.proc.send_signal(signal.SIGHUP)
        wait_for_log(host, "Reloaded %s: new Sources:Zfs; running jobs keep the settings they started with" % config)
        assert notify.recv(4096).decode().startswith("RELOADING=1\nSTATUS=reloading %s\nMONOTONIC_USEC=" % config)
        assert notify.recv(4096).decode() == "READY=1\nSTATUS=listening on unix:%s" % host.socket
        job.join(60)
        assert fd.job(running["id"])["status"] == "T"
        assert host.proc.poll() is None

        assert fd.job(fd.backup(zfs_job))["status"] != "T"
        assert len(calls(zfs_a)) == before and calls(zfs_b)  # the new path, for a job that started after the reload

        # files that do not read are refused with the reason; the settings in use stay
        refusals = [
            ('{"StateDirectory": "%s", "Sources": {"Zfs": {"Zfss": "%s"}}}' % (state, zfs_a), "Sources:Zfs: 'ErrorOnUnknownConfiguration' was set on the provided BinderOptions, but the following properties "
             "were not found on the instance of BackupPlugins.Sources.Zfs.ZfsSettings: 'Zfss'"),
            ('{"StateDirectory": "%s", "Sources": {' % state, "Could not parse the JSON file"),
            (json.dumps({"StateDirectory": os.path.join(work, "other"), "Sources": {"Zfs": {"Zfs": zfs_a}}}),
             "StateDirectory: %s instead of %s takes a restart" % (os.path.join(work, "other"), state)),
        ]
        for n, (text, reason) in enumerate(refusals, 1):
            write_config(config, state, text=text)
            host.proc.send_signal(signal.SIGHUP)
            wait_for_log(host, "Reload of %s refused, the settings in use stay: " % config, n)
            refused = [l for l in host.log_text().splitlines() if "Reload of %s refused" % config in l][n - 1]
            assert reason in refused, refused
        b_calls = len(calls(zfs_b))
        assert fd.job(fd.backup(zfs_job))["status"] != "T"
        assert len(calls(zfs_a)) == before and len(calls(zfs_b)) > b_calls
        assert host.proc.poll() is None
    finally:
        host.stop()
        notify.close()
