# SPDX-License-Identifier: AGPL-3.0-or-later
"""Schemas of proto/backupplugins/v1/fd_plugin.proto for the wire codec (names and numbers as in the proto)."""


def _f(number, kind, repeated=False, sub=None):
    return (number, kind, repeated, sub)


JobMessage = {"severity": _f(1, "uint"), "text": _f(2, "string")}
JobInfo = {
    "job_id": _f(1, "uint"), "job_name": _f(2, "string"), "level": _f(3, "string"), "type": _f(4, "string"),
    "since_time": _f(5, "int"), "accurate": _f(6, "bool"), "where": _f(7, "string"), "regex_where": _f(8, "string"),
    "client": _f(9, "string"), "fd_version": _f(10, "string"), "job_status": _f(11, "string"),
}
LoadPluginRequest = {
    "job": _f(1, "msg", sub=JobInfo), "plugin_definition": _f(2, "bytes"), "shim_version": _f(3, "string"),
    "io_in_core": _f(4, "bool"), "protocol": _f(5, "uint"),
    "names_as_bytes": _f(6, "bool"),  # never set by the shim: python3-fd carries text, names come escaped
    "separate_process": _f(7, "bool"),  # never set by the shim: it lives and dies with the file daemon
}
LoadPluginResponse = {"session": _f(1, "string"), "messages": _f(2, "msg", True, JobMessage)}
ParsePluginDefinitionRequest = {"session": _f(1, "string"), "plugin_definition": _f(2, "bytes")}
PluginReply = {"messages": _f(1, "msg", True, JobMessage)}
HandlePluginEventRequest = {"session": _f(1, "string"), "event": _f(2, "uint"), "job": _f(3, "msg", sub=JobInfo)}
Xattr = {"name": _f(1, "bytes"), "value": _f(2, "bytes")}
BackupFile = {
    "fname": _f(1, "bytes"), "link": _f(2, "bytes"), "type": _f(3, "uint"), "no_read": _f(5, "bool"),
    "data_path": _f(6, "uint"), "open_path": _f(7, "bytes"), "xattrs": _f(8, "msg", True, Xattr), "acl": _f(9, "bytes"),
    "sparse": _f(10, "bool"), "stat": _f(11, "bytes"),
}
RestoreObject = {"fname": _f(1, "bytes"), "object_name": _f(2, "string"), "data": _f(3, "bytes"), "index": _f(4, "uint")}
FileError = {"fname": _f(1, "bytes"), "type": _f(2, "uint"), "reason": _f(3, "string")}
BackupItem = {"file": _f(1, "msg", sub=BackupFile), "object": _f(2, "msg", sub=RestoreObject), "error": _f(3, "msg", sub=FileError)}
StartBackupFileRequest = {
    "session": _f(1, "string"), "max_files": _f(2, "uint"), "flags": _f(3, "bytes"), "max_bytes": _f(4, "uint"),
}
# Decoded by entries.decode_start_backup_file (this schema is for the schema test and for tests' scripted replies).
StartBackupFileResponse = {
    "items": _f(1, "msg", True, BackupItem), "more": _f(2, "bool"), "messages": _f(3, "msg", True, JobMessage),
}
CheckFileRequest = {"session": _f(1, "string"), "fname": _f(2, "bytes")}
CheckFileResponse = {"seen": _f(1, "bool"), "messages": _f(2, "msg", True, JobMessage)}
FileOpenRequest = {"session": _f(1, "string"), "fname": _f(2, "bytes"), "flags": _f(3, "int"), "mode": _f(4, "uint")}
FileOpenResponse = {"data_socket": _f(1, "string"), "token": _f(2, "bytes"), "messages": _f(3, "msg", True, JobMessage)}
FileCloseRequest = {"session": _f(1, "string"), "token": _f(2, "bytes")}
FileCloseResponse = {
    "bytes": _f(1, "int"), "complete": _f(2, "bool"), "error": _f(3, "string"), "messages": _f(4, "msg", True, JobMessage),
}
CreateFileRequest = {
    "session": _f(1, "string"), "cmd": _f(2, "bytes"), "ofname": _f(3, "bytes"), "olname": _f(4, "bytes"),
    "type": _f(5, "uint"), "replace": _f(7, "uint"), "where": _f(8, "string"), "regex_where": _f(9, "string"),
    "file_index": _f(10, "uint"), "where_unset": _f(11, "bool"), "stat": _f(12, "bytes"),
}
CreateFileResponse = {
    "status": _f(1, "uint"), "data_path": _f(2, "uint"), "open_path": _f(3, "bytes"), "messages": _f(4, "msg", True, JobMessage),
}
EndRestoreFileRequest = {
    "session": _f(1, "string"), "ofname": _f(2, "bytes"), "xattrs": _f(3, "msg", True, Xattr), "acl": _f(4, "bytes"),
    "data_ok": _f(5, "bool"),
}

# Enum values used by the shim.
# The protocol revision this shim speaks (enum Revision); the host refuses any but its own.
REVISION = 2  # REVISION_PACKED_STAT
EVENT_JOB_END = 2
EVENT_START_BACKUP_JOB = 3
EVENT_END_BACKUP_JOB = 4
EVENT_START_RESTORE_JOB = 5
EVENT_END_RESTORE_JOB = 6
EVENT_ESTIMATE_COMMAND = 11
EVENT_CANCEL_COMMAND = 14
EVENT_END_FILE_SET = 16
DATA_PATH_NONE = 0
DATA_PATH_PATH = 1
DATA_PATH_SOCKET = 2

SERVICE = "/backupplugins.v1.FdPlugin/"
