# SPDX-License-Identifier: AGPL-3.0-or-later
"""source=dir through the FD driver, the shim and a real host: full, incremental, differential, accurate,
restore to another where and in place; restored trees compared byte and attribute exact."""
import os
import shutil
import time

from trees import allocated, diff, make_corpus, snapshot

OK = "T"


def definition(host, src, extra=""):
    return "source=dir:path=%s:socket=%s%s" % (src, host.socket, extra)


def assert_ok(fd, jobid):
    job = fd.job(jobid)
    assert job["status"] == OK, job["messages"]
    assert not [m for m in job["messages"] if m[0] <= 4], job["messages"]


def test_full_backup_and_restore_to_where_is_exact(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = fd.backup(definition(host, src))
    assert_ok(fd, full)
    where = os.path.join(work, "restore")
    r = fd.restore([full], where=where)
    assert_ok(fd, r)
    restored = where + src
    assert diff(expected, snapshot(restored)) == []


def test_restore_in_place_over_a_damaged_tree_brings_it_back(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = fd.backup(definition(host, src))
    assert_ok(fd, full)
    os.remove(os.path.join(src, "small.txt"))
    with open(os.path.join(src, "dir/sub/deeper/data.bin"), "r+b") as f:
        f.write(b"garbage")
    os.chmod(os.path.join(src, "dir"), 0o777)
    shutil.rmtree(os.path.join(src, "empty-dir"))
    r = fd.restore([full], where="")
    assert_ok(fd, r)
    assert diff(expected, snapshot(src)) == []


def change_tree(src):
    time.sleep(1.1)  # Bareos compares whole seconds
    with open(os.path.join(src, "small.txt"), "ab") as f:
        f.write(b"more\n")
    with open(os.path.join(src, "new-file"), "wb") as f:
        f.write(b"new\n")
    os.remove(os.path.join(src, "name with spaces.txt"))


def test_incremental_saves_only_changes_and_restores_the_latest_tree(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    time.sleep(1.1)  # the corpus's ctimes must be older than the full's start, as on a real system
    full = fd.backup(definition(host, src))
    assert_ok(fd, full)
    change_tree(src)
    expected = snapshot(src)
    incr = fd.backup(definition(host, src), level="I", since_job=full)
    assert_ok(fd, incr)
    saved = {f["fname"][len(src):] for f in fd.job(incr)["files"] if f["type"] not in (10, 11)}
    # Changed and new files, and the root directory whose entries changed; nothing else.
    assert saved == {"/small.txt", "/new-file", "/"}, saved
    where = os.path.join(work, "r")
    r = fd.restore([full, incr], where=where)
    assert_ok(fd, r)
    actual = snapshot(where + src)
    # Without Accurate, a deleted file stays in the restore view (Bareos semantics).
    assert b"name with spaces.txt" in actual
    del actual[b"name with spaces.txt"]
    assert diff(expected, actual) == []


def test_accurate_incremental_records_deletions_through_check_file(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    full = fd.backup(definition(host, src), accurate=True)
    assert_ok(fd, full)
    change_tree(src)
    expected = snapshot(src)
    incr = fd.backup(definition(host, src), level="I", accurate=True, since_job=full)
    assert_ok(fd, incr)
    deleted = [f["fname"] for f in fd.job(incr)["files"] if f["type"] == 23]
    assert deleted == [os.path.join(src, "name with spaces.txt")]
    checks = [c for c in fd.job(incr)["calls"] if c[0] == "check_file"]
    assert len(checks) == 1
    where = os.path.join(work, "r")
    r = fd.restore([full, incr], where=where)
    assert_ok(fd, r)
    assert diff(expected, snapshot(where + src)) == []


def test_differential_saves_everything_changed_since_the_full(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    full = fd.backup(definition(host, src))
    change_tree(src)
    incr = fd.backup(definition(host, src), level="I", since_job=full)
    time.sleep(1.1)
    with open(os.path.join(src, "empty"), "wb") as f:
        f.write(b"now filled\n")
    expected = snapshot(src)
    diff_job = fd.backup(definition(host, src), level="D", since_job=full)
    assert_ok(fd, diff_job)
    saved = {f["fname"][len(src):] for f in fd.job(diff_job)["files"] if f["type"] not in (10, 11)}
    assert {"/small.txt", "/new-file", "/empty"} <= saved
    where = os.path.join(work, "r")
    r = fd.restore([full, diff_job], where=where)
    assert_ok(fd, r)
    actual = snapshot(where + src)
    del actual[b"name with spaces.txt"]
    assert diff(expected, actual) == []
    assert incr


def test_sparse_fileset_keeps_holes(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    flags = bytearray.fromhex("00c0000802")
    flags[0] |= 1 << 5  # FO_SPARSE: FileSet Options { Sparse = yes }
    full = fd.backup(definition(host, src), flags=flags.hex())
    assert_ok(fd, full)
    where = os.path.join(work, "r")
    r = fd.restore([full], where=where)
    assert_ok(fd, r)
    assert diff(expected, snapshot(where + src)) == []
    assert allocated(os.path.join(where + src, "sparse.img")) < 2 * 1024 * 1024


def test_socket_data_path_round_trips(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = fd.backup(definition(host, src, ":datapath=socket"))
    assert_ok(fd, full)
    assert [c for c in fd.job(full)["calls"] if c[0] == "plugin_io"]
    where = os.path.join(work, "r")
    r = fd.restore([full], where=where)
    assert_ok(fd, r)
    assert diff(expected, snapshot(where + src)) == []
    kinds = fd.job(r)["io_kinds"]
    # The core wrote into data sockets that the host drained; sparse files go by path (they need seeks), and entries
    # the host made itself (symlinks, fifos, devices, empty files) are "extracted" into /dev/null so that the core hands
    # over their xattr and ACL streams.
    assert kinds.pop(where + src + "/sparse.img") == "file"
    made = {k for k, v in kinds.items() if v == "file"}
    assert {os.path.basename(k) for k in made} == {"dangling", "link-to-small", "link-to-latin1", "fifo", "chardev", "blockdev",
                                                    "empty"}, made
    assert {v for k, v in kinds.items() if k not in made} == {"socket"} and len(kinds) - len(made) >= 8


def test_file_daemon_without_io_in_core_uses_plugin_reads_and_writes(host, work):
    from conftest import SHIM
    from fd import FileDaemon
    old = FileDaemon(os.path.join(work, "fd21"), SHIM, fd_version=21)
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = old.backup(definition(host, src))
    assert_ok(old, full)
    where = os.path.join(work, "r")
    r = old.restore([full], where=where)
    assert_ok(old, r)
    assert diff(expected, snapshot(where + src)) == []


def test_exclude_globs_anchored_and_at_any_depth(host, fd, work):
    src = os.path.join(work, "src")
    os.makedirs(os.path.join(src, "cache/x"))
    os.makedirs(os.path.join(src, "keep/cache"))
    for rel in ("a.tmp", "keep/b.tmp", "keep/c.txt", "cache/x/d.txt", "keep/cache/e.txt"):
        with open(os.path.join(src, rel), "w") as f:
            f.write(rel)
    full = fd.backup(definition(host, src, ":exclude=*.tmp,/cache"))
    assert_ok(fd, full)
    names = sorted(f["fname"][len(src):] for f in fd.job(full)["files"])
    assert names == ["/", "/keep/", "/keep/c.txt", "/keep/cache/", "/keep/cache/e.txt"]


def test_estimate_lists_every_entry_with_sizes_and_reads_nothing(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    entries = [src] + [os.path.join(d, n) for d, dirs, files in os.walk(src) for n in dirs + files]
    result = fd.estimate(definition(host, src))
    assert result["status"] == OK, result["messages"]
    assert len(result["files"]) == len(entries)
    regular = [os.lstat(e) for e in entries if os.path.isfile(e) and not os.path.islink(e)]
    first_names = {(st.st_dev, st.st_ino): st.st_size for st in regular}
    assert sum(f["statp"]["st_size"] for f in result["files"] if f["type"] == 3) == sum(first_names.values())
    assert not [c for c in result["calls"] if c[0] in ("plugin_io", "get_xattr", "get_acl")]


def test_regexwhere_moves_the_tree(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    full = fd.backup(definition(host, src))
    target = os.path.join(work, "moved")
    r = fd.restore([full], regexwhere="!%s!%s!" % (src, target))
    assert_ok(fd, r)
    assert diff(expected, snapshot(target)) == []


def test_replace_never_keeps_what_is_there(host, fd, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    full = fd.backup(definition(host, src))
    with open(os.path.join(src, "small.txt"), "wb") as f:
        f.write(b"local edit\n")
    r = fd.restore([full], where="", replace="n")
    assert_ok(fd, r)
    with open(os.path.join(src, "small.txt"), "rb") as f:
        assert f.read() == b"local edit\n"
