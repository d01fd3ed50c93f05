# SPDX-License-Identifier: AGPL-3.0-or-later
"""A mail server for the tests: the SMTP sink (tests/fakes/smtpsink) on a free loopback port, its messages read back.

    w = SmtpWorld(work, tls=True, user="backup", password="secret", require_tls=True).start()
    ... the code under test sends to w.host:w.port (STARTTLS with the self-signed w.cert, AUTH as backup) ...
    [m] = w.wait_messages(1)
    m.sender, m.recipients, m.auth, m.tls, m.raw, m.message["Subject"]
    w.stop()

With tls=True a self-signed certificate for "localhost" and 127.0.0.1 is made first with the openssl command
(make_certificate), valid for two days; clients must be told to trust w.cert (or to skip the check).
"""
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import time

from tlscert import make_certificate  # noqa: F401  (tests import it from here too)

HERE = os.path.dirname(os.path.abspath(__file__))
SMTPSINK = os.path.join(os.path.dirname(HERE), "fakes", "smtpsink")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Message:
    """One accepted message: n, sender, recipients, auth (the login or None), tls, raw (the DATA bytes) and
    message (parsed with email's default policy)."""

    def __init__(self, directory, n):
        self.n = n
        with open(os.path.join(directory, "%d.json" % n)) as f:
            meta = json.load(f)
        with open(os.path.join(directory, "%d.eml" % n), "rb") as f:
            self.raw = f.read()
        self.meta = meta
        self.sender, self.recipients, self.auth, self.tls = meta["from"], meta["to"], meta["auth"], meta["tls"]
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    def __repr__(self):
        return "<Message %d from %r to %r>" % (self.n, self.sender, self.recipients)


class SmtpWorld:
    def __init__(self, work, tls=False, user=None, password=None, require_tls=False, max_size=None):
        self.work = work
        self.dir = os.path.join(work, "smtp")
        self.log = os.path.join(work, "smtpsink.log")
        self.host = "127.0.0.1"
        self.tls, self.user, self.password, self.require_tls, self.max_size = tls, user, password, require_tls, max_size
        self.port = None
        self.cert = self.key = None
        self.proc = None

    def start(self):
        """Starts the sink (making the certificate first when tls) and waits for its "ready". Returns self."""
        os.makedirs(self.dir, exist_ok=True)
        args = [SMTPSINK, "--port", str(self.port or free_port()), "--dir", self.dir]
        if self.tls:
            if self.cert is None:
                self.cert, self.key = make_certificate(self.work)
            args += ["--cert", self.cert, "--key", self.key]
        if self.user is not None:
            args += ["--user", self.user, "--password", self.password]
        if self.require_tls:
            args.append("--require-tls")
        if self.max_size is not None:
            args += ["--max-size", str(self.max_size)]
        self.port = int(args[2])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(self.log, "ab"),
                                     start_new_session=True, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("smtpsink did not start: %s" % open(self.log).read()[-2000:])
        return self

    def stop(self):
        """Stops the sink (SIGTERM, then SIGKILL after 5 s); the messages stay in self.dir."""
        proc, self.proc = self.proc, None
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc and proc.stdout:
            proc.stdout.close()

    def messages(self):
        """The messages accepted so far, in order."""
        ns = sorted(int(f[:-5]) for f in os.listdir(self.dir) if f.endswith(".json") and f[:-5].isdigit())
        return [Message(self.dir, n) for n in ns]

    def wait_messages(self, count, timeout=10):
        """The messages once there are at least `count` (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.messages()
            if len(got) >= count or time.monotonic() > deadline:
                assert len(got) >= count, "%d message(s) after %ss, wanted %d; log:\n%s" % (
                    len(got), timeout, count, open(self.log).read()[-3000:])
                return got
            time.sleep(0.05)

    def clear(self):
        """Forgets the messages (the numbering goes on from where it was only while the sink runs)."""
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
