# SPDX-License-Identifier: AGPL-3.0-or-later
"""A file daemon's backup loop in this process, for measuring the shim alone: Bareos 25.1's own `bareosfd` module
supplies the packet types (C, as in a real file daemon), a stub the functions that need a running daemon.

The calls per entry are those of a real Bareos 25.1 (shared/spec/bareos-fd-observed.md): start_backup_file; on an
Incremental the core's change check (mtime and ctime before since: nothing more); else plugin_io IO_OPEN and
IO_CLOSE unless no_read (the core reads the descriptor itself: nothing is read here), get_acl unless a symlink,
get_xattr until it stops answering bRC_More; end_backup_file. The loop's own cost is measured with a plugin that
does nothing and taken out.
"""
import os
import subprocess
import sys
import time
import types

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FLAGS = bytes.fromhex("00c0000802")  # FO_ACL | FO_NO_HARDLINK | FO_XATTR | FO_XXH128, as the recorded traces


def real_bareosfd():
    """Bareos 25.1's bareosfd module, found as the real-Bareos tier finds the file daemon ($BAREOS_PREFIX, Debian's
    packages, else the shared tarball unpacked under .run/bareos-25.1.0/); None if there is none."""
    candidates = [os.path.join(os.environ["BAREOS_PREFIX"], "lib", "bareos", "plugins")] if os.environ.get("BAREOS_PREFIX") else []
    candidates.append("/usr/lib/bareos/plugins")
    tree = os.path.join(ROOT, ".run", "bareos-25.1.0")
    tarball = os.path.join(ROOT, "..", "shared", "bareos", "bareos-25.1.0-debian12-amd64.tar.zst")
    if not os.path.isdir(os.path.join(tree, "bareos")) and os.path.exists(tarball):
        os.makedirs(tree, exist_ok=True)
        subprocess.run(["tar", "-I", "zstd", "-xf", tarball, "-C", tree], check=True)
    candidates.append(os.path.join(tree, "bareos", "lib", "bareos", "plugins"))
    for directory in candidates:
        if os.path.isdir(directory) and any(n.startswith("bareosfd.") and n.endswith(".so") for n in os.listdir(directory)):
            sys.path.insert(0, directory)
            import bareosfd
            return bareosfd
    return None


def fd_module(real, values):
    """The module the shim sees as `bareosfd`: the real one's types and constants, stubbed daemon functions."""
    fd = types.SimpleNamespace(**{name: getattr(real, name) for name in dir(real) if not name.startswith("_")})
    fd.messages = []
    fd.GetValue = values.get
    fd.SetValue = lambda var, value: real.bRC_OK
    fd.JobMessage = lambda kind, text: fd.messages.append((kind, text))
    fd.DebugMessage = lambda level, text: None
    fd.RegisterEvents = lambda events: real.bRC_OK
    return fd


def job_values(fd, level, since):
    return {fd.bVarJobId: 1, fd.bVarFDName: "bench-fd", fd.bVarLevel: ord(level), fd.bVarType: ord("I"),
            fd.bVarClient: "bench-fd", fd.bVarJobName: "bench", fd.bVarJobStatus: ord("R"), fd.bVarSinceTime: since,
            fd.bVarAccurate: 0, fd.bVarVersion: "25.1.0"}


def backup(plugin, fd, definition, values, level="F", since=0):
    """One job through `plugin` (a namespace with the python3-fd callbacks); returns (entries, CPU seconds of the
    save loop on this thread)."""
    assert plugin["load_bareos_plugin"](definition) == fd.bRC_OK, fd.messages
    plugin["parse_plugin_definition"](definition)
    values[fd.bVarType] = ord("B")
    assert plugin["handle_plugin_event"](fd.bEventStartBackupJob) == fd.bRC_OK, fd.messages
    plugin["parse_plugin_definition"](definition)
    incremental = level in ("I", "D")
    start_backup_file, end_backup_file, plugin_io = plugin["start_backup_file"], plugin["end_backup_file"], plugin["plugin_io"]
    get_acl, get_xattr = plugin["get_acl"], plugin["get_xattr"]
    SavePacket, IoPacket, AclPacket, XattrPacket = fd.SavePacket, fd.IoPacket, fd.AclPacket, fd.XattrPacket
    OK, Stop, More, IO_OPEN, IO_CLOSE, FT_LNK = fd.bRC_OK, fd.bRC_Stop, fd.bRC_More, fd.IO_OPEN, fd.IO_CLOSE, fd.FT_LNK
    entries = 0
    clock = time.thread_time()
    while True:
        sp = SavePacket()
        sp.flags = bytearray(FLAGS)
        rc = start_backup_file(sp)
        if rc == Stop:
            break
        assert rc == OK, fd.messages
        entries += 1
        st = sp.statp
        if not (incremental and st.st_mtime < since and st.st_ctime < since):
            if not sp.no_read:
                iop = IoPacket(func=IO_OPEN)  # more keywords: Bareos 25.1's constructor fails (a bad format string),
                iop.flags = os.O_RDONLY  # and its fname is read-only (the shim opens the entry it handed out)
                plugin_io(iop)
                plugin_io(IoPacket(func=IO_CLOSE))
            if sp.type != FT_LNK:
                get_acl(AclPacket())
            while get_xattr(XattrPacket()) == More:
                pass
        if end_backup_file() != More:
            break
    clock = time.thread_time() - clock
    values[fd.bVarJobStatus] = ord("T")
    plugin["handle_plugin_event"](fd.bEventEndBackupJob)
    plugin["handle_plugin_event"](fd.bEventJobEnd)
    return entries, clock


def null_plugin(fd, entries, stat):
    """Does nothing, for `entries` regular files of `stat`: what backup() costs without a plugin."""
    left = [entries]

    def start_backup_file(sp):
        if not left[0]:
            return fd.bRC_Stop
        left[0] -= 1
        sp.fname = "/x"
        sp.type = fd.FT_REG
        sp.no_read = False
        sp.statp = stat
        return fd.bRC_OK

    ok = lambda *args: fd.bRC_OK  # noqa: E731
    return {"load_bareos_plugin": ok, "parse_plugin_definition": ok, "handle_plugin_event": ok,
            "start_backup_file": start_backup_file, "end_backup_file": lambda: fd.bRC_More if left[0] else fd.bRC_OK,
            "plugin_io": ok, "get_acl": ok, "get_xattr": ok}
