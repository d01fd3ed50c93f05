# SPDX-License-Identifier: AGPL-3.0-or-later
"""Self-signed certificates for the tests' TLS servers (the SMTP sink, the XAPI fake), made with the openssl command."""
import os
import subprocess


def make_certificate(directory, name="localhost", prefix="smtp"):
    """A self-signed certificate (P-256 key) for `name`, localhost and 127.0.0.1, valid for two days:
    (<directory>/<prefix>-cert.pem, <directory>/<prefix>-key.pem)."""
    cert, key = os.path.join(directory, prefix + "-cert.pem"), os.path.join(directory, prefix + "-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=%s" % name,
                    "-addext", "subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1" % name],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return cert, key
