# SPDX-License-Identifier: AGPL-3.0-or-later
"""The shim's job state: each Bareos callback becomes at most one host call; data goes to the core by fd.

No backup logic lives here. What the shim does itself is what only the file-daemon side can do: fill
Bareos packets, open the descriptors handed to the core, and replay the host's job messages.
"""
import collections
import os
import socket

from . import VERSION, messages as m, options as opts, wire
from .backup import BackupCallbacks
from .dataio import DataCallbacks
from .h2client import Channel, RpcError
from .restore import RestoreCallbacks


class Shim(BackupCallbacks, RestoreCallbacks, DataCallbacks):
    def __init__(self, fd, defaults=""):
        self.fd = fd
        self.defaults = defaults
        self.options = {}
        self.channel = None
        self.session = None
        self.timeout = opts.DEFAULT_TIMEOUT
        self.queue = collections.deque()
        self.more = True
        self.pending = None  # the StartBackupFile call for the next batch, started ahead (or its RpcError)
        self.alive_check = 0.0  # when start_backup_file next looks at the host's connection (time.monotonic())
        self.item = None
        self.xattr_next = 0
        self.io = None
        self.restore = None
        self.cmd = b""
        self.last_definition = None
        self.cancelled = False
        self.started = False
        self.broken = False
        self.failed_load = False
        self.had_fatal = False
        self.in_core = hasattr(fd, "iostat_do_in_core")

    # ---- helpers -------------------------------------------------------------------------------

    def call(self, name, schema_in, schema_out, request, timeout=None):
        """A host call, its reply decoded with `schema_out` and its job messages replayed."""
        payload = wire.encode(schema_in, request)
        try:
            raw = self.channel.unary(m.SERVICE + name, payload, timeout or self.timeout)
        except RpcError as e:
            self.note_failure(e)
            raise
        return self.replay(wire.decode(schema_out, raw))

    def send(self, name, schema_in, request, timeout=None):
        """Starts a call without waiting for its reply: collect() waits for it."""
        payload = wire.encode(schema_in, request)
        try:
            return self.channel.start(m.SERVICE + name, payload, timeout or self.timeout)
        except RpcError as e:
            self.note_failure(e)
            raise

    def collect(self, pending, decode):
        """The reply of a call send() started (or the RpcError it failed with), decoded by `decode(raw)`."""
        try:
            if isinstance(pending, RpcError):
                raise pending
            raw = self.channel.result(pending)
        except RpcError as e:
            self.note_failure(e)
            raise
        return self.replay(decode(raw))

    def note_failure(self, error):
        if error.code in (1, 4, 14):
            self.broken = True  # the connection is gone: the host cleans up on its side

    def replay(self, reply):
        for message in reply.get("messages", ()):
            self.fd.JobMessage(message["severity"] or self.fd.M_INFO, message["text"] + "\n")
        return reply

    def fatal(self, text):
        self.had_fatal = True
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
            "fd_version": text(fd.bVarVersion), "job_status": "f" if self.had_fatal else letter(fd.bVarJobStatus),
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
        given = plugindef
        if self.defaults:
            plugindef = plugindef + ("" if plugindef.endswith(":") or not plugindef else ":") + self.defaults
        opts.parse(plugindef, self.options)
        self.timeout = opts.timeout(self.options)
        path = self.options.get("socket", opts.DEFAULT_SOCKET)
        try:
            self.channel = Channel(path, connect_timeout=opts.LOAD_TIMEOUT)
            reply = self.call("LoadPlugin", m.LoadPluginRequest, m.LoadPluginResponse, {
                "job": self.job_info(), "plugin_definition": plugindef.encode("utf-8"), "shim_version": VERSION,
                "io_in_core": self.in_core, "protocol": m.REVISION,
            }, timeout=opts.LOAD_TIMEOUT)
        except RpcError as e:
            self.close()
            self.failed_load = True
            return self.fatal("cannot start: %s (socket=%s)" % (e.detail, path))
        self.failed_load = False
        self.session = reply["session"]
        self.last_definition = given
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
            if self.cancelled or self.broken:
                self.close()  # the host saw the connection go and has cleaned up already
                return fd.bRC_OK
            code = {fd.bEventEndBackupJob: m.EVENT_END_BACKUP_JOB, fd.bEventEndRestoreJob: m.EVENT_END_RESTORE_JOB}.get(event, m.EVENT_JOB_END)
            try:
                if self.restore is not None:
                    self.end_restore_file()
                self.call("HandlePluginEvent", m.HandlePluginEventRequest, m.PluginReply,
                          {"session": self.session, "event": code, "job": self.job_info()})
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
