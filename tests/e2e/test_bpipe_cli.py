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
        tar.fileobj.write(tarfile.TarInfo.create_pax_global_header({"BACKUPPLUGINS.end": "1"}))  # as bpipe-reader ends
    where = os.path.join(work, "w")
    r = subprocess.run([host_binary(), "bpipe-writer", "--where", where], input=buf.getvalue(), capture_output=True)
    assert r.returncode == 1
    assert r.stderr.decode() == "backup-plugins bpipe-writer: refusing to restore %s/../../escaped.txt: it contains a '..' or '.' component\n" % where
    assert not os.path.exists(os.path.join(work, "escaped.txt"))


def test_bareos_keyword_form_runs_reader_and_writer_without_a_shell(built_host, work):
    """bpipe:file=…:reader=…:writer=… as Bareos 25 runs it (argv split at spaces, job facts in Bareos* variables),
    and as Bareos master runs it (no %w: the writer takes BareosWhere)."""
    import bareos_bpipe
    src = os.path.join(work, "src with space")
    make_corpus(src)
    expected = snapshot(src)
    line = "bpipe:file=/BACKUPPLUGINS/src.pax:reader=%s bpipe-reader --source dir 'path=%s':writer=%s bpipe-writer --where %%w" % (
        host_binary(), src, host_binary())
    code, archive, err = bareos_bpipe.backup(line, jobid=7)
    assert (code, err) == (0, "")
    code, err = bareos_bpipe.restore(line, archive, jobid=8, where=os.path.join(work, "r25"))
    assert (code, err) == (0, "")
    assert diff(expected, snapshot(os.path.join(work, "r25") + src)) == []
    master = line.replace(" --where %w", "")
    code, err = bareos_bpipe.restore(master, archive, jobid=9, where=os.path.join(work, "rmaster"), substitute=False)
    assert (code, err) == (0, "")
    assert diff(expected, snapshot(os.path.join(work, "rmaster") + src)) == []


def test_writer_without_a_where_refuses_and_says_how(built_host, work):
    env = {k: v for k, v in os.environ.items() if not k.startswith("Bareos")}
    r = subprocess.run([host_binary(), "bpipe-writer"], input=b"", capture_output=True, env=env)
    assert r.returncode == 2
    assert r.stderr.decode() == ("backup-plugins bpipe-writer: say where to restore: --where DIR (Bacula: --where=%w), "
                                 "or --where / to restore in place\n")


def test_writer_refuses_a_where_that_swallowed_the_next_argument(built_host, work):
    # Bacula substitutes an empty %w for where=/: "--where %w target=x" becomes "--where  target=x"
    r = subprocess.run([host_binary(), "bpipe-writer", "--where", "target=x"], input=b"", capture_output=True)
    assert r.returncode == 2
    assert r.stderr.decode() == ("backup-plugins bpipe-writer: --where target=x: not an absolute directory; write --where=%w in "
                                 "the FileSet so that an empty where (restore in place) stays empty\n")


def test_plugin_options_that_are_not_key_value_are_refused(built_host, work):
    r = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", work, "exclude"], capture_output=True)
    assert r.returncode == 2
    assert r.stderr.decode() == ("backup-plugins bpipe-reader: \"exclude\" is not a plugin option: write key=value "
                                 "(e.g. path=/srv/data)\n")
    assert r.stdout == b""


def members(archive):
    """GNU tar's count (Python's tarfile refuses a pax global header right before the end blocks, valid as it is)."""
    listing = subprocess.run(["tar", "tf", "-"], input=archive, capture_output=True, check=True).stdout
    return len(listing.splitlines())


def test_writer_says_when_its_input_is_no_archive_or_a_cut_one(built_host, work):
    src = os.path.join(work, "src")
    make_corpus(src)
    archive = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", src], capture_output=True, check=True).stdout
    prefix = "backup-plugins bpipe-writer: "
    for data, reason in ((b"\0" * 1024, "the archive ends after 0 members without bpipe-reader's end record: it was cut short "
                                         "(did its reader fail?)"),
                         (archive[:-2048], "the archive ends after %d members without bpipe-reader's end record: it was cut "
                                           "short (did its reader fail?)" % members(archive)),
                         (b"", "the input ends inside the first header: it is not a tar archive"),
                         (b"\n", "the input ends inside the first header: it is not a tar archive"),
                         (archive[:2048 + 100], "the archive ends inside a header after 1 members: it was cut short")):
        r = subprocess.run([host_binary(), "bpipe-writer", "--where=" + os.path.join(work, "r")], input=data, capture_output=True)
        assert (r.returncode, r.stderr.decode()) == (1, prefix + reason + "; the restore is incomplete\n")


def test_archive_of_a_failed_reader_has_no_end_and_the_writer_says_so(built_host, work):
    """A reader failing between two members leaves no end record and no end blocks: tar and our writer see a cut archive."""
    import socket
    src = os.path.join(work, "src")
    os.makedirs(src)
    with open(os.path.join(src, "a.txt"), "wb") as f:
        f.write(b"first\n")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(os.path.join(src, "zz.sock"))  # walked after a.txt
    try:
        r = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", src], capture_output=True)
    finally:
        listener.close()
    assert r.returncode == 1
    assert len(r.stdout) % 512 == 0 and r.stdout[-1024:] != b"\0" * 1024
    where = os.path.join(work, "r")
    w = subprocess.run([host_binary(), "bpipe-writer", "--where", where], input=r.stdout, capture_output=True)
    assert (w.returncode, w.stderr.decode()) == (1, "backup-plugins bpipe-writer: the archive ends after 1 members without "
                                                    "bpipe-reader's end record: it was cut short (did its reader fail?); the "
                                                    "restore is incomplete\n")
    with open(where + src + "/a.txt", "rb") as f:
        assert f.read() == b"first\n"  # what it held is restored



def test_raw_format_is_for_a_single_stream_only(built_host, work):
    src = os.path.join(work, "src")
    os.makedirs(os.path.join(src, "d"))
    r = subprocess.run([host_binary(), "bpipe-reader", "--source", "dir", "--path", src, "--format", "raw"], capture_output=True)
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode() == ("backup-plugins bpipe-reader: --format raw needs a source that yields a single stream (such as "
                                 "zfs mode=stream); this one yields entries such as %s/d: use --format pax; the stream is "
                                 "incomplete\n" % src)
