# SPDX-License-Identifier: AGPL-3.0-or-later
"""Benchmark baseline: an in-process python3-fd plugin that walks `path=` itself and hands each file to the
core (io-in-core), with no host. The difference to our shim + host is the price of the RPC design."""
import collections
import os
import stat

import bareosfd as fd

state = {"queue": None, "path": None, "fd": None}


def _walk(root):
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            yield os.path.join(dirpath, name)


def load_bareos_plugin(plugindef):
    fd.RegisterEvents([fd.bEventStartBackupJob])
    return fd.bRC_OK


def parse_plugin_definition(plugindef):
    for part in plugindef.split(":"):
        if part.startswith("path="):
            state["path"] = part[5:]
    return fd.bRC_OK


def handle_plugin_event(event):
    if event == fd.bEventStartBackupJob:
        state["queue"] = _walk(state["path"])
        state["next"] = next(state["queue"], None)
    return fd.bRC_OK


def start_backup_file(sp):
    path = state["next"]
    if path is None:
        return fd.bRC_Stop
    st = os.lstat(path)
    sp.fname = path
    sp.type = fd.FT_REG
    sp.statp = fd.StatPacket(dev=st.st_dev, ino=st.st_ino, mode=st.st_mode, nlink=st.st_nlink, uid=st.st_uid,
                             gid=st.st_gid, size=st.st_size, atime=int(st.st_atime), mtime=int(st.st_mtime),
                             ctime=int(st.st_ctime), blksize=st.st_blksize, blocks=st.st_blocks)
    state["next"] = next(state["queue"], None)
    return fd.bRC_OK


def end_backup_file():
    return fd.bRC_More if state["next"] is not None else fd.bRC_OK


def plugin_io(iop):
    if iop.func == fd.IO_OPEN:
        state["fd"] = os.open(iop.fname, os.O_RDONLY)
        iop.filedes = state["fd"]
        iop.status = fd.iostat_do_in_core
    elif iop.func == fd.IO_CLOSE:
        os.close(state["fd"])
    return fd.bRC_OK


def get_acl(acl):
    return fd.bRC_OK


def get_xattr(xattr):
    return fd.bRC_OK
