# SPDX-License-Identifier: AGPL-3.0-or-later
"""Backup callbacks: entries come from the host in batches, the next one asked for while the current one is handed
out; acl/xattr are handed out from the entry. This runs for every entry of every backup: keep it lean."""
import time

from . import messages as m
from .entries import FileError, decode_start_backup_file, decode_xattr
from .h2client import RpcError

BATCH = 2048  # entries per StartBackupFile call,
BATCH_BYTES = 1 << 20  # and about this many bytes of them at most (xattrs and ACLs can be large)
AHEAD = BATCH // 2  # the next batch is asked for when this many entries are left
ALIVE_EVERY = 1.0  # seconds between looks at the host's connection while entries already here are handed out


class BackupCallbacks:
    def start_backup_file(self, sp):
        queue = self.queue
        while True:
            if not queue:
                rc = self.next_batch(sp)
                if rc is not None:
                    return rc
            now = time.monotonic()
            if now >= self.alive_check:  # a host killed while we work from entries we hold: noticed within a second
                self.alive_check = now + ALIVE_EVERY
                try:
                    self.channel.check()
                except RpcError as e:
                    return self.fatal(e.detail)
            entry = queue.popleft()
            if entry.__class__ is FileError:
                self.error("%s not saved: %s" % (entry.fname.decode("utf-8"), entry.reason))
                continue
            self.item = entry
            self.xattr_next = 0
            sp.fname = entry.fname.decode("utf-8")
            if entry.link:
                sp.link = entry.link.decode("utf-8")
            sp.type = entry.type
            sp.no_read = entry.no_read
            sp.statp = self.fd.StatPacket(*entry.stat)
            if self.pending is None and self.more and len(queue) <= AHEAD:
                self.ask(sp)
            return self.fd.bRC_OK

    def next_batch(self, sp):
        """The queue is empty: waits for the batch asked for (or asks now). A bRC to return, or None: entries came."""
        fd = self.fd
        if not self.started and self.start(m.EVENT_ESTIMATE_COMMAND) != fd.bRC_OK:
            return fd.bRC_Error  # an estimate: python never sees StartBackupJob
        while not self.queue:
            if self.pending is None:
                if not self.more:
                    self.item = None
                    return fd.bRC_Stop
                self.ask(sp)
            pending, self.pending = self.pending, None
            try:
                reply = self.collect(pending, decode_start_backup_file)
            except RpcError as e:
                return self.fatal(e.detail)
            self.queue.extend(reply["items"])
            self.more = reply["more"]
        return None

    def ask(self, sp):
        """Starts the StartBackupFile call for the next batch; a failure is kept for when the batch is needed."""
        try:
            self.pending = self.send("StartBackupFile", m.StartBackupFileRequest, {
                "session": self.session, "max_files": BATCH, "max_bytes": BATCH_BYTES, "flags": bytes(sp.flags or b"")})
        except RpcError as e:
            self.pending = e

    def end_backup_file(self):
        if self.io is not None:
            self.close_io()
        self.item = None
        return self.fd.bRC_More if (self.queue or self.more) else self.fd.bRC_OK

    def get_acl(self, acl):
        item = self.item
        if item is not None and item.acl:
            acl.content = bytearray(item.acl)
        return self.fd.bRC_OK

    def get_xattr(self, xattr):
        item = self.item
        if item is None:
            return self.fd.bRC_OK
        xattrs = item.xattrs
        i = self.xattr_next
        if i >= len(xattrs):
            return self.fd.bRC_OK
        self.xattr_next = i + 1
        name, value = decode_xattr(xattrs[i])
        xattr.name = bytearray(name)
        xattr.value = bytearray(value)
        return self.fd.bRC_More if i + 1 < len(xattrs) else self.fd.bRC_OK

    def check_file(self, fname):
        try:
            reply = self.call("CheckFile", m.CheckFileRequest, m.CheckFileResponse,
                              {"session": self.session, "fname": fname.encode("utf-8")})
        except RpcError as e:
            self.error("check_file %s: %s" % (fname, e.detail))
            return self.fd.bRC_Seen  # never record a deletion we are not sure of
        return self.fd.bRC_Seen if reply["seen"] else self.fd.bRC_OK
