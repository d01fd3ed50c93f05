# SPDX-License-Identifier: AGPL-3.0-or-later
"""lvm2_main: tools/lvmcmdline.c (the command from the program name or `lvm <command>`, lvm_return_code)."""
import os
import sys

from . import store
from .cmdline import find_command, parse_command_line, print_usage
from .log import ECMD_FAILED, ECMD_PROCESSED, EINVALID_CMD_LINE, ENO_SUCH_CMD, LOG, Exit, fail
from .lvcreate import lvcreate
from .lvremove import lvremove
from .lvs import lvs
from .options import COMMANDS
from .vgs import vgs

VERSION = "2.03.40(2)-git (2026-03-13)"
TOOLS = {"lvcreate": lvcreate, "lvremove": lvremove, "lvs": lvs, "vgs": vgs}
NOT_FAKED = {"lvdisplay", "lvchange", "lvconvert", "lvextend", "lvreduce", "lvrename", "lvresize", "lvscan",
             "pvcreate", "pvdisplay", "pvs", "pvscan", "vgchange", "vgcreate", "vgdisplay", "vgextend", "vgremove",
             "vgscan", "fullreport", "lvmconfig", "pvremove", "vgreduce", "vgrename", "pvmove", "pvchange"}


def run(argv):
    base = os.path.basename(argv[0])
    if base in ("lvm", "lvm.static"):
        if len(argv) > 1 and argv[1] == "version":
            sys.stdout.write("  LVM version:     %s\n" % VERSION)
            return 0
        if len(argv) > 1 and argv[1].startswith("-") and argv[1] not in ("-h", "--help", "-?"):
            LOG.error("Specify options after a command: lvm [command] [options].")
            return EINVALID_CMD_LINE
        if len(argv) < 2:
            LOG.error("Please supply an LVM command.")
            return EINVALID_CMD_LINE
        argv = argv[1:]
    name = os.path.basename(argv[0])
    if name not in TOOLS:
        if name in NOT_FAKED:
            LOG.error("fake lvm: %s is not faked" % name)
            return EINVALID_CMD_LINE
        LOG.error("No such command.  Try 'lvm help'.")
        return ENO_SUCH_CMD
    store.apply_fault(name)
    argv = [argv[0]] + ["-h" if a == "-?" else a for a in argv[1:]]
    try:
        args = parse_command_line(name, argv)
        if any(args.set(o) for o in ("help", "longhelp")):
            for d in COMMANDS[name]:
                print_usage(d)
            return 0
        if args.set("version"):
            sys.stdout.write("  LVM version:     %s\n" % VERSION)
            return 0
        find_command(args)
        if name in ("lvcreate", "lvremove") and args.text("reportformat", "basic") != "basic":
            fail("fake lvm: --reportformat %s is faked for lvs and vgs only" % args.text("reportformat"),
                 EINVALID_CMD_LINE)
        LOG.silent = args.count("quiet") > 1  # -qq: silent_mode()
        TOOLS[name](args)
    except Exit as e:
        return 0 if e.code == ECMD_PROCESSED else e.code
    except store.Failed as e:
        LOG.cmdlog = None
        LOG.error(str(e))
        return ECMD_FAILED
    return 0


def main():
    store.log_call(sys.argv)
    code = run(list(sys.argv))
    sys.stdout.flush()
    sys.exit(code)
