# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bareos python3-fd plugin module of BackupPlugins.

FileSet:  Plugin = "python3:module_path=<checkout>/bareos-shim:module_name=bareos-fd-backupplugins:source=dir:path=/srv/data:socket=/run/backup-plugins/host.sock"

Every function python3-fd looks up is defined here, returns an int bRC and never lets an exception out
(an escaped exception would be an anonymous M_FATAL traceback). The work is done by the host.
"""
import os
import traceback

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")  # for any other plugin in this job

import bareosfd  # noqa: E402  (provided by python3-fd)

from backupplugins_shim.plugin import Shim  # noqa: E402

_shim = Shim(bareosfd)


def _guard(what, fn, *args):
    if _shim.failed_load and what != "load_bareos_plugin":
        return bareosfd.bRC_Error  # already reported: the host could not be reached at load
    try:
        result = fn(*args)
        return int(result) if result is not None else bareosfd.bRC_OK
    except Exception as e:  # the FD must never see an exception
        bareosfd.DebugMessage(100, traceback.format_exc())
        bareosfd.JobMessage(bareosfd.M_FATAL, "backupplugins: %s failed: %s: %s\n" % (what, type(e).__name__, e))
        return bareosfd.bRC_Error


def load_bareos_plugin(plugindef):
    return _guard("load_bareos_plugin", _shim.load, plugindef)


def parse_plugin_definition(plugindef):
    return _guard("parse_plugin_definition", _shim.parse_definition, plugindef)


def handle_plugin_event(event):
    return _guard("handle_plugin_event", _shim.event, event)


def start_backup_file(savepkt):
    return _guard("start_backup_file", _shim.start_backup_file, savepkt)


def end_backup_file():
    return _guard("end_backup_file", _shim.end_backup_file)


def plugin_io(iop):
    return _guard("plugin_io", _shim.plugin_io, iop)


def start_restore_file(cmd):
    return _guard("start_restore_file", _shim.start_restore_file, cmd)


def end_restore_file():
    return _guard("end_restore_file", _shim.end_restore_file)


def create_file(restorepkt):
    return _guard("create_file", _shim.create_file, restorepkt)


def set_file_attributes(restorepkt):
    return _guard("set_file_attributes", _shim.set_file_attributes, restorepkt)


def check_file(fname):
    return _guard("check_file", _shim.check_file, fname)


def get_acl(acl):
    return _guard("get_acl", _shim.get_acl, acl)


def set_acl(acl):
    return _guard("set_acl", _shim.set_acl, acl)


def get_xattr(xattr):
    return _guard("get_xattr", _shim.get_xattr, xattr)


def set_xattr(xattr):
    return _guard("set_xattr", _shim.set_xattr, xattr)


def restore_object_data(rop):
    return bareosfd.bRC_OK  # this plugin writes no restore objects


def handle_backup_file(savepkt):
    return bareosfd.bRC_Core  # a command plugin, not an options plugin: let the core handle it
