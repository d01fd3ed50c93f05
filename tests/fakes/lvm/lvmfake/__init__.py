# SPDX-License-Identifier: AGPL-3.0-or-later
"""The fake LVM2 tools lvcreate, lvs, lvremove and vgs: see tests/fakes/lvm/lvm for how they run, README.md for what is
and is not faked. Learnt from lvm2 2.03.40 (git d804677); the source was read, not copied.

Modules: main (lvm2_main: which tool, exit codes), log (messages, return codes), options (the option table and command
definitions), values (option value checks), cmdline (getopt_long, matching a command definition, usage lines), names
(name rules, device directories), units (sizes and percentages as printed), process_each (the VGs and LVs that the
arguments name), lvcreate, lvremove, fields (report fields, columns and sort keys), report (basic and JSON output,
the JSON command log), lvs, vgs, and store (state, faults, calls log, and the loop devices and images behind the
LVs). Each module's docstring names the lvm2 sources it follows.
"""
