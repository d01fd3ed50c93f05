# SPDX-License-Identifier: AGPL-3.0-or-later
"""Messages and return codes: lib/log/log.c (every message prefixed with two spaces), tools/errors.h."""
import sys

ECMD_PROCESSED, ENO_SUCH_CMD, EINVALID_CMD_LINE, ECMD_FAILED = 1, 2, 3, 5  # tools/errors.h


class Exit(Exception):
    """A command's end with an lvm return code (ECMD_PROCESSED becomes exit 0, as lvm_return_code() does)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Log:
    """log_print goes to stdout, log_error/log_warn to stderr. While a JSON report's command log is active, errors
    are reported as rows of its "log" section instead (log/report_command_log is on for JSON output)."""

    def __init__(self):
        self.silent = False
        self.cmdlog = None  # report.CmdLog while a JSON report collects the log

    def error(self, msg):
        if self.cmdlog is not None:
            self.cmdlog.error(msg)
        else:
            sys.stdout.flush()
            sys.stderr.write("  %s\n" % msg)

    def warn(self, msg):
        sys.stderr.write("  %s\n" % msg)

    def print(self, msg):
        sys.stdout.write("  %s\n" % msg)

    def print_unless_silent(self, msg):
        if not self.silent:
            self.print(msg)


LOG = Log()


def fail(msg, code):
    LOG.error(msg)
    raise Exit(code)
