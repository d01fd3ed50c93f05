# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins check`: a plugin string and a standalone job's configuration file validated without running
anything, through a running host or an embedded one, with the messages a job gives; exit 0 or 1."""
import os
import subprocess

from conftest import host_binary

MODULE = "python3:module_path=/opt/backup-plugins/bareos-shim:module_name=bareos-fd-backupplugins:"


def check(work, *words, socket=None):
    config = os.path.join(work, "host.json")
    if not os.path.exists(config):
        with open(config, "w") as f:
            f.write('{"StateDirectory": "%s"}' % os.path.join(work, "state"))
    r = subprocess.run([host_binary(), "check"] + list(words) + ["--socket", socket or os.path.join(work, "no-host.sock"),
                                                                  "--host-config", config], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.splitlines(), r.stderr


def test_a_good_plugin_string_is_ok_and_says_what_it_understood(work):
    code, lines, err = check(work, "plugin", MODULE + "source=dir:path=/srv:exclude=*.tmp,/cache")
    assert (code, lines) == (0, ["ok: source=dir: path=/srv, exclude=*.tmp,/cache"]), err


def test_every_problem_of_a_plugin_string_is_said_as_the_job_would_say_it(work):
    code, lines, _ = check(work, "plugin", MODULE + "source=lvm:device=/dev/vg0:snapshot_size=lots:colour=blue")
    assert code == 1
    assert lines[:2] == ['error: option "device" must be /dev/VG/LV, got "/dev/vg0"',
                         'error: option "snapshot_size" must be a size such as 2G or 500M, or N%ORIGIN, N%FREE, N%VG, got "lots"'], lines
    assert lines[2].startswith('error: unknown option "colour" for source=lvm (known: vg, lv, device, snapshot_size, '), lines
    assert len(lines) == 3, lines


def test_an_unknown_source_a_wrong_module_and_an_empty_value(work):
    code, lines, _ = check(work, "plugin", "python3:module_name=bareos-fd-local-fileset:source=nfs:path=")
    assert code == 1
    assert lines[0] == ("error: module_name=bareos-fd-local-fileset is not BackupPlugins' module: give "
                        "module_name=bareos-fd-backupplugins (or bareos-fd-vz7_ct_fs)")
    assert lines[1].startswith('error: unknown source "nfs" (known: dir, lvm, parallels, vz7, xen, zfs')
    assert 'warning: plugin option "path" has an empty value and is ignored' in lines
    code, lines, _ = check(work, "plugin", "bpipe:file=/x:reader=a:writer=b")
    assert code == 1 and lines[0].startswith('error: "bpipe:file=/x:reader=a:writer=b" does not start with python3:'), lines


def test_a_job_configuration_file_is_read_by_the_jobs_own_reader(work):
    good = os.path.join(work, "weekly.cfg")
    with open(good, "w") as f:
        f.write("max_backups=3\nbackup_dir=/snapshots/BACKUPS\nvm-export=web\nvdi-export=db:2\n")
    code, lines, err = check(work, "config", "xen", good)
    assert (code, lines) == (0, ["ok: backup_dir=/snapshots/BACKUPS, max_backups=3, 2 selector line(s)"]), err
    bad = os.path.join(work, "host.ini")
    with open(bad, "w") as f:
        f.write("[backup]\ntarget = relative\n[lvm]\nvolume_group = data\n")
    code, lines, _ = check(work, "config", "lvm", bad)
    assert code == 1
    assert lines == ["error: [backup] target = relative: give an absolute path",
                     "error: [lvm] logical_volume is missing: the logical volume to back up",
                     "error: [lvm] snapshot_lv_name is missing: the name of the snapshot the run makes (and removes)",
                     "error: [lvm] snapshot_size is missing: the snapshot's space, as lvcreate takes it (2G, 20%ORIGIN)"], lines


def test_check_goes_through_the_running_host_and_runs_nothing(host, work):
    code, lines, _ = check(work, "plugin", MODULE + "source=zfs:dataset=tank/data", socket=host.socket)
    assert (code, lines) == (0, ["ok: source=zfs: dataset=tank/data"])


def test_each_kind_of_configuration_is_known_and_a_missing_file_is_said(work):
    for kind in ("zfs-sync", "parallels", "xen", "lvm"):
        code, lines, _ = check(work, "config", kind, os.path.join(work, "missing.ini"))
        assert code == 1 and len(lines) == 1 and lines[0].startswith("error: ") and "missing.ini" in lines[0], (kind, lines)
    code, lines, _ = check(work, "config", "bacula", os.path.join(work, "x"))
    assert (code, lines) == (1, ["error: unknown kind bacula: give zfs-sync, parallels, xen or lvm"])


def test_a_bpipe_line_is_checked_as_its_reader_would_send_it(work):
    line = ("bpipe:file=/@lvm/data/root.pax:reader=/usr/bin/backup-plugins bpipe-reader --source lvm --socket /run/x.sock vg=data "
            "lv=root snapshot_size=20%ORIGIN:writer=/usr/bin/backup-plugins bpipe-writer --where %w")
    code, lines, err = check(work, "bpipe", line)
    assert (code, lines) == (0, ["ok: source=lvm: vg=data, lv=root, snapshot_size=20%ORIGIN"]), err
    code, lines, _ = check(work, "bpipe", "bpipe:/x.pax:backup-plugins bpipe-reader --source dir path=srv:backup-plugins bpipe-writer")
    assert (code, lines) == (1, ['error: option "path" must be an absolute path, got "srv"']), lines  # Bacula's positional form
    code, lines, _ = check(work, "bpipe", "bpipe:file=/x:reader=tar cf - /srv:writer=tar xf -")
    assert (code, lines) == (1, ['error: the writer "tar xf -" is not backup-plugins bpipe-writer: a restore would not go back '
                                 'through the host']), lines


def test_a_host_configuration_is_read_as_the_host_reads_it(work):
    good = os.path.join(work, "good.json")
    with open(good, "w") as f:
        f.write('{"StateDirectory": "/var/lib/backup-plugins", "Sources": {"Lvm": {"FillPollSeconds": 5}, "Xen": {"CaFile": "/etc/x.pem"}}}')
    code, lines, err = check(work, "host-config", good)
    assert (code, lines) == (0, ["ok: %s: sources Lvm, Xen, state in /var/lib/backup-plugins" % good]), err
    bad = os.path.join(work, "bad.json")
    with open(bad, "w") as f:
        f.write('{"Sources": {"Lvm": {"FillPolSeconds": 5}, "Zfs": {"Zfs": "zfs"}, "Lvn": {}}, "StateDir": "/x"}')
    code, lines, _ = check(work, "host-config", bad)
    assert code == 1
    assert lines[0].startswith("error: Sources:Lvm: ") and "FillPolSeconds" in lines[0], lines
    assert "warning: Sources:Lvn is read by no source (known: Vz7, Zfs, Parallels, Xen, Lvm)" in lines, lines
    assert "warning: StateDir is read by nothing in the host (known: StateDirectory, Sources)" in lines, lines
