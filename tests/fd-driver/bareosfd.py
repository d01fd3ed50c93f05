# SPDX-License-Identifier: AGPL-3.0-or-later
"""A stand-in for the `bareosfd` extension module of Bareos 25 python3-fd (API >= 20), for the FD driver.

Constants, packet classes and module functions follow core/src/plugins/filed/python/module/bareosfd.cc and
the recorded traces in shared/fixtures/bareos-fd-trace. The driver (fdcore.py) sets `_core` before a job.
"""
import time

bRC_OK, bRC_Stop, bRC_Error, bRC_More, bRC_Term, bRC_Seen, bRC_Core, bRC_Skip, bRC_Cancel = 0, 1, 2, 3, 4, 5, 6, 7, 8
bRCs = {b"bRC_OK": 0, b"bRC_Stop": 1, b"bRC_Error": 2, b"bRC_More": 3, b"bRC_Term": 4, b"bRC_Seen": 5,
        b"bRC_Core": 6, b"bRC_Skip": 7, b"bRC_Cancel": 8}
(bEventJobStart, bEventJobEnd, bEventStartBackupJob, bEventEndBackupJob, bEventStartRestoreJob, bEventEndRestoreJob,
 bEventStartVerifyJob, bEventEndVerifyJob, bEventBackupCommand, bEventRestoreCommand, bEventEstimateCommand,
 bEventLevel, bEventSince, bEventCancelCommand, bEventRestoreObject, bEventEndFileSet, bEventPluginCommand,
 bEventOptionPlugin, bEventHandleBackupFile, bEventNewPluginOptions) = range(1, 21)
bVarJobId, bVarFDName, bVarLevel, bVarType, bVarClient, bVarJobName, bVarJobStatus, bVarSinceTime, bVarAccurate = range(1, 10)
bVarFileSeen, bVarVssClient, bVarWorkingDir, bVarWhere, bVarRegexWhere, bVarExePath, bVarVersion = range(10, 17)
bVarDistName, bVarPrevJobName, bVarPrefixLinks, bVarCheckChanges, bVarUsedConfig = range(17, 22)
M_ABORT, M_DEBUG, M_FATAL, M_ERROR, M_WARNING, M_INFO, M_SAVED, M_NOTSAVED, M_SKIPPED = range(1, 10)
(FT_LNKSAVED, FT_REGE, FT_REG, FT_LNK, FT_DIREND, FT_SPEC, FT_NOACCESS, FT_NOFOLLOW, FT_NOSTAT, FT_NOCHG,
 FT_DIRNOCHG) = range(1, 12)
FT_FIFO, FT_DIRBEGIN, FT_DELETED, FT_RESTORE_FIRST = 17, 18, 23, 25
CF_SKIP, CF_ERROR, CF_EXTRACT, CF_CREATED, CF_CORE = 1, 2, 3, 4, 5
IO_OPEN, IO_READ, IO_WRITE, IO_CLOSE, IO_SEEK = 1, 2, 3, 4, 5
iostat_error, iostat_do_in_plugin, iostat_do_in_core = -1, 0, 1
L_FULL, L_INCREMENTAL, L_DIFFERENTIAL = "F", "I", "D"

_core = None  # set by fdcore: GetValue/SetValue/JobMessage/RegisterEvents go there

_U16, _U32, _U64, _S64 = (0, 0xFFFF), (0, 0xFFFFFFFF), (0, 2 ** 64 - 1), (-2 ** 63, 2 ** 63 - 1)
_STAT_TYPES = {"st_dev": _U32, "st_ino": _U64, "st_mode": _U16, "st_nlink": _U16, "st_uid": _U32, "st_gid": _U32,
               "st_rdev": _U32, "st_size": _U64, "st_atime": _S64, "st_mtime": _S64, "st_ctime": _S64,
               "st_blksize": _U64, "st_blocks": _U64}


_STAT_ARGS = ("dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "atime", "mtime", "ctime", "blksize", "blocks")


class StatPacket:
    """Integer fields only, as the C members (T_USHORT/T_UINT/T_ULONGLONG/T_LONG) require; floats raise TypeError.
    Arguments by name, or positional in the C constructor's order (_STAT_ARGS; checked against Bareos 25.1's)."""

    def __init__(self, *args, **kw):
        if len(args) > len(_STAT_ARGS):
            raise TypeError("function takes at most 13 arguments (%d given)" % len(args))
        now = int(time.time())
        defaults = {"dev": 0, "ino": 0, "mode": 0o700 | 0o100000, "nlink": 0, "uid": 0, "gid": 0, "rdev": 0,
                    "size": -1, "atime": now, "mtime": now, "ctime": now, "blksize": 4096, "blocks": 1}
        for key in kw:
            if key not in defaults:
                raise TypeError("StatPacket() got an unexpected keyword argument '%s'" % key)
        defaults.update(zip(_STAT_ARGS, args))
        defaults.update(kw)
        for key, value in defaults.items():
            setattr(self, "st_" + key, value)

    def __setattr__(self, name, value):
        if name in _STAT_TYPES:
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError("%s must be an integer, not %s" % (name, type(value).__name__))
            lo, hi = _STAT_TYPES[name]
            if name == "st_size" and value == -1:
                value = 2 ** 64 - 1
            if not lo <= value <= hi:
                raise OverflowError("%s=%d does not fit the C field" % (name, value))
        object.__setattr__(self, name, value)


class SavePacket:
    @property
    def no_read(self):
        return self._no_read

    @no_read.setter
    def no_read(self, value):
        if not isinstance(value, bool):
            raise TypeError("attribute value type must be bool")  # a T_BOOL member, as in Bareos 25.1
        self._no_read = value

    def __init__(self, cmd, flags):
        self.fname = ""
        self.link = ""
        self.statp = None
        self.type = 0
        self.flags = bytearray(flags)
        self.no_read = False
        self.portable = True
        self.accurate_found = False
        self.cmd = cmd
        self.save_time = 0
        self.delta_seq = 0
        self.object_name = None
        self.object = None
        self.object_len = 0
        self.object_index = 0


class IoPacket:
    def __init__(self, func, **kw):
        self.func = func
        self.count = 0
        self.flags = 0
        self.mode = 0
        self.buf = None
        self.fname = None
        self.status = 0
        self.io_errno = 0
        self.lerror = 0
        self.win32 = False
        self.whence = 0
        self.offset = 0
        self.filedes = -1
        for k, v in kw.items():
            setattr(self, k, v)


class RestorePacket:
    def __init__(self, **kw):
        self.stream = 1
        self.data_stream = 2
        self.type = 0
        self.file_index = 0
        self.linkFI = 0
        self.uid = 0
        self.statp = None
        self.attrEX = ""
        self.ofname = ""
        self.olname = ""
        self.where = ""
        self.regexwhere = None
        self.replace = ord("a")
        self.create_status = CF_ERROR
        self.filedes = -1
        for k, v in kw.items():
            setattr(self, k, v)


class AclPacket:
    def __init__(self, fname, content=None):
        self.fname = fname
        self.content = content


class XattrPacket:
    def __init__(self, fname, name=None, value=None):
        self.fname = fname
        self.name = name
        self.value = value


def GetValue(var):
    return _core.get_value(var)


def SetValue(var, value):
    return _core.set_value(var, value)


def JobMessage(kind, msg):
    _core.job_message(kind, msg)


def DebugMessage(level, msg):
    _core.debug_message(level, msg)


def RegisterEvents(events):
    _core.register_events(events)
    return bRC_OK


def UnRegisterEvents(events):
    return bRC_OK


def GetInstanceCount():
    return 1
