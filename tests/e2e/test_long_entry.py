# SPDX-License-Identifier: AGPL-3.0-or-later
"""A long entry whose data the host streams gets a job message with its size, time and rate when it ends (the python3
plugin cannot speak in the middle of an entry: the file daemon's core reads the data socket itself); short ones none."""
import os
import re

from conftest import Host


def test_a_streamed_entry_that_takes_long_is_reported_with_its_size_and_rate(built_host, work, fd):
    host = Host(built_host, work, extra=["--long-entry-seconds", "2"]).start()
    try:
        src = os.path.join(work, "src")
        os.makedirs(src)
        big = os.path.join(src, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(1 << 20))
        with open(os.path.join(src, "small.txt"), "w") as f:
            f.write("small\n")
        jobid = fd.backup("source=dir:path=%s:datapath=socket:socket=%s" % (src, host.socket), read_delay_of=[big, 0.6])
        job = fd.job(jobid)
        assert job["status"] == "T"
        infos = [text for kind, text in job["messages"] if "MiB/s" in text or "KiB/s" in text or " B/s" in text]
        assert len(infos) == 1, job["messages"]
        assert re.fullmatch(r"%s: 1\.0 MiB in [2-9] s, \d+\.\d KiB/s\n?" % re.escape(big), infos[0]), infos[0]
    finally:
        host.stop()
