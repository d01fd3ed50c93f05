# SPDX-License-Identifier: AGPL-3.0-or-later
"""Restore callbacks: the host creates entries; metadata is collected and sent once the data is closed."""
from . import messages as m
from .entries import pack_stat
from .h2client import RpcError


class RestoreCallbacks:
    def start_restore_file(self, cmd):
        self.cmd = cmd.encode("utf-8")
        return self.fd.bRC_OK

    def create_file(self, rp):
        fd = self.fd
        ofname = (rp.ofname or "").encode("utf-8")
        try:
            reply = self.call("CreateFile", m.CreateFileRequest, m.CreateFileResponse, {
                "session": self.session, "cmd": self.cmd, "ofname": ofname, "olname": (rp.olname or "").encode("utf-8"),
                "type": rp.type, "stat": pack_stat(rp.statp), "replace": rp.replace, "where": rp.where or "",
                "regex_where": rp.regexwhere or "", "file_index": rp.file_index,
                "where_unset": rp.where is None and rp.regexwhere is None,  # a regexwhere restore (Bareos 25.1)
            })
        except RpcError as e:
            if e.code in (1, 4, 9, 14):  # cancelled, deadline, the restore could not be prepared, host gone
                rp.create_status = fd.CF_ERROR
                return self.fatal("restoring %s: %s" % (rp.ofname, e.detail))
            self.error(e.detail)
            rp.create_status = fd.CF_ERROR
            return fd.bRC_OK
        rp.create_status = reply["status"]
        self.restore = {"ofname": ofname, "open_path": reply["open_path"], "data_path": reply["data_path"],
                        "xattrs": [], "acl": b"", "data_ok": True}
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

