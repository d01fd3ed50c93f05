#!/usr/bin/python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""The restore-truth corpus for the C# real-Bareos tests (tests/e2e/trees.py is the one implementation):
  trees_cli.py make DIR                     creates the corpus in DIR (which must not exist)
  trees_cli.py make-plain DIR               creates the corpus a zfs-fuse file system can hold (no xattrs, no ACLs)
  trees_cli.py snapshot DIR OUT.json        records what a restore must reproduce, plus each sparse file's data extents
  trees_cli.py compare OUT.json DIR         prints every difference (one per line) and exits 1 if there is any;
                                            a sparse file must come back with no more allocated than its data extents + 64 KiB
  trees_cli.py catalog-names DIR            prints a JSON list of every entry under DIR as the catalog must hold it,
                                            sorted by name: name (relative, directories ending in /), mode, uid, gid,
                                            size, mtime (seconds); in names names that are not UTF-8 with each such byte
                                            as U+F700 + byte, and so each byte of a U+F700..U+F7FF character (the
                                            escape ARCHITECTURE.md describes; written here again so the test does not
                                            take the product's word for it)
"""
import json
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from trees import allocated, diff, make_corpus, plain_corpus, snapshot  # noqa: E402


def encode(tree):
    return {os.fsdecode(k) if isinstance(k, bytes) else k: v for k, v in tree.items()}


def data_bytes(path):
    """Bytes in the file's data extents (SEEK_DATA/SEEK_HOLE): what a sparse copy must allocate. Not st_blocks, which
    zfs-fuse reports as 1 for every file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size, pos, total = os.fstat(fd).st_size, 0, 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break  # no data after pos
            end = os.lseek(fd, start, os.SEEK_HOLE)
            total, pos = total + end - start, end
        return total
    finally:
        os.close(fd)


def allocations(root):
    b = os.fsencode(root)
    out = {}
    for dirpath, _, filenames in os.walk(b):
        for name in filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode) and (data := data_bytes(path)) < st.st_size:
                out[os.fsdecode(os.path.relpath(path, b))] = data
    return out


def catalog_name(raw):
    out = []
    for c in raw.decode("utf-8", "surrogateescape"):
        code = ord(c)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(chr(0xF700 + code - 0xDC00))
        elif 0xF700 <= code <= 0xF7FF:
            out.extend(chr(0xF700 + b) for b in c.encode("utf-8"))
        else:
            out.append(c)
    return "".join(out)


def catalog_names(root):
    b = os.fsencode(root)
    names = []
    for dirpath, dirnames, filenames in os.walk(b):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            is_dir = os.path.isdir(path) and not os.path.islink(path)
            st = os.lstat(path)
            names.append({"name": catalog_name(os.path.relpath(path, b)) + ("/" if is_dir else ""), "mode": st.st_mode,
                          "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size, "mtime": int(st.st_mtime)})
    return sorted(names, key=lambda e: e["name"])


def jsonable(value):
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {os.fsdecode(k) if isinstance(k, bytes) else k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def report(problems):
    """Prints each problem on its own line; the exit code: 1 if there is any."""
    for p in problems:
        print(p)
    return 1 if problems else 0


def main(argv):
    if argv[0] == "make":
        make_corpus(argv[1])
    elif argv[0] == "make-plain":
        plain_corpus(argv[1])
    elif argv[0] == "snapshot":
        with open(argv[2], "w") as f:
            json.dump({"tree": jsonable(snapshot(argv[1])), "sparse": allocations(argv[1])}, f)
    elif argv[0] == "compare":
        expected = json.load(open(argv[1]))
        actual = {"tree": jsonable(snapshot(argv[2])), "sparse": allocations(argv[2])}
        problems = diff(expected["tree"], actual["tree"])
        for name, bytes_ in expected["sparse"].items():
            got = allocated(os.path.join(os.fsencode(argv[2]), os.fsencode(name)))
            if got > bytes_ + 65536:
                problems.append("not sparse: %r has %d bytes allocated, the original %d" % (name, got, bytes_))
        return report(problems)
    elif argv[0] == "catalog-names":
        json.dump(catalog_names(argv[1]), sys.stdout, indent=1)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
