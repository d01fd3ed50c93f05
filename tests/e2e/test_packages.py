# SPDX-License-Identifier: AGPL-3.0-or-later
"""The Debian packages, installed on this machine as an administrator would: built by packaging/build-deb, checked by
Debian's lintian, installed with dpkg, the host started as its unit starts it, a real Bacula bpipe job through the
installed /usr/bin/backup-plugins, an upgrade to a rebuilt higher version (configuration kept), remove and purge
(nothing of ours left but the system group, as Debian policy has it)."""
import grp
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile

import pytest

from baculaworld import Bacula, ensure_packages
from grpcfd import ModuleProcess
from trees import diff, make_corpus, snapshot

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = "/lib/systemd/system/backup-plugins.service"
DROPIN = "/etc/systemd/system/backup-plugins.service.d/socket-group.conf"
SOCKET = "/run/backup-plugins/host.sock"
MODULE = "/usr/lib/bareos/plugins/grpc/backupplugins"
PACKAGES = ("backup-plugins-bareos-shim", "backup-plugins-bareos-grpc", "backup-plugins")
# Every path the packages or their scripts make; after a purge none may be left.
OURS = ["/usr/bin/backup-plugins", "/usr/lib/backup-plugins", "/etc/backup-plugins", UNIT, os.path.dirname(DROPIN),
        "/etc/systemd/system/multi-user.target.wants/backup-plugins.service", "/var/lib/backup-plugins", "/run/backup-plugins",
        "/usr/share/doc/backup-plugins", "/usr/share/doc/backup-plugins-bareos-shim", "/usr/share/man/man1/backup-plugins.1.gz",
        "/usr/share/lintian/overrides/backup-plugins", "/usr/lib/bareos/plugins/backupplugins_shim",
        "/usr/lib/bareos/plugins/bareos-fd-backupplugins.py", "/usr/lib/bareos/plugins/bareos-fd-vz7_ct_fs.py",
        os.path.dirname(MODULE), "/usr/share/doc/backup-plugins-bareos-grpc", "/usr/share/lintian/overrides/backup-plugins-bareos-grpc"]


def props_version():
    return re.search(r"<Version>([^<]+)</Version>", open(os.path.join(ROOT, "Directory.Build.props")).read()).group(1)


def installed(package):
    """'install ok installed 0.1.0-1', 'deinstall ok config-files 0.1.0-1', or '' when dpkg knows nothing of it."""
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Status} ${Version}", package], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 and "not-installed" not in r.stdout else ""


def group_exists(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def dpkg(*args):
    r = subprocess.run(["dpkg"] + list(args), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def purge_all():
    subprocess.run(["dpkg", "--purge"] + list(PACKAGES), capture_output=True, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def debs():
    """v1 (the repository's version) and v2 (one patch higher, rebuilt), each a host, a shim and a grpc-fd module package."""
    for p in PACKAGES:
        assert not installed(p), "%s is installed on this machine (%s); this test installs and purges it: remove it first" % (p, installed(p))
    out = tempfile.mkdtemp(prefix="bp-debs-")
    v1 = props_version()
    major, minor, patch = v1.split(".")
    v2 = "%s.%s.%d" % (major, minor, int(patch) + 1)
    built = {}
    for version, extra in ((v1, []), (v2, ["--version", v2])):
        r = subprocess.run([os.path.join(ROOT, "packaging", "build-deb"), os.path.join(out, version)] + extra,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-3000:]
        host, shim, module = r.stdout.split()
        assert os.path.basename(host) == "backup-plugins_%s-1_amd64.deb" % version
        assert os.path.basename(shim) == "backup-plugins-bareos-shim_%s-1_all.deb" % version
        assert os.path.basename(module) == "backup-plugins-bareos-grpc_%s-1_amd64.deb" % version
        built[version] = (host, shim, module)
    yield v1, v2, built
    shutil.rmtree(out, ignore_errors=True)


def unit_service_settings():
    """The [Service] keys of the installed unit with its drop-ins applied, as systemd reads them."""
    keys = {}
    for path in [UNIT] + ([DROPIN] if os.path.exists(DROPIN) else []):
        section = None
        for line in open(path):
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                keys[key] = value
    return keys


class InstalledHost:
    """The installed host started as its unit starts it: the unit's ExecStart, Group=, RuntimeDirectory= and
    StateDirectory= (what systemd would do; there is no systemd on the test machine), NOTIFY_SOCKET for READY=1."""

    def __init__(self, work):
        self.work = work
        self.log = os.path.join(work, "installed-host.log")
        self.proc = None

    def start(self):
        unit = unit_service_settings()
        self.group = unit["Group"]
        gid = grp.getgrnam(self.group).gr_gid
        runtime = "/run/" + unit["RuntimeDirectory"]
        os.makedirs(runtime, exist_ok=True)
        os.chown(runtime, 0, gid)
        os.chmod(runtime, int(unit["RuntimeDirectoryMode"], 8))
        state = "/var/lib/" + unit["StateDirectory"]
        os.makedirs(state, exist_ok=True)
        os.chmod(state, int(unit["StateDirectoryMode"], 8))
        notify_path = os.path.join(self.work, "notify.sock")
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(notify_path)
        notify.settimeout(30)
        argv = shlex.split(unit["ExecStart"])
        assert argv[0] == "/usr/bin/backup-plugins", argv
        self.proc = subprocess.Popen(argv, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
                                     env=dict(os.environ, NOTIFY_SOCKET=notify_path), preexec_fn=lambda: os.setgid(gid))
        try:
            ready = notify.recv(4096).decode()
        except socket.timeout:
            raise AssertionError("no READY=1 in 30 s: " + open(self.log).read())
        finally:
            notify.close()
        assert ready.startswith("READY=1\nSTATUS=listening on unix:%s\n" % SOCKET), ready
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)

    def log_text(self):
        return open(self.log, errors="replace").read()


def check_installed(version, work):
    for p in PACKAGES:
        assert installed(p) == "install ok installed %s-1" % version, (p, installed(p))
    assert os.readlink("/usr/bin/backup-plugins") == "../lib/backup-plugins/backup-plugins"
    r = subprocess.run(["/usr/bin/backup-plugins", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and re.fullmatch(r"%s(\+[0-9a-f]{40})?\n" % re.escape(version), r.stdout), r.stdout + r.stderr
    # the grpc-fd module: where the file daemon looks for it, runnable, of this version, and it answers the daemon's
    # first call as the daemon makes it (three connected sockets as fds 3, 4, 5)
    assert stat.S_IMODE(os.stat(MODULE).st_mode) == 0o755
    r = subprocess.run([MODULE, "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and re.fullmatch(r"%s(\+[0-9a-f]{40})?\n" % re.escape(version), r.stdout), r.stdout + r.stderr
    module = ModuleProcess(MODULE, os.path.join(work, "module.err"))
    status, _ = module.unary("Setup")
    assert status == 0, open(os.path.join(work, "module.err")).read()
    module.close()
    assert module.proc.wait(5) == 0, open(os.path.join(work, "module.err")).read()
    for name in ("bareos-fd-backupplugins.py", "bareos-fd-vz7_ct_fs.py", "backupplugins_shim/plugin.py"):
        assert open("/usr/lib/bareos/plugins/" + name).read() == open(os.path.join(ROOT, "bareos-shim", name)).read()
    assert sorted(os.listdir("/usr/share/doc/backup-plugins-bareos-shim/examples")) == [
        "bareos-fileset-dir.conf", "bareos-fileset-lvm.conf", "bareos-fileset-parallels.conf", "bareos-fileset-vz7.conf"]
    assert subprocess.run(["man", "-w", "backup-plugins"], capture_output=True, text=True).stdout.strip() == \
        "/usr/share/man/man1/backup-plugins.1.gz"
    r = subprocess.run(["systemd-analyze", "verify", UNIT], capture_output=True, text=True)
    assert r.returncode == 0 and "backup-plugins" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_lintian_reports_no_errors_and_the_readme_lists_its_warnings(debs):
    v1, _, built = debs
    r = subprocess.run(["lintian", "--tag-display-limit", "0"] + list(built[v1]), capture_output=True, text=True)
    tags = [line for line in r.stdout.splitlines() if re.match(r"^[EWIPX]: ", line)]
    assert not [t for t in tags if t.startswith("E: ")], r.stdout
    readme = open(os.path.join(ROOT, "packaging", "README.md")).read()
    for warning in (t for t in tags if t.startswith("W: ")):
        tag = warning.split()[2]
        assert "`%s`" % tag in readme, "lintian warns %s; packaging/README.md must say why" % warning


def test_install_run_a_bacula_job_upgrade_remove_and_purge(debs, work):
    v1, v2, built = debs
    ensure_packages()
    bareos_before, own_group_before = group_exists("bareos"), group_exists("backup-plugins")
    host = InstalledHost(work)
    bacula = None
    try:
        dpkg("-i", *built[v1])
        check_installed(v1, work)
        assert open("/etc/backup-plugins/host.json").read() == open(os.path.join(ROOT, "packaging", "host.json")).read()
        if bareos_before:  # the file daemon's group: the socket's group, nothing made
            assert not os.path.exists(DROPIN) and group_exists("backup-plugins") == own_group_before
        else:  # a group of our own, and the unit told to use it
            assert group_exists("backup-plugins")
            assert open(DROPIN).read().endswith("[Service]\nGroup=backup-plugins\n")
        gid = grp.getgrnam(unit_service_settings()["Group"]).gr_gid

        # the installed host, as the unit starts it, serves a real Bacula bpipe job through /usr/bin/backup-plugins
        host.start()
        st = os.stat(SOCKET)
        assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o660, gid)
        src = os.path.join(work, "src")
        make_corpus(src)
        expected = snapshot(src)
        line = ("bpipe:/BACKUPPLUGINS/src.pax:/usr/bin/backup-plugins bpipe-reader --socket %s --source dir --path %s:"
                "/usr/bin/backup-plugins bpipe-writer --socket %s --where=%%w") % (SOCKET, src, SOCKET)
        bacula = Bacula(work, line).start()
        where = os.path.join(work, "restored")
        bacula.backup_and_restore(where)
        assert diff(expected, snapshot(where + src)) == []
        assert len(re.findall(r"Session \S+ opened for job", host.log_text())) == 2, host.log_text()  # the installed host's jobs
        host.stop()

        # upgrade to a rebuilt, higher version: the operator's configuration stays
        with open("/etc/backup-plugins/host.json", "a") as f:
            f.write("\n")  # an operator's edit
        edited = open("/etc/backup-plugins/host.json").read()
        dropin = open(DROPIN).read() if os.path.exists(DROPIN) else None
        dpkg("-i", *built[v2])
        check_installed(v2, work)
        assert open("/etc/backup-plugins/host.json").read() == edited
        assert (open(DROPIN).read() if os.path.exists(DROPIN) else None) == dropin
        assert grp.getgrnam(unit_service_settings()["Group"]).gr_gid == gid
        host.start()
        r = subprocess.run(["/usr/bin/backup-plugins", "status", "--socket", SOCKET], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        host.stop()

        # remove: the programs go, the configuration and the state stay
        dpkg("--remove", *PACKAGES)
        for p in PACKAGES:
            assert installed(p) == ("deinstall ok config-files %s-1" % v2 if p == "backup-plugins" else ""), installed(p)
        for path in ("/usr/bin/backup-plugins", "/usr/lib/backup-plugins", UNIT, "/usr/lib/bareos/plugins/backupplugins_shim", MODULE):
            assert not os.path.lexists(path), path
        assert open("/etc/backup-plugins/host.json").read() == edited
        assert os.path.isdir("/var/lib/backup-plugins")

        # purge: nothing of ours is left but the system group
        dpkg("--purge", *PACKAGES)
        assert [p for p in PACKAGES if installed(p)] == []
        assert [p for p in OURS if os.path.lexists(p)] == []
        assert [n for n in os.listdir("/var/lib/systemd/deb-systemd-helper-enabled") if "backup-plugins" in n] == [] \
            if os.path.isdir("/var/lib/systemd/deb-systemd-helper-enabled") else True
        assert group_exists("backup-plugins") == (own_group_before or not bareos_before)
    finally:
        if bacula:
            bacula.stop()
        host.stop()
        purge_all()
        if not own_group_before and group_exists("backup-plugins"):
            subprocess.run(["groupdel", "backup-plugins"], check=True)


def test_with_a_bareos_group_the_socket_uses_it_and_no_group_is_made(debs, work):
    v1, _, built = debs
    made_bareos = not group_exists("bareos")
    own_group_before = group_exists("backup-plugins")
    if made_bareos:
        subprocess.run(["groupadd", "--system", "bareos"], check=True)
    host = InstalledHost(work)
    try:
        dpkg("-i", *built[v1])
        assert not os.path.exists(DROPIN)
        assert group_exists("backup-plugins") == own_group_before
        host.start()
        assert host.group == "bareos" and os.stat(SOCKET).st_gid == grp.getgrnam("bareos").gr_gid
        host.stop()
        dpkg("--purge", *PACKAGES)
        assert [p for p in OURS if os.path.lexists(p)] == []
        assert group_exists("bareos")  # never ours to remove
    finally:
        host.stop()
        purge_all()
        if made_bareos:
            subprocess.run(["groupdel", "bareos"], check=True)
