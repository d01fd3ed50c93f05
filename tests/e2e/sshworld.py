# SPDX-License-Identifier: AGPL-3.0-or-later
"""A real OpenSSH sshd for the tests: on a free loopback port, keys made for the run, an ssh_config with the hosts
dest-a and dest-b (that sshd) and dest-refused (a port nothing listens on); stopped and removed by `stop()`."""
import os
import socket
import subprocess
import time

SSHD = "/usr/sbin/sshd"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SshWorld:
    def __init__(self, root):
        self.root = root
        os.makedirs(root)
        for key in ("host_key", "user_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key, "-f", os.path.join(root, key)], check=True)
        os.link(os.path.join(root, "user_key.pub"), os.path.join(root, "authorized_keys"))
        self.port = free_port()
        refused = free_port()
        with open(os.path.join(root, "known_hosts"), "w") as f:
            f.write("[127.0.0.1]:%d %s" % (self.port, open(os.path.join(root, "host_key.pub")).read()))
        with open(os.path.join(root, "sshd_config"), "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_key\nPidFile %s/sshd.pid\nAuthorizedKeysFile %s/authorized_keys\n"
                    "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n"
                    "UsePAM no\nSubsystem sftp internal-sftp\n" % (self.port, root, root, root))
        self.config = os.path.join(root, "ssh_config")
        with open(self.config, "w") as f:
            f.write("Host dest-a dest-b\n  Port %d\nHost dest-refused\n  Port %d\nHost *\n  HostName 127.0.0.1\n  IdentityFile %s/user_key\n"
                    "  IdentitiesOnly yes\n  UserKnownHostsFile %s/known_hosts\n  GlobalKnownHostsFile /dev/null\n"
                    "  StrictHostKeyChecking yes\n" % (self.port, refused, root, root))
        os.makedirs("/run/sshd", exist_ok=True)
        self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", os.path.join(root, "sshd_config")], stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert self.sshd.poll() is None, "sshd exited at once"
                assert time.time() < deadline, "sshd does not listen after 20 s"
                time.sleep(0.05)

    def stop(self):
        self.sshd.terminate()
        self.sshd.wait(timeout=10)
