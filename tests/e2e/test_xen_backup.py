# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins xen backup` (the seed VmBackup.py's run) with the seed's config files, against the XAPI fake
(tests/fakes/xapi): the seed's directory layout, metadata files, markers and status log; exports checked against the
disks' bytes; no snapshot left after a failure, a cut export or a killed command; pruning; preview."""
import hashlib
import os
import re
import signal
import socket
import subprocess
import tarfile
import time

import pytest

from xapiworld import ODD_NAME
from xenrun import LINE, MiB, Run, no_snapshots, read_cfg, xen  # noqa: F401  (xen: the fixture)

def test_the_seeds_config_exports_every_vm_into_the_seeds_layout_and_leaves_no_snapshot(work, xen):
    run = Run(work, xen)
    vdis_before = len(xen.vdis())
    code, lines, err = run.run()
    assert code == 0, "\n".join(lines) + err
    assert no_snapshots(xen) and len(xen.vdis()) == vdis_before
    # vm-export of a running VM: its snapshot as an XVA whose disks hold the VM's bytes
    [web_dir] = run.dirs("web")
    assert re.fullmatch(r"backup-\d{4}-\d{2}-\d{2}-\(\d{2}:\d{2}:\d{2}\)", web_dir)
    d = os.path.join(run.backups, "web", web_dir)
    assert sorted(os.listdir(d)) == ["DISK-xvda", "DISK-xvdb", "VIFs", "success", "vm.cfg", "web.xva", "web.xva.sha256"]
    xva = os.path.join(d, "web.xva")
    with open(xva + ".sha256") as f:
        assert f.read() == "%s  web.xva\n" % hashlib.sha256(open(xva, "rb").read()).hexdigest()
    with tarfile.open(xva) as t:
        names = t.getnames()
    assert names[0] == "ova.xml" and any(n.endswith(".xxhash") for n in names)
    web = xen.vm(xen.vm_refs["web"])
    vm_cfg = read_cfg(os.path.join(d, "vm.cfg"))
    assert vm_cfg["name_label"] == "web" and vm_cfg["orig_uuid"] == web["uuid"]
    assert vm_cfg["os_version"] == "Debian GNU/Linux 12 (bookworm)"
    vdi = read_cfg(os.path.join(d, "DISK-xvda", "vdi.cfg"))
    assert vdi["virtual_size"] == str(64 * MiB) and vdi["sharable"] == "False"
    assert read_cfg(os.path.join(d, "DISK-xvda", "vbd.cfg"))["userdevice"] == "0"
    assert os.listdir(os.path.join(d, "VIFs")) == ["vif-0.cfg"]
    # a halted VM: exported without a snapshot, its start blocked meanwhile and unblocked after
    [db_dir] = run.dirs("db")
    assert os.path.exists(os.path.join(run.backups, "db", db_dir, "db.xva"))
    assert xen.vm(xen.vm_refs["db"])["blocked_operations"] == {}
    assert "db is halted: exported without a snapshot, its start blocked meanwhile" in lines
    # vdi-export by regex of a name with commas, quotes, a dollar and non-ASCII: the boot disk's bytes, raw
    [odd_dir] = run.dirs(ODD_NAME)
    raw = os.path.join(run.backups, ODD_NAME, odd_dir, ODD_NAME + ".raw")
    [boot] = xen.vm_vdis(xen.vm_refs[ODD_NAME])
    assert open(raw, "rb").read() == xen.vdi_bytes(boot)
    # the seed's status log and summary
    status = open(run.status).read().splitlines()
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2},vmbackup.py,\S+,begin", status[0])
    assert [s.split(",", 2)[1] for s in status[1:4]] == ["vdi-export", "vm-export", "vm-export"]
    assert status[-1].endswith(",end,SUCCESS,S:3 W:0 E:0")
    assert lines[-1] == "VmBackup ended - Success - S:3 W:0 E:0"


def test_preview_prints_the_settings_and_the_resolved_lists_and_changes_nothing(work, xen):
    run = Run(work, xen)
    run.config("exclude=db\nvm-export=.*\nvdi-export=web:3\n")
    code, lines, err = run.run("preview")
    assert code == 0, "\n".join(lines) + err
    assert lines[1:] == [
        "VmBackup.py running with these settings:",
        "  backup_dir        = %s" % run.backups,
        "  status_log        = %s" % run.status,
        "  compress          = False",
        "  max_backups       = 2",
        "  vdi_export_format = raw",
        "  pool_db_backup    = 0",
        "  exclude (cnt)= 1",
        "  exclude: db",
        "  vdi-export (cnt)= 1",
        "  vdi-export: web:3",
        "  vm-export (cnt)= 1",
        "  vm-export: %s" % ODD_NAME,
        "  metadata-export (cnt)= 0",
        "  metadata-export: ",
        "***WARNING vdi-export dup - remove vm-export=web",
        "SUCCESS preview of parameters - WARNINGS found (see above)",
    ]
    assert os.listdir(run.backups) == [] and not os.path.exists(run.status)
    assert "VM.snapshot" not in xen.api_calls()


def test_a_failed_snapshot_is_an_error_for_that_vm_only(work, xen):
    run = Run(work, xen)
    xen.fault("VM.snapshot", error=["SR_BACKEND_FAILURE_44", "", "There is insufficient space", ""], times=1)
    code, lines, _ = run.run()
    assert code == 2
    assert [line for line in lines if line.startswith("ERROR vm-export web: XAPI VM.snapshot failed: SR_BACKEND_FAILURE_44")], lines
    assert lines[-1] == "VmBackup ended - **ERRORS DETECTED** - S:2 W:0 E:1"
    assert no_snapshots(xen)
    assert open(run.status).read().splitlines()[-1].endswith(",end,ERROR,S:2 W:0 E:1")


def test_an_export_cut_mid_stream_leaves_no_snapshot_and_the_next_run_removes_the_failed_directory(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n")
    xen.fault("/export", cut_after_bytes=3 * MiB, times=1)
    code, lines, _ = run.run()
    assert code == 2, lines
    assert [line for line in lines if line.startswith("ERROR vm-export web: ")], lines
    assert no_snapshots(xen)
    [failed] = run.dirs("web")
    assert "success" not in os.listdir(os.path.join(run.backups, "web", failed))
    time.sleep(1.1)
    code, lines, _ = run.run()
    assert code == 0, lines
    assert "removing failed backup %s" % os.path.join(run.backups, "web", failed) in lines
    assert len(run.dirs("web")) == 1 and run.dirs("web") != [failed]


def test_max_backups_keeps_that_many_and_a_colon_n_overrides_it(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\nvm-export=db:1\n")
    for _ in range(3):
        code, lines, _ = run.run()
        assert code == 0, lines
        time.sleep(1.1)
    assert len(run.dirs("web")) == 2 and len(run.dirs("db")) == 1


def test_killed_while_exporting_the_sweep_destroys_the_snapshot(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n")
    xen.fault("/export", sleep=60, times=1)
    p = subprocess.Popen(run.argv(), stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while no_snapshots(xen):
        assert time.time() < deadline and p.poll() is None
        time.sleep(0.1)
    time.sleep(0.5)  # the snapshot's UUID is noted in the journal right after VM.snapshot answers
    p.send_signal(signal.SIGKILL)
    p.communicate(timeout=30)
    assert not no_snapshots(xen)
    s = run.sweep()
    assert s.stdout.startswith("leftovers: 1\n  xen vm snapshot RESTORE_web of VM %s: removed" % xen.vm(xen.vm_refs["web"])["uuid"]), s.stdout + s.stderr
    assert no_snapshots(xen)
    assert run.sweep().stdout == "leftovers: 0\n"


def test_compress_true_writes_a_checked_xva_gz_and_vhd_format_a_vhd(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\nvdi-export=db\n", extra="vdi_export_format=vhd\n")
    code, lines, _ = run.run("compress=True")
    assert code == 0, lines
    [d] = run.dirs("web")
    gz = os.path.join(run.backups, "web", d, "web.xva.gz")
    with tarfile.open(gz, "r:gz") as t:
        assert t.getnames()[0] == "ova.xml"
    assert [line for line in lines if line.startswith("web.xva.gz: 2 disk(s), ") and line.endswith("chunks, every checksum matches")], lines
    [d] = run.dirs("db")
    vhd = open(os.path.join(run.backups, "db", d, "db.vhd"), "rb").read()
    assert vhd[-512:].startswith(b"conectix")  # a VHD ends with its footer
    assert no_snapshots(xen)


def test_a_wrong_password_is_said_and_the_run_fails_with_exit_code_2(work, xen):
    run = Run(work, xen)
    with open(run.password, "w") as f:
        f.write("password=wrong\n")
    code, lines, _ = run.run()
    assert code == 2
    assert ("ERROR XenAPI authentication error at %s: XAPI session.login_with_password failed: the user root could not log in "
            "(Authentication failure): check the password file - FATAL ERROR" % xen.url) in lines, lines
    assert os.listdir(run.backups) == [".VmBackup.lock"]  # the run lock (a flock: free again), and no backup


def test_the_seeds_base64_password_file_and_a_vm_selector_instead_of_a_config(work, xen):
    run = Run(work, xen)
    with open(run.password, "w") as f:
        f.write("eGVucm9vdA==\n")  # VmBackup.py create-password-file=: base64 of "xenroot"
    argv = run.argv()
    argv[argv.index(run.cfg)] = "vdi-export=db"
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, r.stdout  # the seed's defaults: backup_dir=/snapshots/BACKUPS, which is not here
    assert "ERROR backup_dir=/snapshots/BACKUPS does not exist: create it (with the owner and access it needs) or fix the path - FATAL ERROR" \
        in [LINE.sub("", line) for line in r.stdout.splitlines()], r.stdout
    argv.append("preview")
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    lines = [LINE.sub("", line) for line in r.stdout.splitlines()]
    assert "  vdi-export: db" in lines and "  vm-export: " in lines, lines  # the login worked: the lists are resolved


def test_space_threshold_skips_the_export_before_any_snapshot(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n", extra="space_threshold=99\n")
    code, lines, _ = run.run()
    assert code == 2
    assert [line for line in lines if line.startswith("ERROR vm-export web: only ") and "below space_threshold=99: web not exported" in line], lines
    assert "VM.snapshot" not in xen.api_calls()


def test_a_second_run_into_the_same_backup_dir_is_refused_while_one_runs(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n")
    xen.fault("/export", sleep=5, times=1)
    first = subprocess.Popen(run.argv(), stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while "VM.snapshot" not in xen.api_calls():
        assert time.time() < deadline
        time.sleep(0.1)
    code, lines, _ = run.run()
    assert code == 2
    assert ("ERROR another xen backup into %s is running (lock %s/.VmBackup.lock); try again when it has finished - FATAL ERROR"
            % (run.backups, run.backups)) in lines, lines
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out


def test_pool_db_backup_dumps_the_database_on_the_master_only(work, xen):
    run = Run(work, xen)
    run.config("vm-export=db\n")
    with open(run.cfg) as f:
        text = f.read()
    with open(run.cfg, "w") as f:
        f.write(text.replace("pool_db_backup=0", "pool_db_backup=1"))
    code, lines, _ = run.run()
    assert code == 0 and "** ignore: NOT master" in lines, lines  # this machine is not the pool's master "xcp-host1"
    master = xen.master()
    with xen.store.tx() as st:  # the pool's master gets this machine's name
        st.get("host", master)["name_label"] = socket.gethostname().split(".")[0]
    code, lines, _ = run.run()
    assert code == 0, lines
    [dump] = os.listdir(os.path.join(run.backups, "METADATA_" + socket.gethostname().split(".")[0]))
    assert re.fullmatch(r"pool_db_\d{8}-\d{6}\.dump", dump)
