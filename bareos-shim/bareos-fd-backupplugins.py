# SPDX-License-Identifier: AGPL-3.0-or-later
"""Bareos python3-fd plugin module of BackupPlugins.

FileSet:  Plugin = "python3:module_path=<checkout>/bareos-shim:module_name=bareos-fd-backupplugins:source=dir:path=/srv/data:socket=/run/backup-plugins/host.sock"

python3-fd looks the callbacks up in this module; backupplugins_shim.entry defines them (ints only, no escaping
exception) and forwards each to the host.
"""
import os

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")  # for any other plugin in this job

import bareosfd  # noqa: E402  (provided by python3-fd)

from backupplugins_shim.entry import install  # noqa: E402

install(globals(), bareosfd)
