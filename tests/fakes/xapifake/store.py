# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake's database and disks: DIR/state.json (flock'ed like tests/fakes/fakevz.py, whole-file replace on every
change), VDI contents as sparse files DIR/vdis/<vdi uuid>.img of exactly virtual_size bytes, faults in
DIR/faults.json, one JSON line per API call and HTTP request in DIR/calls.log.

state.json: {"objects": {class: {ref: record}}, "sr_config": {sr ref: {"full_error": ...}}, "users": {name: pw},
"generation": n}. Records hold every datamodel field (schema.py); Set(Ref) fields on the far side of a relation
(VM.VBDs, SR.VDIs, ...) are recomputed on every read, as XAPI's database does. session and task rows are dropped
when a master starts: XAPI does not persist them (datamodel.ml: ~persist:PersistNothing).
"""
import contextlib
import errno
import fcntl
import json
import os
import threading
import time
import uuid as uuidlib

from . import schema
from .rpc import XapiError

_log_lock = threading.Lock()


def new_uuid():
    return str(uuidlib.uuid4())


def new_ref():
    return "OpaqueRef:" + new_uuid()


def now():
    return time.strftime("%Y%m%dT%H:%M:%SZ", time.gmtime())


class State:
    def __init__(self, data, directory):
        self.data = data
        self.dir = directory
        for cls in schema.CLASSES:
            data["objects"].setdefault(cls, {})

    def objs(self, cls):
        return self.data["objects"][cls]

    def exists(self, cls, ref):
        return ref in self.data["objects"][cls]

    def get(self, cls, ref):
        """A row, or HANDLE_INVALID [class, ref] (ocaml/xapi/exnHelper.ml: DBCache_NotFound "missing row")."""
        try:
            return self.data["objects"][cls][ref]
        except (KeyError, TypeError):
            raise XapiError("HANDLE_INVALID", cls, ref)

    def add(self, cls, ref=None, **values):
        ref = ref or new_ref()
        values.setdefault("uuid", new_uuid())
        self.data["objects"][cls][ref] = schema.new_record(cls, **values)
        self.touch()
        return ref

    def remove(self, cls, ref):
        self.data["objects"][cls].pop(ref, None)
        self.touch()

    def by_uuid(self, cls, uuid):
        """The ref of a uuid, or UUID_INVALID [class, uuid] (exnHelper.ml: Read_missing_uuid)."""
        for ref, rec in self.objs(cls).items():
            if rec["uuid"] == uuid:
                return ref
        raise XapiError("UUID_INVALID", cls, uuid)

    def where(self, cls, **kv):
        return [r for r, rec in self.objs(cls).items() if all(rec.get(k) == v for k, v in kv.items())]

    def touch(self):
        self.data["generation"] = self.data.get("generation", 0) + 1

    # ---- fake-only settings ----
    def sr_config(self, sr):
        return self.data.setdefault("sr_config", {}).setdefault(sr, {})

    def vdi_path(self, vdi_uuid):
        return os.path.join(self.dir, "vdis", vdi_uuid + ".img")


class Store:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(os.path.join(directory, "vdis"), exist_ok=True)

    @contextlib.contextmanager
    def tx(self, write=True):
        """The state under the lock; written back when the block ends without an exception."""
        with open(os.path.join(self.dir, "state.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            path = os.path.join(self.dir, "state.json")
            data = json.load(open(path)) if os.path.exists(path) else {"objects": {}, "generation": 0}
            st = State(data, self.dir)
            yield st
            if write:
                write_json(path, data)

    def forget_sessions_and_tasks(self):
        with self.tx() as st:
            st.objs("session").clear()
            st.objs("task").clear()

    # ---- faults --------------------------------------------------------------------------------------------------
    def take_fault(self, key):
        """The fault for `key` (an API method name or an HTTP path), counting it down like fakevz.apply_faults:
        {"skip": N} lets N calls pass first, {"times": K} fires K times then disappears."""
        path = os.path.join(self.dir, "faults.json")
        if not os.path.exists(path):
            return None
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                faults = json.load(open(path))
            except (OSError, ValueError):
                return None
            fault = faults.get(key)
            if not fault:
                return None
            if fault.get("skip"):
                fault["skip"] -= 1
                write_json(path, faults)
                return None
            if fault.get("times") is not None:
                fault["times"] -= 1
                if fault["times"] <= 0:
                    del faults[key]
                write_json(path, faults)
            return dict(fault)

    def log_call(self, entry):
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with _log_lock, open(os.path.join(self.dir, "calls.log"), "a", encoding="utf-8") as f:
            f.write(line)


def write_json(path, value):
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1, ensure_ascii=False)
    os.replace(path + ".tmp", path)


# ---- sparse files ------------------------------------------------------------------------------------------------
def extents(fd, size):
    """[(offset, length)] of the data in a sparse file, found with SEEK_DATA/SEEK_HOLE (the whole file where the
    file system cannot tell)."""
    out, pos = [], 0
    try:
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as e:
                if e.errno == errno.ENXIO:
                    break
                raise
            if start >= size:
                break
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            out.append((start, end - start))
            pos = end
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
            raise
        return [(0, size)] if size else []
    return out


def allocated(path):
    """Bytes the file system holds for a sparse file (its data extents)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        return sum(n for _, n in extents(fd, os.fstat(fd).st_size))
    finally:
        os.close(fd)


def create_sparse(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def copy_sparse(src, dst, size):
    """dst = src, holes kept (only the data extents are copied)."""
    fi = os.open(src, os.O_RDONLY)
    try:
        with open(dst, "wb") as f:
            f.truncate(size)
            fo = f.fileno()
            for off, n in extents(fi, min(size, os.fstat(fi).st_size)):
                done = 0
                while done < n:
                    chunk = min(n - done, 4 << 20)
                    try:
                        k = os.copy_file_range(fi, fo, chunk, off + done, off + done)
                    except OSError:
                        k = 0
                    if k <= 0:
                        os.lseek(fo, off + done, os.SEEK_SET)
                        k = os.write(fo, os.pread(fi, chunk, off + done))
                    done += k
    finally:
        os.close(fi)
