# SPDX-License-Identifier: AGPL-3.0-or-later
"""`backup-plugins xen backup`: metadata-export, the JSON run report, the status mail through a real SMTP conversation
(the SMTP sink: STARTTLS, login, a CA of our own), a full SR and a full backup directory."""
import hashlib
import json
import os
import socket
import subprocess
import tarfile

import pytest

from smtpworld import SmtpWorld
from xapiworld import XapiWorld
from xenrun import MiB, Run, no_snapshots, read_cfg, xen  # noqa: F401  (xen: the fixture)

SERVER = socket.gethostname().split(".")[0]


def test_metadata_export_writes_the_vms_definition_alone_into_a_metadata_directory(work, xen):
    run = Run(work, xen)
    run.config("metadata-export=web\nvdi-export=db\n")
    code, lines, _ = run.run()
    assert code == 0, lines
    [d] = run.dirs("web")
    assert d.endswith("-metadata")
    files = sorted(os.listdir(os.path.join(run.backups, "web", d)))
    assert files == ["DISK-xvda", "DISK-xvdb", "VIFs", "success", "vm.cfg", "web-metadata.xva", "web-metadata.xva.sha256"]
    with tarfile.open(os.path.join(run.backups, "web", d, "web-metadata.xva")) as t:
        assert t.getnames() == ["ova.xml"]
        ova = t.extractfile("ova.xml").read().decode()
    assert xen.vm(xen.vm_refs["web"])["uuid"] in ova
    assert "VM.snapshot" not in xen.api_calls() or no_snapshots(xen)
    # vdi-export writes the VM's definition beside the disk, as the seed's branch did
    [d] = run.dirs("db")
    assert "db-metadata.xva" in os.listdir(os.path.join(run.backups, "db", d))
    status = [line.split(",") for line in open(run.status).read().splitlines()]
    assert [(s[1], s[4]) for s in status[1:3]] == [("metadata-export", "SUCCESS web"), ("vdi-export", "SUCCESS db")]


def test_the_report_file_holds_every_export_with_its_checksum_and_the_failures(work, xen):
    run = Run(work, xen)
    report = os.path.join(work, "reports", "xen.json")
    run.config("vm-export=web\nvm-export=db\n", extra="report=%s\n" % report)
    xen.fault("VM.snapshot", error=["SR_BACKEND_FAILURE_44", "", "There is insufficient space", ""], times=1)
    code, lines, _ = run.run()
    assert code == 2, lines
    r = json.load(open(report))
    assert (r["schema"], r["host"], r["outcome"], r["exit_code"]) == ("backup-plugins-xen-backup/1", SERVER, "error", 2)
    assert (r["success"], r["warnings"], r["errors"]) == (1, 0, 1)
    web, db = r["vms"]
    assert (web["kind"], web["vm"], web["outcome"]) == ("vm-export", "web", "error")
    assert web["message"].startswith("XAPI VM.snapshot failed: SR_BACKEND_FAILURE_44")
    assert (db["vm"], db["uuid"], db["outcome"]) == ("db", xen.vm(xen.vm_refs["db"])["uuid"], "success")
    assert db["sha256"] == hashlib.sha256(open(db["file"], "rb").read()).hexdigest()
    assert db["bytes"] == os.path.getsize(db["file"])
    assert r["problems"] == ["ERROR vm-export web: " + web["message"]]
    assert not os.path.exists(report + ".tmp")


def mail_config(run, sink, mode, extra=""):
    return "mail_mode=%s\nmail_to=ops@example.org, backup@example.org\nmail_from=xen@example.org\nmail_smtp_server=%s\n" \
           "mail_smtp_port=%d\n%s" % (mode, sink.host, sink.port, extra)


def add_smtp_login(run, user="backup", password="s3cret"):
    with open(run.password, "a") as f:
        f.write("smtp_user=%s\nsmtp_password=%s\n" % (user, password))


@pytest.fixture
def sink(work):
    s = SmtpWorld(work, tls=True, user="backup", password="s3cret", require_tls=True).start()
    yield s
    s.stop()


def test_mail_always_sends_the_runs_output_over_starttls_with_the_login_from_the_secrets_file(work, xen, sink):
    run = Run(work, xen)
    add_smtp_login(run)
    run.config("vm-export=db\n", extra=mail_config(run, sink, "always", "mail_smtp_ca=%s\n" % sink.cert))
    code, lines, _ = run.run()
    assert code == 0, "\n".join(lines)
    [m] = sink.wait_messages(1)
    assert (m.sender, m.recipients, m.auth, m.tls) == ("xen@example.org", ["ops@example.org", "backup@example.org"], "backup", True)
    assert m.message["Subject"] == "Success VmBackup.py on %s" % SERVER
    body = m.message.get_content()
    assert "VmBackup ended - Success - S:1 W:0 E:0" in body and "*** vm-export end db: " in body
    assert lines[-1] == 'mail "Success VmBackup.py on %s" sent to ops@example.org, backup@example.org' % SERVER


def test_mail_problems_is_silent_after_a_clean_run_and_mails_an_error(work, xen, sink):
    run = Run(work, xen)
    add_smtp_login(run)
    run.config("vm-export=db\n", extra=mail_config(run, sink, "problems", "mail_smtp_ca=%s\n" % sink.cert))
    code, lines, _ = run.run()
    assert code == 0 and sink.messages() == [], lines
    run.config("vm-export=db\nvm-export=nosuchvm\n", extra=mail_config(run, sink, "problems", "mail_smtp_ca=%s\n" % sink.cert))
    code, lines, _ = run.run()
    assert code == 2, lines
    [m] = sink.wait_messages(1)
    assert m.message["Subject"] == "ERROR VmBackup.py on %s" % SERVER
    assert "nosuchvm" in m.message.get_content()


def test_a_server_certificate_nobody_vouches_for_is_refused_and_the_run_ends_with_a_warning(work, xen, sink):
    run = Run(work, xen)
    add_smtp_login(run)
    run.config("vm-export=db\n", extra=mail_config(run, sink, "always"))  # no mail_smtp_ca: the sink's certificate is self-signed
    code, lines, _ = run.run()
    assert code == 1, lines
    assert lines[-1].startswith("WARNING mail to ops@example.org, backup@example.org through 127.0.0.1:%d not sent after 3 attempts: "
                                "TLS with the SMTP server failed" % sink.port), lines[-1]
    assert lines[-1].endswith("trust its CA with mail_smtp_ca=FILE"), lines[-1]
    assert sink.messages() == []


def test_a_login_is_never_sent_in_clear_text(work, xen, sink):
    run = Run(work, xen)
    add_smtp_login(run)
    run.config("vm-export=db\n", extra=mail_config(run, sink, "always", "mail_smtp_tls=none\n"))
    code, lines, _ = run.run()
    assert code == 1, lines
    assert lines[-1] == ("WARNING mail_smtp_tls=none and the secrets file has smtp_user: a login is never sent unencrypted "
                         "(use mail_smtp_tls=auto, starttls or ssl, or remove smtp_user/smtp_password)")


def test_mail_settings_are_checked_before_anything_runs(work, xen):
    run = Run(work, xen)
    run.config("vm-export=db\n", extra="mail_mode=always\nmail_smtp_tls=maybe\nreport=reports/x.json\n")
    r = subprocess.run(run.argv(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    out = r.stdout + r.stderr
    for problem in ("mail_mode=always needs mail_to, mail_from and mail_smtp_server",
                    "mail_smtp_tls=maybe must be one of auto, starttls, ssl, none",
                    "report=reports/x.json must be an absolute path (the JSON report file)"):
        assert problem in out, out
    assert xen.api_calls() == []


def test_a_full_sr_fails_that_vms_snapshot_and_leaves_nothing(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n")
    vdi = xen.vm_vdis(xen.vm_refs["web"])[0]
    sr = xen.record("VDI", vdi)["SR"]  # the SR of web's disks, made full
    used, _ = xen.sr_usage(sr)
    with xen.store.tx() as st:
        st.get("SR", sr)["physical_size"] = used
    vdis_before = len(xen.vdis())
    code, lines, _ = run.run()
    assert code == 2
    assert [line for line in lines if line.startswith("ERROR vm-export web: XAPI VM.snapshot failed: SR_BACKEND_FAILURE_44")], lines
    assert no_snapshots(xen) and len(xen.vdis()) == vdis_before
    assert open(run.status).read().splitlines()[-2].endswith(",end,ERROR web,SR_BACKEND_FAILURE_44")


def test_a_full_backup_directory_fails_that_export_removes_it_and_the_next_vm_still_fits(work, xen):
    run = Run(work, xen)
    xen.write_vdi(xen.vm_vdis(xen.vm_refs["web"])[0], 8 * MiB, os.urandom(24 * MiB))  # web's XVA: 24 MiB and more
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", run.backups], check=True)
    try:
        run.config("vm-export=web\nvm-export=db\n")  # db's XVA: a few chunks
        code, lines, _ = run.run()
        assert code == 2, lines
        errors = [line for line in lines if line.startswith("ERROR vm-export web: ")]
        assert errors and "No space left on device" in errors[0], lines
        [failed] = run.dirs("web")
        assert not [f for f in os.listdir(os.path.join(run.backups, "web", failed)) if f.startswith("web.xva")]
        assert "removed the incomplete export %s" % os.path.join(run.backups, "web", failed, "web.xva") in lines
        [d] = run.dirs("db")
        assert "success" in os.listdir(os.path.join(run.backups, "db", d))
        assert no_snapshots(xen) and xen.vm(xen.vm_refs["db"])["blocked_operations"] == {}
        assert read_cfg(os.path.join(run.backups, "web", failed, "vm.cfg"))["name_label"] == "web"
    finally:
        subprocess.run(["umount", "-l", run.backups], check=False)


@pytest.fixture
def xen_tls(work):
    w = XapiWorld(os.path.join(work, "tls-pool"), tls=True)
    os.makedirs(w.work, exist_ok=True)
    w.standard_pool(odd=False)
    w.start()
    yield w
    w.teardown()


def test_https_with_the_hosts_own_certificate_as_ca_file_and_a_clear_refusal_without_it(work, xen_tls):
    run = Run(work, xen_tls)
    run.config("vm-export=web\nvdi-export=db\n")
    code, lines, _ = run.run()
    assert code == 2
    assert [line for line in lines if "its TLS certificate is not trusted" in line and
            "give the pool's CA or the host's own certificate (/etc/xensource/xapi-ssl.pem) as --ca-file or Sources:Xen:CaFile" in line], lines
    code, lines, _ = run.run("--ca-file", xen_tls.cert)
    assert code == 0, lines
    [d] = run.dirs("web")
    with tarfile.open(os.path.join(run.backups, "web", d, "web.xva")) as t:
        assert t.getnames()[0] == "ova.xml"
    assert no_snapshots(xen_tls)


def test_an_export_that_stops_sending_is_given_up_after_the_timeout_and_its_snapshot_destroyed(work, xen):
    run = Run(work, xen)
    run.config("vm-export=web\n")
    xen.fault("/export", stall_after_bytes=2 * MiB, stall=30, times=1)
    code, lines, _ = run.run("--timeout", "3")
    assert code == 2, lines
    assert [line for line in lines if line.startswith("ERROR vm-export web: the export sent nothing for 3 s (after ")], lines
    assert no_snapshots(xen)
