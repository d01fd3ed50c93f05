# SPDX-License-Identifier: AGPL-3.0-or-later
"""The BackupPlugins shim: forwards Bareos python3-fd callbacks to the BackupPlugins host.

Pure Python on purpose: python3-fd runs every job in a fresh sub-interpreter, where grpcio and
protobuf's C++ backend break (see ARCHITECTURE.md). The only dependency is Debian's python3-h2.
"""

VERSION = "0.1.0"
