# SPDX-License-Identifier: AGPL-3.0-or-later
"""What Bareos's bpipe plugin (core/src/plugins/filed/bpipe, lib/bpipe.cc) does with a FileSet line, for the tests: Bareos
cannot be installed here (Debian 12 ships Bacula only), so this plays its part as the contract spec (section 5)
describes it — the keyword form split at ':' (a '\\:' is a colon), the reader and writer split into argv at spaces
(a token may be quoted whole, no shell), the job facts in Bareos* environment variables, and on 25 and older %w/%r
substituted in the writer."""
import os
import subprocess


def parse(line):
    """{'file':…, 'reader':…, 'writer':…} of a `bpipe:file=…:reader=…:writer=…` line."""
    assert line.startswith("bpipe:")
    fields, current, text = [], "", line[len("bpipe:"):]
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] == ":":
            current += ":"
            i += 2
            continue
        if text[i] == ":":
            fields.append(current)
            current = ""
        else:
            current += text[i]
        i += 1
    fields.append(current)
    values = {}
    for f in fields:
        if f:
            key, _, value = f.partition("=")
            values.setdefault(key, value)  # the first value wins
    return values


def argv(command):
    """Bareos's BuildArgcArgv: tokens split at spaces; a token starting with a quote runs to the next same quote."""
    out, i = [], 0
    while i < len(command):
        while i < len(command) and command[i] in " \t":
            i += 1
        if i == len(command):
            break
        if command[i] in "\"'":
            end = command.find(command[i], i + 1)
            end = len(command) if end < 0 else end
            out.append(command[i + 1:end])
            i = end + 1
        else:
            end = command.find(" ", i)
            end = len(command) if end < 0 else end
            out.append(command[i:end])
            i = end
    return out


def backup(line, jobid, level="F", since=0, client="bp-fd"):
    """Runs the reader as Bareos 25 does; returns (exit code, stdout bytes, stderr text)."""
    env = dict(os.environ, BareosClientName=client, BareosJobId=str(jobid), BareosJobLevel=level, BareosSinceTime=str(since),
               BareosJobType="B")
    r = subprocess.run(argv(parse(line)["reader"]), capture_output=True, env=env)
    return r.returncode, r.stdout, r.stderr.decode()


def restore(line, data, jobid, where, replace="a", substitute=True):
    """Runs the writer as Bareos does: %w/%r substituted (25 and older) or only the environment (master)."""
    writer = parse(line)["writer"]
    if substitute:
        writer = writer.replace("%w", where).replace("%r", replace)
    env = dict(os.environ, BareosClientName="bp-fd", BareosJobId=str(jobid), BareosJobLevel=" ", BareosSinceTime="0",
               BareosJobType="R", BareosWhere=where, BareosReplace=replace)
    r = subprocess.run(argv(writer), input=data, capture_output=True, env=env)
    return r.returncode, r.stderr.decode()
