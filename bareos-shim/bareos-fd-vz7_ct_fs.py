# SPDX-License-Identifier: AGPL-3.0-or-later
"""Drop-in for the seed's Virtuozzo 7 plugin module: existing FileSets and Jobs keep
`module_name=bareos-fd-vz7_ct_fs` (blocker=, lockfile=, name=, uuid=, excluded_backup_paths=, restore=, disk=)
and are served by the BackupPlugins host as `source=vz7`.

FileSet:  Plugin = "python3:module_path=<checkout>/bareos-shim:module_name=bareos-fd-vz7_ct_fs:blocker=tmp/backup_blocker:lockfile=/tmp/bareos_backup_cts"
"""
import os

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")

import bareosfd  # noqa: E402  (provided by python3-fd)

from backupplugins_shim.entry import install  # noqa: E402

install(globals(), bareosfd, defaults="source=vz7:")
