# SPDX-License-Identifier: AGPL-3.0-or-later
"""python3-fd module for the trace comparison (tests/BackupPlugins.RealBareos.Tests/TraceTests.cs): the shim itself,
with every callback the file daemon makes appended to $BP_TRACE_DIR/<jobid>.jsonl as one JSON line:
{"cb": name, "detail": ..., "ret": bRC}. detail: the event of handle_plugin_event, the function of plugin_io, the
flags (hex) of start_backup_file, the base name of check_file, the type of create_file. Loaded the same way by the
real file daemon and by the FD driver, so the two sequences compare like with like."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bareos-shim"))
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import bareosfd  # noqa: E402  (provided by python3-fd, or by the FD driver)

from backupplugins_shim.entry import CALLBACKS, install  # noqa: E402

install(globals(), bareosfd)


def _detail(name, args):
    if name == "handle_plugin_event":
        return args[0]
    if name == "plugin_io":
        return args[0].func
    if name == "start_backup_file":
        return bytes(args[0].flags or b"").hex()
    if name == "check_file":
        return os.path.basename(args[0].rstrip("/"))
    if name == "create_file":
        return args[0].type
    return None


def _traced(name, callback):
    def traced(*args):
        detail = _detail(name, args)
        ret = callback(*args)
        path = os.path.join(os.environ["BP_TRACE_DIR"], "%d.jsonl" % (bareosfd.GetValue(bareosfd.bVarJobId) or 0))
        with open(path, "a") as f:
            f.write(json.dumps({"cb": name, "detail": detail, "ret": int(ret)}) + "\n")
        return ret
    traced.__name__ = name
    return traced


for _name in list(CALLBACKS) + ["restore_object_data", "handle_backup_file"]:
    globals()[_name] = _traced(_name, globals()[_name])
