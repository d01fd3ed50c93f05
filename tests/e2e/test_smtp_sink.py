# SPDX-License-Identifier: AGPL-3.0-or-later
"""The SMTP sink (tests/fakes/smtpsink, world: smtpworld.py) through Python's smtplib and raw sockets: plain
delivery with dot-unstuffing, pipelining and the error codes of out-of-order and unknown commands; STARTTLS with
AUTH PLAIN and LOGIN; a wrong password; --require-tls refusing AUTH and MAIL before STARTTLS."""
import smtplib
import socket
import ssl

import pytest

from smtpworld import SmtpWorld

USER, PASSWORD = "backup", "s3cret pass"


@pytest.fixture
def smtp_world(work):
    worlds = []

    def make(**kw):
        w = SmtpWorld(work, **kw).start()
        worlds.append(w)
        return w
    yield make
    for w in worlds:
        w.stop()


def tls_context(w):
    ctx = ssl.create_default_context(cafile=w.cert)
    return ctx


def command(s, line):
    """(code, text) of one command on an smtplib connection."""
    s.putcmd(line)
    return s.getreply()


class Raw:
    """A line-level client for what smtplib does not do (pipelining, bad commands in raw form)."""

    def __init__(self, w):
        self.sock = socket.create_connection((w.host, w.port), timeout=10)
        self.f = self.sock.makefile("rb")

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        lines = []
        while True:
            line = self.f.readline().decode()
            assert line.endswith("\r\n"), lines + [line]
            lines.append(line[4:-2])
            if line[3] == " ":
                return int(line[:3]), lines

    def close(self):
        self.f.close()
        self.sock.close()


def test_plain_delivery_and_command_errors(smtp_world):
    w = smtp_world()
    with smtplib.SMTP(w.host, w.port, timeout=10) as s:
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 503  # before EHLO/HELO
        code, _ = s.ehlo("client.example")
        assert code == 250 and {"pipelining", "8bitmime", "size"} <= set(s.esmtp_features)
        assert "starttls" not in s.esmtp_features and "auth" not in s.esmtp_features
        assert int(s.esmtp_features["size"]) == 10 << 20
        assert command(s, "RCPT TO:<b@example.org>")[0] == 503  # no MAIL yet
        assert command(s, "DATA")[0] == 503
        assert command(s, "FROBNICATE now")[0] == 500
        assert command(s, "EXPN staff")[0] == 502
        assert command(s, "HELO")[0] == 501
        assert command(s, "NOOP")[0] == 250
        assert command(s, "MAIL FROM:a@example.org")[0] == 501  # no angle brackets
        assert command(s, "MAIL FROM:<a@example.org> FOO=bar")[0] == 555
        assert command(s, "MAIL FROM:<a@example.org> SIZE=%d" % (11 << 20))[0] == 552
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 250
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 503  # nested
        assert command(s, "DATA")[0] == 503  # no RCPT yet
        assert command(s, "RSET")[0] == 250
        assert command(s, "RCPT TO:<b@example.org>")[0] == 503  # RSET ended the transaction
        body = ("From: a@example.org\r\nTo: b@example.org\r\nSubject: Bareos: Backup OK\r\n\r\n"
                "line one\r\n.starts with a dot\r\n..two dots\r\n.\r\nafter a lone dot\r\nGrüße\r\n")
        refused = s.sendmail("a@example.org", ["b@example.org", "c@example.org"], body.encode("utf-8"),
                             mail_options=["BODY=8BITMIME"])
        assert refused == {}
        assert s.noop()[0] == 250
    [m] = w.wait_messages(1)
    assert m.sender == "a@example.org" and m.recipients == ["b@example.org", "c@example.org"]
    assert m.auth is None and m.tls is False
    assert m.raw == body.encode("utf-8")  # smtplib dot-stuffed it, the sink unstuffed it
    assert m.message["Subject"] == "Bareos: Backup OK"

    r = Raw(w)  # PIPELINING: a whole transaction in one write, the replies in order
    assert r.reply()[0] == 220
    r.send(b"EHLO pipe.example\r\n")
    assert r.reply()[0] == 250
    r.send(b"MAIL FROM:<>\r\nRCPT TO:<x@example.org>\r\nRCPT TO:<y@example.org>\r\nDATA\r\n")
    assert [r.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
    r.send(b"Subject: pipelined\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    assert r.reply()[0] == 250 and r.reply()[0] == 221
    r.close()
    m = w.wait_messages(2)[1]
    assert m.sender == "" and m.recipients == ["x@example.org", "y@example.org"]
    assert m.raw == b"Subject: pipelined\r\n\r\nhi\r\n"


def test_starttls_and_login(smtp_world):
    w = smtp_world(tls=True, user=USER, password=PASSWORD)
    with smtplib.SMTP(w.host, w.port, timeout=10) as s:
        assert command(s, "STARTTLS")[0] == 503  # before EHLO
        s.ehlo("client.example")
        assert "starttls" in s.esmtp_features and s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 530  # a login is required
        assert command(s, "STARTTLS now")[0] == 501
        s.starttls(context=tls_context(w))
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 503  # EHLO again after STARTTLS
        s.ehlo("client.example")
        assert "starttls" not in s.esmtp_features and "auth" in s.esmtp_features
        assert command(s, "STARTTLS")[0] == 503  # already on
        assert command(s, "AUTH CRAM-MD5")[0] == 504
        s.user, s.password = USER, PASSWORD
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)  # 334 Username:, 334 Password:
        assert code == 235
        assert command(s, "AUTH PLAIN")[0] == 503  # already authenticated
        s.sendmail("backup@example.org", ["admin@example.org"], b"Subject: over TLS\r\n\r\nbody\r\n")
    with smtplib.SMTP(w.host, w.port, timeout=10) as s:  # PLAIN with an initial response (smtplib's choice)
        s.starttls(context=tls_context(w))
        s.login(USER, PASSWORD)
        s.sendmail("backup@example.org", ["admin@example.org"], b"Subject: second\r\n\r\nbody\r\n")
    a, b = w.wait_messages(2)
    assert (a.auth, a.tls, a.message["Subject"]) == (USER, True, "over TLS")
    assert (b.auth, b.tls, b.message["Subject"]) == (USER, True, "second")

    r = Raw(w)  # plain text sent behind STARTTLS is dropped, not run inside the TLS session (RFC 3207 4.2)
    r.reply()
    r.send(b"EHLO x\r\n")
    r.reply()
    r.send(b"STARTTLS\r\nNOOP injected\r\n")
    assert r.reply()[0] == 220
    r.f.close()
    tls = tls_context(w).wrap_socket(r.sock, server_hostname="localhost")
    f = tls.makefile("rb")
    tls.sendall(b"EHLO y\r\n")
    first = f.readline()
    assert first.startswith(b"250-"), first
    tls.close()


def test_wrong_password(smtp_world):
    w = smtp_world(tls=True, user=USER, password=PASSWORD)
    with smtplib.SMTP(w.host, w.port, timeout=10) as s:
        s.starttls(context=tls_context(w))
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login(USER, "wrong")
        assert e.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.auth("LOGIN", lambda challenge=None: USER if challenge == b"Username:" else "wrong",
                   initial_response_ok=False)
        assert e.value.smtp_code == 535
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 530
        s.login(USER, PASSWORD)
        s.sendmail("a@example.org", ["b@example.org"], b"Subject: at last\r\n\r\n")
    [m] = w.wait_messages(1)
    assert m.auth == USER


def test_require_tls_refuses_auth_before_starttls(smtp_world):
    w = smtp_world(tls=True, user=USER, password=PASSWORD, require_tls=True)
    with smtplib.SMTP(w.host, w.port, timeout=10) as s:
        s.ehlo("client.example")
        assert "starttls" in s.esmtp_features and "auth" not in s.esmtp_features
        assert command(s, "AUTH PLAIN")[0] == 530
        assert command(s, "MAIL FROM:<a@example.org>")[0] == 530
        s.starttls(context=tls_context(w))
        s.ehlo("client.example")
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        s.login(USER, PASSWORD)
        s.sendmail("a@example.org", ["b@example.org"], b"Subject: required\r\n\r\n")
    [m] = w.wait_messages(1)
    assert m.tls is True and m.auth == USER
