# SPDX-License-Identifier: AGPL-3.0-or-later
"""excluded_backup_paths keeps the seed plugin's meaning: each entry is a path from the container's root, with or
without a leading '/', pruned exactly there — never a name matched at any depth. The files a backup selects are
compared with a small re-implementation of the seed's pruning (BareosFdPluginVz7CtFs.add_to_files)."""
import os

import pytest

from test_vz7_backup import fileset, seed_fd
from vzworld import NAME, UUID


def tree(path):
    for rel in ("home/admin/secret.txt", "home/admin/sub/x", "home/user/var/tmp/junk/keep.txt", "home/user/home/admin/keep.txt",
                "var/tmp/junk/drop.txt", "var/tmp/other.txt", "var/log/a.gz", "var/log/b.log", "etc/ssl/private/key", "etc/hosts",
                "root/.cache/x", "srv/data/file.txt", "srv/data/other.txt", "admin/y"):
        os.makedirs(os.path.dirname(os.path.join(path, rel)), exist_ok=True)
        with open(os.path.join(path, rel), "w") as f:
            f.write(rel)
    os.symlink("/home/admin", os.path.join(path, "home", "user", "admin-link"))


def seed_selection(root, option):
    """What seed 003 backed up of the container's files: every entry is joined onto the root (single quotes removed,
    leading '/' stripped) and that exact path is pruned from a top-down walk; the root itself is not listed."""
    excludes = [os.path.join(root, e.lstrip("/")) for e in option.replace("'", "").split(",")]
    picked = []
    for dirpath, dirnames, filenames in os.walk(root, topdown=True):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in excludes]
        picked += [os.path.join(dirpath, d) for d in dirnames]
        picked += [os.path.join(dirpath, f) for f in filenames if os.path.join(dirpath, f) not in excludes]
    return sorted(os.path.relpath(p, root) for p in picked)


def backed_up(fd, jobid, vz):
    root = os.path.join(vz.mount_root, UUID) + "/"
    names = [f["fname"] for f in fd.job(jobid)["files"] if f["fname"].startswith(root)]
    assert root in names  # the container's root directory itself (the seed never backed it up: its times were lost)
    return sorted(n[len(root):].rstrip("/") for n in names if n != root)


@pytest.mark.parametrize("option", [
    "'/home/admin'",                                            # the seed README's
    "'/home/admin,var/tmp/junk'",                               # one entry with, one without the leading '/'
    "var/tmp/junk,/etc/ssl/private,root/.cache,srv/data/file.txt",
    "'/home/admin','var/tmp'",
])
def test_the_seeds_option_strings_select_exactly_what_the_seed_backed_up(vzhost, vz, fd, option):
    vz.create_ct(fill=tree)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=[
        "python3:name=%s:uuid=%s:excluded_backup_paths=%s" % (NAME, UUID, option)])
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    expected = seed_selection(vz.live(), option)
    assert "home/user/var/tmp/junk/keep.txt" in expected and "home/user/home/admin/keep.txt" in expected
    assert backed_up(fd, jobid, vz) == expected


def test_globs_are_allowed_inside_an_anchored_path(vzhost, vz, fd):
    vz.create_ct(fill=tree)
    jobid = seed_fd(fd).backup(fileset(vz, vzhost), plugin_options=[
        "python3:name=%s:uuid=%s:excluded_backup_paths=var/log/*.gz,/home/*/var" % (NAME, UUID)])
    assert fd.job(jobid)["status"] == "T", fd.job(jobid)["messages"]
    got = backed_up(fd, jobid, vz)
    assert "var/log/b.log" in got and "var/log/a.gz" not in got
    assert "home/user" in got and not [n for n in got if n.startswith("home/user/var")]

