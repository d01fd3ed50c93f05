# SPDX-License-Identifier: AGPL-3.0-or-later
"""Backup callbacks: entries come from the host in batches; acl/xattr are handed out from the entry."""
import collections

from . import messages as m
from .h2client import RpcError

BATCH = 512


class BackupCallbacks:
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

