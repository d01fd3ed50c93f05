# SPDX-License-Identifier: AGPL-3.0-or-later
"""The module-level functions python3-fd looks up, installed into a plugin module's namespace.

Every function returns an int bRC and never lets an exception out (an escaped exception would be an anonymous
M_FATAL traceback). The work is done by the host.
"""
import traceback

from .plugin import Shim

# python3-fd callback -> Shim method
CALLBACKS = {
    "load_bareos_plugin": "load", "parse_plugin_definition": "parse_definition", "handle_plugin_event": "event",
    "start_backup_file": "start_backup_file", "end_backup_file": "end_backup_file", "plugin_io": "plugin_io",
    "start_restore_file": "start_restore_file", "end_restore_file": "end_restore_file", "create_file": "create_file",
    "set_file_attributes": "set_file_attributes", "check_file": "check_file", "get_acl": "get_acl",
    "set_acl": "set_acl", "get_xattr": "get_xattr", "set_xattr": "set_xattr",
}


def install(namespace, bareosfd, defaults=""):
    """Defines the python3-fd callbacks in `namespace` (a module's globals()). `defaults` ("key=value:") are
    options appended to the plugin string at load, so the string's own values win."""
    shim = namespace["_shim"] = Shim(bareosfd, defaults)

    def guarded(what, method):
        run = getattr(Shim, method)  # runs for every entry several times: no lookup by name per call
        loading = what == "load_bareos_plugin"

        def callback(*args):
            current = namespace["_shim"]  # looked up per call: one Shim per job's module instance
            if current.failed_load and not loading:
                return bareosfd.bRC_Error  # already reported: the host could not be reached at load
            try:
                result = run(current, *args)
            except Exception as e:  # the FD must never see an exception
                bareosfd.DebugMessage(100, traceback.format_exc())
                bareosfd.JobMessage(bareosfd.M_FATAL, "backupplugins: %s failed: %s: %s\n" % (what, type(e).__name__, e))
                return bareosfd.bRC_Error
            return result if result.__class__ is int else int(result) if result is not None else bareosfd.bRC_OK
        callback.__name__ = what
        return callback

    for name, method in CALLBACKS.items():
        namespace[name] = guarded(name, method)
    namespace["restore_object_data"] = lambda rop: bareosfd.bRC_OK  # this plugin writes no restore objects
    namespace["handle_backup_file"] = lambda savepkt: bareosfd.bRC_Core  # a command plugin: the core handles it
    return shim
