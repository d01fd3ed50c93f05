# SPDX-License-Identifier: AGPL-3.0-or-later
"""The grpc-fd module (issue 17, first step): it serves bareos.plugin.Plugin on the inherited, already-connected fd 3
through Kestrel (a connection listener that hands Kestrel that one connection), calls bareos.core.Core on fd 4,
answers the daemon's first call (Setup, registering its events), and exits once the daemon closes the connection,
well inside the second the daemon gives it before SIGKILL."""
import os
import subprocess
import time

import pytest

from conftest import ROOT
from grpcfd import ModuleProcess, varints

MODULE = os.path.join(ROOT, "src", "BackupPlugins.GrpcModule", "bin", "Release", "net10.0", "backupplugins")


@pytest.fixture(scope="module", autouse=True)
def built_module():
    if not os.path.exists(MODULE) or os.environ.get("BP_REBUILD") == "1":
        subprocess.run(["dotnet", "build", "-c", "Release", "--nologo", "-v", "q", os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.dirname(MODULE)))))], check=True)


def test_the_module_answers_setup_on_fd_3_and_exits_when_the_daemon_closes_it(work):
    module = ModuleProcess(MODULE, os.path.join(work, "module.err"))
    try:
        assert module.unary("Setup") == (0, b"")
        # during Setup, on fd 4: the events the python3-fd shim takes (bareos.core EventType numbers)
        [(method, request)] = module.core_server.calls
        assert method == "Events_Register" and request[0] == 0x0A and request[1] == len(request) - 2
        assert varints(request[2:]) == [1, 2, 3, 4, 5, 6, 9, 10, 11, 17, 20, 12, 13, 14, 16, 15]
        module.close()
        closed = time.perf_counter()
        assert module.proc.wait(5) == 0
        assert time.perf_counter() - closed < 1.0
    finally:
        if module.proc.poll() is None:
            module.proc.kill()
    assert open(os.path.join(work, "module.err")).read() == ""


def test_started_by_hand_it_says_what_it_is_and_exits_2():
    r = subprocess.run([MODULE], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr == ("backupplugins: fd 3 (the plugin service) is not the Unix stream socket the file daemon gives: backupplugins is a "
                        "Bareos grpc-fd module, started "
                        "by the file daemon for a FileSet's `Plugin = \"grpc:backupplugins:…\"`, not by hand\n")
