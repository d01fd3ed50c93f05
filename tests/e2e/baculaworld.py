# SPDX-License-Identifier: AGPL-3.0-or-later
"""A private Bacula 9.6 (Debian's packages) for the tests: director with an sqlite catalog, storage daemon on a
file device and file daemon with bpipe-fd.so, all on 127.0.0.1 on free ports, configs and state under a temp dir,
run in the foreground and stopped at the end; jobs driven with bconsole."""
import os
import re
import socket
import subprocess
import time

PACKAGES = ("bacula-director", "bacula-director-sqlite3", "bacula-sd", "bacula-fd", "bacula-console", "sqlite3")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_packages():
    missing = [p for p in PACKAGES if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if missing:  # tests/run-all installs them; this is for a test run on its own
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq"] + missing, check=True, capture_output=True, env=env)


class Bacula:
    def __init__(self, work, plugin_line):
        self.dir = os.path.join(work, "bacula")
        self.workdir, self.volumes = os.path.join(self.dir, "work"), os.path.join(self.dir, "vol")
        os.makedirs(self.workdir)
        os.makedirs(self.volumes)
        ports = {"dir": free_port(), "fd": free_port(), "sd": free_port()}
        schema = subprocess.run(["awk", "/<<END-OF-DATA/{f=1;next} /^END-OF-DATA/{f=0} f",
                                 "/usr/share/bacula-director/make_sqlite3_tables"], capture_output=True, text=True, check=True).stdout
        subprocess.run(["sqlite3", os.path.join(self.workdir, "bacula.db")], input=schema, text=True, check=True)
        w = self.workdir
        self.configs = {
            "dir": f'''Director {{ Name = bp-dir; DIRport = {ports["dir"]}; DirAddress = 127.0.0.1; QueryFile = "/etc/bacula/scripts/query.sql"
  WorkingDirectory = "{w}"; PidDirectory = "{w}"; Password = "dirpass"; Messages = Standard }}
Catalog {{ Name = MyCatalog; dbname = "bacula"; dbuser = ""; dbpassword = "" }}
Messages {{ Name = Standard; console = all, !skipped, !saved; catalog = all; append = "{w}/log" = all, !skipped }}
Pool {{ Name = Default; Pool Type = Backup; Label Format = "Vol-"; Maximum Volume Jobs = 100; AutoPrune = no }}
Storage {{ Name = File; Address = 127.0.0.1; SDPort = {ports["sd"]}; Password = "sdpass"; Device = FileDev; Media Type = File }}
Client {{ Name = bp-fd; Address = 127.0.0.1; FDPort = {ports["fd"]}; Catalog = MyCatalog; Password = "fdpass"; AutoPrune = no }}
FileSet {{ Name = bpipe-set; Include {{ Options {{ signature = MD5 }}; Plugin = "{plugin_line}" }} }}
Job {{ Name = backup; Type = Backup; Level = Full; Client = bp-fd; FileSet = bpipe-set; Storage = File; Pool = Default; Messages = Standard }}
Job {{ Name = restore; Type = Restore; Client = bp-fd; FileSet = bpipe-set; Storage = File; Pool = Default; Messages = Standard; Where = /tmp/bacula-restores }}
''',
            "sd": f'''Storage {{ Name = bp-sd; SDPort = {ports["sd"]}; SDAddress = 127.0.0.1; WorkingDirectory = "{w}"; Pid Directory = "{w}" }}
Director {{ Name = bp-dir; Password = "sdpass" }}
Device {{ Name = FileDev; Media Type = File; Archive Device = {self.volumes}; LabelMedia = yes; Random Access = yes; AutomaticMount = yes; RemovableMedia = no; AlwaysOpen = no }}
Messages {{ Name = Standard; director = bp-dir = all }}
''',
            "fd": f'''FileDaemon {{ Name = bp-fd; FDport = {ports["fd"]}; FDAddress = 127.0.0.1; WorkingDirectory = {w}; Pid Directory = {w}; Plugin Directory = /usr/lib/bacula }}
Director {{ Name = bp-dir; Password = "fdpass" }}
Messages {{ Name = Standard; director = bp-dir = all, !skipped, !restored }}
''',
            "console": f'''Director {{ Name = bp-dir; DIRport = {ports["dir"]}; address = 127.0.0.1; Password = "dirpass" }}
''',
        }
        for name, text in self.configs.items():
            with open(os.path.join(self.dir, name + ".conf"), "w") as f:
                f.write(text)
        self.procs = []

    def start(self):
        for daemon, conf in (("bacula-sd", "sd"), ("bacula-fd", "fd"), ("bacula-dir", "dir")):
            log = open(os.path.join(self.workdir, daemon + ".out"), "w")
            self.procs.append(subprocess.Popen([daemon, "-f", "-c", os.path.join(self.dir, conf + ".conf")], stdout=log, stderr=log))
        deadline = time.time() + 30
        while "Director" not in self.console("status dir") and time.time() < deadline:
            time.sleep(0.5)
        return self

    def console(self, *commands, timeout=300):
        r = subprocess.run(["bconsole", "-c", os.path.join(self.dir, "console.conf")], input="\n".join(commands + ("quit",)) + "\n",
                           capture_output=True, text=True, timeout=timeout)
        return r.stdout + r.stderr

    def run_job(self, *commands):
        """Runs the commands and waits for the job; returns the job's report text."""
        return self.console(*commands, "wait", "messages")

    def backup_and_restore(self, where):
        """Job 1, a Full backup, then its restore (all files) under `where`; both must end OK."""
        report = self.run_job("run job=backup yes")
        assert self.termination(report) == "Backup OK", report
        report = self.run_job("restore jobid=1 client=bp-fd where=%s all done yes" % where)
        assert self.termination(report) == "Restore OK", report

    @staticmethod
    def termination(report):
        m = re.findall(r"^\s*Termination:\s*(.*)$", report, re.M)
        return m[-1].strip() if m else None

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
