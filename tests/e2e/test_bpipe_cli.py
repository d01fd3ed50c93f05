# SPDX-License-Identifier: AGPL-3.0-or-later
"""bpipe-reader | bpipe-writer (the commands a Bacula/Bareos bpipe FileSet runs): the restore-truth corpus comes
back exact under where=, sparse holes included; failures exit non-zero with a one-line reason."""
import os
import subprocess

from conftest import host_binary
from trees import allocated, diff, make_corpus, snapshot


def test_reader_to_writer_round_trip_is_exact(built_host, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    expected = snapshot(src)
    where = os.path.join(work, "r")
    reader = subprocess.Popen([host_binary(), "bpipe-reader", "--source", "dir", "--path", src], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    writer = subprocess.run([host_binary(), "bpipe-writer", "--where", where], stdin=reader.stdout, capture_output=True, text=True)
    reader.stdout.close()
    assert reader.wait() == 0, reader.stderr.read()
    assert writer.returncode == 0, writer.stderr
    assert diff(expected, snapshot(where + src)) == []
    assert allocated(os.path.join(where + src, "sparse.img")) < 1 << 20


def test_archive_extracts_with_gnu_tar_sparse_file_included(built_host, work):
    src = os.path.join(work, "src")
    os.makedirs(src)
    with open(os.path.join(src, "sparse.img"), "wb") as f:
        f.write(b"head")
        f.seek(5 << 20)
        f.write(b"middle")
        f.truncate(12 << 20)
    archive = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", src], capture_output=True, check=True).stdout
    out = os.path.join(work, "gnu")
    os.makedirs(out)
    subprocess.run(["tar", "-C", out, "-xf", "-"], input=archive, capture_output=True, check=True)
    with open(os.path.join(src, "sparse.img"), "rb") as a, open(out + src + "/sparse.img", "rb") as b:
        assert a.read() == b.read()
    assert allocated(out + src + "/sparse.img") < 1 << 20


def test_reader_failure_exits_non_zero_with_one_line(built_host, work):
    r = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", os.path.join(work, "missing")], capture_output=True)
    assert r.returncode == 1
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("backup-plugins bpipe-reader: ") and lines[0].endswith("; the archive is incomplete")


def test_writer_refuses_members_outside_the_target(built_host, work):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    where = os.path.join(work, "w")
    r = subprocess.run([host_binary(), "bpipe-writer", "--where", where], input=buf.getvalue(), capture_output=True)
    assert r.returncode == 1
    assert r.stderr.decode() == "backup-plugins bpipe-writer: refusing to restore %s/../../escaped.txt: it contains a '..' or '.' component\n" % where
    assert not os.path.exists(os.path.join(work, "escaped.txt"))
