# SPDX-License-Identifier: AGPL-3.0-or-later
"""A plugin shaped like the one that recorded shared/fixtures/bareos-fd-trace: it backs up a_small.txt,
b_medium.bin, c_link and d_dir/ of `folder=`, reads data in the plugin, creates links and directories itself
on restore. Used only to check that the FD driver calls a plugin exactly as the real file daemon did."""
import os

import bareosfd as fd

NAMES = ["a_small.txt", "b_medium.bin", "c_link", "d_dir"]
state = {"options": {}, "queue": [], "file": None, "restore": None}


def load_bareos_plugin(plugindef):
    fd.RegisterEvents(list(range(1, 32)))
    return fd.bRC_OK


def parse_plugin_definition(plugindef):
    for part in plugindef.split(":"):
        if "=" in part:
            k, v = part.split("=", 1)
            state["options"].setdefault(k, v)
    return fd.bRC_OK


def handle_plugin_event(event):
    if event == fd.bEventStartBackupJob:
        omit = state["options"].get("omit", "").split(",")
        state["queue"] = [n for n in NAMES if n not in omit]
    return fd.bRC_OK


def start_backup_file(sp):
    name = state["queue"].pop(0)
    path = os.path.join(state["options"]["folder"], name)
    st = os.lstat(path)
    sp.statp = fd.StatPacket(dev=st.st_dev, ino=st.st_ino, mode=st.st_mode, nlink=st.st_nlink, uid=st.st_uid,
                             gid=st.st_gid, size=st.st_size, atime=int(st.st_atime), mtime=int(st.st_mtime),
                             ctime=int(st.st_ctime))
    if os.path.islink(path):
        sp.type, sp.fname, sp.link, sp.no_read = fd.FT_LNK, path, os.readlink(path), True
    elif os.path.isdir(path):
        sp.type, sp.fname, sp.link, sp.no_read = fd.FT_DIREND, path + "/", path + "/", True
    else:
        sp.type, sp.fname = fd.FT_REG, path
    if state["options"].get("noread") == "off":
        sp.no_read = False
    return fd.bRC_OK


def end_backup_file():
    return fd.bRC_More if state["queue"] else fd.bRC_OK


def plugin_io(iop):
    if iop.func == fd.IO_OPEN:
        if iop.flags & os.O_WRONLY:
            state["file"] = open(iop.fname, "wb")
        elif iop.fname.endswith("/") or os.path.islink(iop.fname):
            state["file"] = None
        else:
            state["file"] = open(iop.fname, "rb")
    elif iop.func == fd.IO_READ:
        data = state["file"].read(iop.count) if state["file"] else b""
        iop.buf = bytearray(data)
        iop.status = len(data)
    elif iop.func == fd.IO_WRITE:
        state["file"].write(iop.buf)
        iop.status = iop.count
    elif iop.func == fd.IO_CLOSE:
        if state["file"]:
            state["file"].close()
    return fd.bRC_OK


def start_restore_file(cmd):
    return fd.bRC_OK


def create_file(rp):
    os.makedirs(os.path.dirname(rp.ofname.rstrip("/")), exist_ok=True)
    if rp.type == fd.FT_REG:
        rp.create_status = fd.CF_EXTRACT
    elif rp.type == fd.FT_LNK:
        if os.path.lexists(rp.ofname):
            os.remove(rp.ofname)
        os.symlink(rp.olname, rp.ofname)
        rp.create_status = fd.CF_CREATED
    else:
        os.makedirs(rp.ofname, exist_ok=True)
        rp.create_status = fd.CF_CREATED
    return fd.bRC_OK


def set_file_attributes(rp):
    return fd.bRC_OK


def end_restore_file():
    return fd.bRC_OK


def check_file(fname):
    return fd.bRC_OK


def get_acl(acl):
    return fd.bRC_OK


def set_acl(acl):
    return fd.bRC_OK


def get_xattr(xattr):
    return fd.bRC_OK


def set_xattr(xattr):
    return fd.bRC_OK


def restore_object_data(rop):
    return fd.bRC_OK


def handle_backup_file(sp):
    return fd.bRC_OK
