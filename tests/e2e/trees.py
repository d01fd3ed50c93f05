# SPDX-License-Identifier: AGPL-3.0-or-later
"""The restore-truth corpus and an exact tree comparison (bytes, type, mode, owner, mtime to the ns,
symlink targets, device numbers, xattrs, hard-link groups, non-UTF-8 names)."""
import errno
import hashlib
import struct
import os
import stat


def make_corpus(root):
    """Every entry type a restore must bring back exactly. Needs root (owners, device nodes)."""
    os.makedirs(root)
    b = os.fsencode(root)

    def write(rel, data, mode=0o644, uid=0, gid=0, mtime_ns=1_700_000_000_123_456_789):
        path = os.path.join(b, rel)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, uid, gid)
        os.chmod(path, mode)
        os.utime(path, ns=(1_700_000_100_000_000_001, mtime_ns))
        return path

    os.makedirs(os.path.join(b, b"dir/sub/deeper"))
    os.makedirs(os.path.join(b, b"empty-dir"))
    write(b"small.txt", b"hello\n")
    write(b"empty", b"")
    write(b"dir/sub/deeper/data.bin", os.urandom(300_000), mode=0o600, uid=1234, gid=4321)
    write(b"dir/setuid", b"#!/bin/sh\n", mode=0o4755)
    write(b"name with spaces.txt", b"spaces\n")
    write(b"K\xdcBLER.csv", b"latin-1 name\n")                       # not valid UTF-8
    write(b"caf\xc3\xa9-\xef\x9c\x80.txt", b"utf-8 and a private-use char\n")  # U+F700 in the name
    write(b"dir/newline\nname", b"newline in name\n")
    big = os.path.join(b, b"sparse.img")
    with open(big, "wb") as f:
        f.write(b"head")
        f.seek(5 * 1024 * 1024)
        f.write(b"middle")
        f.truncate(12 * 1024 * 1024)
    os.utime(big, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    hl = write(b"dir/hardlink-a", b"shared content\n")
    os.link(hl, os.path.join(b, b"dir/sub/hardlink-b"))
    os.link(hl, os.path.join(b, b"hardlink-c"))
    os.symlink(b"small.txt", os.path.join(b, b"link-to-small"))
    os.symlink(b"/nonexistent/target", os.path.join(b, b"dangling"))
    os.symlink(b"K\xdcBLER.csv", os.path.join(b, b"link-to-latin1"))
    os.lchown(os.path.join(b, b"dangling"), 1234, 4321)
    os.mkfifo(os.path.join(b, b"fifo"), 0o640)
    os.mknod(os.path.join(b, b"dir/chardev"), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    os.mknod(os.path.join(b, b"dir/blockdev"), 0o660 | stat.S_IFBLK, os.makedev(7, 200))
    x = write(b"xattrs.txt", b"xattrs\n")
    os.setxattr(x, b"user.comment", b"a comment")
    os.setxattr(x, b"user.binary", bytes(range(256)))
    os.setxattr(os.path.join(b, b"dir"), b"user.dir-note", b"on a directory")
    acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in (
        (0x01, 6, 0xFFFFFFFF), (0x02, 4, 1234), (0x04, 4, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)))
    a = write(b"acl.txt", b"with a POSIX ACL\n", mode=0o640)
    os.setxattr(a, b"system.posix_acl_access", acl)
    os.setxattr(os.path.join(b, b"dir/sub"), b"system.posix_acl_default", acl)
    # Directory times last, deepest first.
    for rel, ns in ((b"dir/sub/deeper", 1_600_000_000_000_000_001), (b"dir/sub", 1_600_000_000_000_000_002),
                    (b"dir", 1_600_000_000_000_000_003), (b"empty-dir", 1_600_000_000_000_000_004)):
        os.utime(os.path.join(b, rel), ns=(ns, ns))
    os.chmod(os.path.join(b, b"empty-dir"), 0o700)
    os.chown(os.path.join(b, b"empty-dir"), 1234, 4321)
    os.utime(b, ns=(1_600_000_000_000_000_009, 1_600_000_000_000_000_009))


def plain_corpus(root):
    """Every entry type zfs-fuse can hold (it has no user xattrs or ACLs)."""
    os.makedirs(os.path.join(root, "dir", "sub"))
    b = os.fsencode(root)
    for rel, data in ((b"small.txt", b"hello\n"), (b"dir/sub/data.bin", os.urandom(300_000)), (b"K\xdcBLER.csv", b"latin-1\n")):
        with open(os.path.join(b, rel), "wb") as f:
            f.write(data)
        os.utime(os.path.join(b, rel), ns=(1_700_000_000_000_000_001, 1_700_000_000_123_456_789))
    os.chown(os.path.join(b, b"dir/sub/data.bin"), 1234, 4321)
    with open(os.path.join(root, "sparse.img"), "wb") as f:
        f.write(b"head")
        f.truncate(8 << 20)
    os.link(os.path.join(root, "small.txt"), os.path.join(root, "dir", "hardlink"))
    os.symlink("small.txt", os.path.join(root, "link"))
    os.mkfifo(os.path.join(root, "fifo"))
    os.mknod(os.path.join(root, "dir", "null"), 0o600 | 0o020000, os.makedev(1, 3))


def snapshot(root, with_root_times=True):
    """Everything a restore must reproduce, keyed by the path's bytes relative to root."""
    b = os.fsencode(root)
    out = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(b):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, b)
            out[rel] = describe(path)
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
                inodes.setdefault(st.st_ino, []).append(rel)
    if with_root_times:
        out[b"."] = describe(b)
    out[b"<hardlink groups>"] = sorted(sorted(g) for g in inodes.values())
    return out


def describe(path):
    st = os.lstat(path)
    d = {"type": stat.S_IFMT(st.st_mode), "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid,
         "mtime_ns": st.st_mtime_ns}
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            d["sha256"] = hashlib.sha256(f.read()).hexdigest()
        d["size"] = st.st_size
        d["nlink"] = st.st_nlink
    elif stat.S_ISLNK(st.st_mode):
        d["target"] = os.readlink(path)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        d["rdev"] = st.st_rdev
    if not stat.S_ISLNK(st.st_mode):
        try:
            d["xattrs"] = {n: os.getxattr(path, n) for n in sorted(os.listxattr(path))}
        except OSError as e:
            if e.errno != errno.EOPNOTSUPP:  # a file system without xattrs (zfs-fuse)
                raise
            d["xattrs"] = {}
    return d


def diff(expected, actual):
    problems = []
    for key in sorted(set(expected) | set(actual)):
        if key not in actual:
            problems.append("missing: %r" % key)
        elif key not in expected:
            problems.append("unexpected: %r" % key)
        elif expected[key] != actual[key]:
            problems.append("differs: %r\n  expected %r\n  actual   %r" % (key, expected[key], actual[key]))
    return problems


def allocated(path):
    return os.stat(path).st_blocks * 512
