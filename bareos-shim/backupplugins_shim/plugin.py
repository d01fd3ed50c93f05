# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's job state: each Bareos callback becomes at most one host call; data goes to the core by fd.

No backup logic lives here. What the shim does itself is what only the file-daemon side can do: fill
Bareos packets, open the descriptors handed to the core, and replay the host's job messages.
"""
import collections
import errno
import os
import socket
import threading

from . import VERSION, messages as m, options as opts, wire
from .h2client import Channel, RpcError

BATCH = 512
FO_SPARSE_BYTE, FO_SPARSE_BIT = 0, 1 << 5


class Shim:
    def __init__(self, fd):
        self.fd = fd
        self.options = {}
        self.channel = None
        self.session = None
        self.timeout = opts.DEFAULT_TIMEOUT
        self.queue = collections.deque()
        self.more = True
        self.item = None
        self.io = None
        self.restore = None
        self.cmd = b""
        self.last_definition = None
        self.cancelled = False
        self.started = False
        self.in_core = hasattr(fd, "iostat_do_in_core")
        self.lock = threading.Lock()

    # ---- helpers -------------------------------------------------------------------------------

    def call(self, name, schema_in, schema_out, request, timeout=None):
        payload = wire.encode(schema_in, request)
        reply = wire.decode(schema_out, self.channel.unary(m.SERVICE + name, payload, timeout or self.timeout))
        for message in reply.get("messages", ()):
            self.fd.JobMessage(message["severity"] or self.fd.M_INFO, message["text"] + "\n")
        return reply

    def fatal(self, text):
        self.fd.JobMessage(self.fd.M_FATAL, "backupplugins: %s\n" % text)
        return self.fd.bRC_Error

    def error(self, text):
        self.fd.JobMessage(self.fd.M_ERROR, "backupplugins: %s\n" % text)

    def job_info(self):
        get = self.fd.GetValue
        fd = self.fd

        def text(var):
            value = get(var)
            return value if isinstance(value, str) else ""

        def letter(var):
            value = get(var)
            return chr(value) if isinstance(value, int) and value > 0 else ""

        return {
            "job_id": get(fd.bVarJobId) or 0, "job_name": text(fd.bVarJobName), "level": letter(fd.bVarLevel),
            "type": letter(fd.bVarType), "since_time": get(fd.bVarSinceTime) or 0, "accurate": bool(get(fd.bVarAccurate)),
            "where": text(fd.bVarWhere), "regex_where": text(fd.bVarRegexWhere), "client": text(fd.bVarClient),
            "fd_version": text(fd.bVarVersion),
        }

    def close(self):
        self.close_io()
        if self.channel is not None:
            self.channel.close()
            self.channel = None

    def close_io(self):
        io, self.io = self.io, None
        if io is None:
            return
        if io.get("sock") is not None:
            io["sock"].close()
        elif io.get("fd") is not None:
            try:
                os.close(io["fd"])
            except OSError:
                pass

    # ---- load and options ----------------------------------------------------------------------

    def load(self, plugindef):
        opts.parse(plugindef, self.options)
        self.timeout = opts.timeout(self.options)
        path = self.options.get("socket", opts.DEFAULT_SOCKET)
        try:
            self.channel = Channel(path, connect_timeout=opts.LOAD_TIMEOUT)
            reply = self.call("LoadPlugin", m.LoadPluginRequest, m.LoadPluginResponse, {
                "job": self.job_info(), "plugin_definition": plugindef.encode("utf-8"), "shim_version": VERSION,
                "io_in_core": self.in_core,
            }, timeout=opts.LOAD_TIMEOUT)
        except RpcError as e:
            self.close()
            return self.fatal("cannot start: %s (socket=%s)" % (e.detail, path))
        self.session = reply["session"]
        self.last_definition = plugindef
        fd = self.fd
        fd.RegisterEvents([fd.bEventJobEnd, fd.bEventEndBackupJob, fd.bEventEndRestoreJob, fd.bEventStartBackupJob,
                           fd.bEventCancelCommand, fd.bEventEndFileSet, fd.bEventStartRestoreJob])
        return fd.bRC_OK

    def parse_definition(self, plugindef):
        if plugindef == self.last_definition:
            return self.fd.bRC_OK  # first value wins: the same string again changes nothing
        self.last_definition = plugindef
        opts.parse(plugindef, self.options)
        self.call("ParsePluginDefinition", m.ParsePluginDefinitionRequest, m.PluginReply,
                  {"session": self.session, "plugin_definition": plugindef.encode("utf-8")})
        return self.fd.bRC_OK

    # ---- events ----------------------------------------------------------------------------------

    def event(self, event):
        fd = self.fd
        if event == fd.bEventCancelCommand:
            return self.cancel()
        if self.channel is None:
            return fd.bRC_OK
        if event == fd.bEventStartBackupJob:
            return self.start(m.EVENT_START_BACKUP_JOB)
        if event in (fd.bEventEndBackupJob, fd.bEventEndRestoreJob, fd.bEventJobEnd):
            code = {fd.bEventEndBackupJob: m.EVENT_END_BACKUP_JOB, fd.bEventEndRestoreJob: m.EVENT_END_RESTORE_JOB}.get(event, m.EVENT_JOB_END)
            try:
                if self.restore is not None:
                    self.end_restore_file()
                self.call("HandlePluginEvent", m.HandlePluginEventRequest, m.PluginReply,
                          {"session": self.session, "event": code})
            except RpcError as e:
                self.error("ending the job: %s" % e.detail)
            finally:
                self.close()
        return fd.bRC_OK

    def start(self, event):
        self.started = True
        try:
            self.call("HandlePluginEvent", m.HandlePluginEventRequest, m.PluginReply,
                      {"session": self.session, "event": event, "job": self.job_info()})
        except RpcError as e:
            return self.fatal(e.detail)
        return self.fd.bRC_OK

    def cancel(self):
        """Runs on the director-command thread: cut the data and control sockets; the host cleans up."""
        self.cancelled = True
        io = self.io
        if io is not None and io.get("sock") is not None:
            try:
                io["sock"].shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        channel = self.channel
        if channel is not None:
            channel.abort()
        return self.fd.bRC_OK

    # ---- backup ----------------------------------------------------------------------------------

    def start_backup_file(self, sp):
        fd = self.fd
        if not self.started and self.start(m.EVENT_ESTIMATE_COMMAND) != fd.bRC_OK:
            return fd.bRC_Error  # an estimate: python never sees StartBackupJob
        while True:
            if not self.queue and self.more:
                try:
                    reply = self.call("StartBackupFile", m.StartBackupFileRequest, m.StartBackupFileResponse,
                                      {"session": self.session, "max_files": BATCH, "flags": bytes(sp.flags or b"")})
                except RpcError as e:
                    return self.fatal(e.detail)
                self.queue.extend(reply["items"])
                self.more = reply["more"]
            if not self.queue:
                self.item = None
                return fd.bRC_Stop
            entry = self.queue.popleft()
            if entry["error"] is not None:
                err = entry["error"]
                self.error("%s not saved: %s" % (err["fname"].decode("utf-8"), err["reason"]))
                continue
            item = entry["file"]
            self.item = item
            self.fill(sp, item)
            return fd.bRC_OK

    def fill(self, sp, item):
        st = item["stat"]
        sp.fname = item["fname"].decode("utf-8")
        if item["link"]:
            sp.link = item["link"].decode("utf-8")
        sp.type = item["type"]
        sp.no_read = item["no_read"]
        sp.statp = self.fd.StatPacket(
            dev=st["dev"] & 0xFFFFFFFF, ino=st["ino"], mode=st["mode"], nlink=min(st["nlink"], 0xFFFF), uid=st["uid"],
            gid=st["gid"], rdev=st["rdev"], size=st["size"], atime=st["atime"], mtime=st["mtime"], ctime=st["ctime"],
            blksize=st["blksize"], blocks=st["blocks"])

    def end_backup_file(self):
        self.close_io()
        self.item = None
        return self.fd.bRC_More if (self.queue or self.more) else self.fd.bRC_OK

    def get_acl(self, acl):
        if self.item is not None and self.item["acl"]:
            acl.content = bytearray(self.item["acl"])
        return self.fd.bRC_OK

    def get_xattr(self, xattr):
        item = self.item
        if item is None:
            return self.fd.bRC_OK
        pending = item.setdefault("_xattrs", collections.deque(item["xattrs"]))
        if not pending:
            return self.fd.bRC_OK
        x = pending.popleft()
        xattr.name = bytearray(x["name"])
        xattr.value = bytearray(x["value"])
        return self.fd.bRC_More if pending else self.fd.bRC_OK

    def check_file(self, fname):
        try:
            reply = self.call("CheckFile", m.CheckFileRequest, m.CheckFileResponse,
                              {"session": self.session, "fname": fname.encode("utf-8")})
        except RpcError as e:
            self.error("check_file %s: %s" % (fname, e.detail))
            return self.fd.bRC_Seen  # never record a deletion we are not sure of
        return self.fd.bRC_Seen if reply["seen"] else self.fd.bRC_OK

    # ---- restore ---------------------------------------------------------------------------------

    def start_restore_file(self, cmd):
        self.cmd = cmd.encode("utf-8")
        return self.fd.bRC_OK

    def create_file(self, rp):
        fd = self.fd
        st = rp.statp
        stat = {} if st is None else {
            "dev": st.st_dev, "ino": st.st_ino, "mode": st.st_mode, "nlink": st.st_nlink, "uid": st.st_uid,
            "gid": st.st_gid, "rdev": st.st_rdev, "size": st.st_size, "atime": st.st_atime, "mtime": st.st_mtime,
            "ctime": st.st_ctime, "blksize": st.st_blksize, "blocks": st.st_blocks,
        }
        ofname = (rp.ofname or "").encode("utf-8")
        try:
            reply = self.call("CreateFile", m.CreateFileRequest, m.CreateFileResponse, {
                "session": self.session, "cmd": self.cmd, "ofname": ofname, "olname": (rp.olname or "").encode("utf-8"),
                "type": rp.type, "stat": stat, "replace": rp.replace, "where": rp.where or "",
                "regex_where": rp.regexwhere or "", "file_index": rp.file_index,
            })
        except RpcError as e:
            if e.code in (1, 4, 14):
                rp.create_status = fd.CF_ERROR
                return self.fatal("restoring %s: %s" % (rp.ofname, e.detail))
            self.error(e.detail)
            rp.create_status = fd.CF_ERROR
            return fd.bRC_OK
        rp.create_status = reply["status"]
        self.restore = {"ofname": ofname, "open_path": reply["open_path"], "xattrs": [], "acl": b"", "data_ok": True}
        return fd.bRC_OK

    def set_file_attributes(self, rp):
        return self.fd.bRC_OK  # runs before IO_CLOSE: the host applies attributes in end_restore_file

    def set_acl(self, acl):
        if self.restore is not None:
            self.restore["acl"] = bytes(acl.content or b"")
        return self.fd.bRC_OK

    def set_xattr(self, xattr):
        if self.restore is not None:
            self.restore["xattrs"].append({"name": bytes(xattr.name), "value": bytes(xattr.value)})
        return self.fd.bRC_OK

    def end_restore_file(self):
        state, self.restore = self.restore, None
        self.close_io()
        if state is None:
            return self.fd.bRC_OK
        try:
            self.call("EndRestoreFile", m.EndRestoreFileRequest, m.PluginReply, {
                "session": self.session, "ofname": state["ofname"], "xattrs": state["xattrs"], "acl": state["acl"],
                "data_ok": state["data_ok"],
            })
        except RpcError as e:
            if e.code in (1, 4, 14):
                return self.fatal(e.detail)
            self.error(e.detail)
        return self.fd.bRC_OK

    # ---- plugin_io -------------------------------------------------------------------------------

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
            elif func == fd.IO_CLOSE:
                return self.io_close(iop)
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
        self.close_io()
        if self.restore is not None:
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
        if item["data_path"] == m.DATA_PATH_SOCKET:
            return self.open_socket(iop, item)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            handle = os.open(item["open_path"] or item["fname"], flags | os.O_NOATIME)
        except PermissionError:
            handle = os.open(item["open_path"] or item["fname"], flags)
        self.io = {"fd": handle, "kind": "path"}
        self.hand_over(iop, handle)
        return fd.bRC_OK

    def open_socket(self, iop, item):
        reply = self.call("FileOpen", m.FileOpenRequest, m.FileOpenResponse,
                          {"session": self.session, "fname": item["fname"], "flags": iop.flags, "mode": iop.mode})
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(opts.LOAD_TIMEOUT)
            sock.connect(reply["data_socket"])
            sock.sendall(reply["token"])
            sock.settimeout(None)
        except OSError:
            sock.close()
            raise
        self.io = {"fd": sock.fileno(), "sock": sock, "token": reply["token"], "kind": "socket"}
        self.hand_over(iop, sock.fileno())
        return self.fd.bRC_OK

    def io_close(self, iop):
        fd = self.fd
        io = self.io
        iop.status = 0
        if io["kind"] == "path" and self.item is not None:
            st = os.fstat(io["fd"])
            want = self.item["stat"]
            if st.st_size != want["size"] or int(st.st_mtime) != want["mtime"]:
                self.error("%s changed while it was being backed up (size %d, now %d); the saved copy may be inconsistent"
                           % (self.item["fname"].decode("utf-8"), want["size"], st.st_size))
        self.close_io()
        if io["kind"] == "socket":
            try:
                reply = self.call("FileClose", m.FileCloseRequest, m.FileCloseResponse,
                                  {"session": self.session, "token": io["token"]})
            except RpcError as e:
                iop.status = -1
                return self.fatal("%s: cannot confirm its data stream: %s" % (self.item["fname"].decode("utf-8"), e.detail))
            if not reply["complete"]:
                iop.status = -1
                return self.fatal("%s: data stream incomplete after %d bytes: %s"
                                  % (self.item["fname"].decode("utf-8"), reply["bytes"], reply["error"]))
        return fd.bRC_OK
