# SPDX-License-Identifier: AGPL-3.0-or-later
"""plugin_io: descriptors for the file daemon's core (io-in-core), or plugin reads/writes before Bareos 22."""
import errno
import os
import socket

from . import messages as m, options as opts
from .entries import MTIME, SIZE
from .h2client import RpcError

_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_NOATIME = _READ | os.O_NOATIME


class DataCallbacks:
    def plugin_io(self, iop):
        fd = self.fd
        func = iop.func
        try:
            if func == fd.IO_OPEN:
                return self.io_open(iop)
            io = self.io
            if io is None:
                iop.status = -1
                iop.io_errno = errno.EBADF
                return fd.bRC_Error
            if func == fd.IO_CLOSE:
                return self.io_close(iop, io)
            if func == fd.IO_READ:
                data = os.read(io["fd"], iop.count)
                iop.buf = bytearray(data)
                iop.status = len(data)
            elif func == fd.IO_WRITE:
                view = memoryview(iop.buf)[:iop.count]
                while view:
                    view = view[os.write(io["fd"], view):]
                iop.status = iop.count
            elif func == fd.IO_SEEK:
                iop.status = os.lseek(io["fd"], iop.offset, iop.whence)
            return fd.bRC_OK
        except OSError as e:
            iop.status = -1
            iop.io_errno = e.errno or errno.EIO
            if self.restore is not None:
                self.restore["data_ok"] = False
            return fd.bRC_Error

    def hand_over(self, iop, handle):
        if self.in_core:
            iop.filedes = handle
            iop.status = self.fd.iostat_do_in_core
        else:
            iop.status = 0

    def io_open(self, iop):
        fd = self.fd
        if self.io is not None:
            self.close_io()
        if self.restore is not None:
            if self.restore["data_path"] == m.DATA_PATH_SOCKET:
                return self.open_socket(iop, self.restore["ofname"])
            path = self.restore["open_path"] or self.restore["ofname"]
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            self.io = {"fd": handle, "kind": "restore"}
            self.hand_over(iop, handle)
            return fd.bRC_OK
        item = self.item
        if item is None:
            iop.status = -1
            iop.io_errno = errno.ENOENT
            return fd.bRC_Error
        if item.data_path == m.DATA_PATH_SOCKET:
            return self.open_socket(iop, item.fname)
        path = item.open_path or item.fname
        try:
            handle = os.open(path, _READ_NOATIME)
        except PermissionError:
            handle = os.open(path, _READ)
        self.io = {"fd": handle, "kind": "path"}
        if self.in_core:  # hand_over(), inline: this runs for every file of every backup
            iop.filedes = handle
            iop.status = fd.iostat_do_in_core
        else:
            iop.status = 0
        return fd.bRC_OK

    def open_socket(self, iop, fname):
        """A data connection: the host writes the entry into it (backup) or drains it (restore)."""
        reply = self.call("FileOpen", m.FileOpenRequest, m.FileOpenResponse,
                          {"session": self.session, "fname": fname, "flags": iop.flags, "mode": iop.mode})
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(opts.LOAD_TIMEOUT)
            sock.connect(reply["data_socket"])
            sock.sendall(reply["token"])
            sock.settimeout(None)
        except OSError:
            sock.close()
            raise
        self.io = {"fd": sock.fileno(), "sock": sock, "token": reply["token"], "kind": "socket", "fname": fname}
        self.hand_over(iop, sock.fileno())
        return self.fd.bRC_OK

    def io_close(self, iop, io):
        fd = self.fd
        iop.status = 0
        kind = io["kind"]
        if kind == "path":
            handle = io["fd"]
            item = self.item
            if item is not None:
                st = os.fstat(handle)
                stat = item.stat
                if st.st_size != stat[SIZE] or st.st_mtime_ns // 1_000_000_000 != stat[MTIME]:
                    self.changed_while_read(item, st)
            self.io = None
            try:
                os.close(handle)
            except OSError:
                pass
            return fd.bRC_OK
        if kind == "socket" and self.restore is not None:
            try:
                io["sock"].shutdown(socket.SHUT_WR)  # end of data: the host drains to EOF
            except OSError:
                pass
        self.close_io()
        if kind == "socket":
            return self.confirm_stream(iop, io)
        return fd.bRC_OK

    def changed_while_read(self, item, st):
        size = item.stat[SIZE]
        what = "size %d, now %d" % (size, st.st_size) if st.st_size != size else "modified while it was read"
        self.error("%s changed while it was being backed up (%s); the saved copy may be inconsistent"
                   % (item.fname.decode("utf-8"), what))

    def confirm_stream(self, iop, io):
        """The core takes an early EOF for the end of a file: only the host knows whether the stream was whole."""
        name = io["fname"].decode("utf-8")
        try:
            reply = self.call("FileClose", m.FileCloseRequest, m.FileCloseResponse,
                              {"session": self.session, "token": io["token"]})
            text = "%s: data stream incomplete after %d bytes: %s" % (name, reply["bytes"], reply["error"])
        except RpcError as e:
            reply = {"complete": False}
            text = "%s: data stream not confirmed: %s" % (name, e.detail)
        if reply["complete"]:
            return self.fd.bRC_OK
        iop.status = -1
        if self.restore is not None:
            self.restore["data_ok"] = False
            self.error(text)  # one file of a restore failed; the others go on
            return self.fd.bRC_Error
        return self.fatal(text)
