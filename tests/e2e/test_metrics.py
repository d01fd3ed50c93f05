# SPDX-License-Identifier: AGPL-3.0-or-later
"""/metrics: Debian's real Prometheus server, started by the test on loopback, scrapes the host every second while a
job runs, and answers queries for the job counter, the bytes sent and what the job held meanwhile."""
import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import Host
from trees import make_corpus


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prometheus(work):
    """(start(target), query(expr)): a Prometheus scraping `target` every second, its data under work."""
    procs = []
    port = free_port()

    def start(target):
        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: backupplugins\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)
        log = open(os.path.join(work, "prometheus.log"), "wb")
        procs.append(subprocess.Popen(["prometheus", "--config.file", config, "--storage.tsdb.path", os.path.join(work, "tsdb"),
                                       "--web.listen-address", "127.0.0.1:%d" % port], stdout=log, stderr=log))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/-/ready" % port, timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("prometheus did not start: " + open(os.path.join(work, "prometheus.log")).read()[-2000:])

    def query(expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
        reply = json.load(urllib.request.urlopen(url, timeout=5))
        assert reply["status"] == "success", reply
        return {tuple(sorted(r["metric"].items())): float(r["value"][1]) for r in reply["data"]["result"]}

    yield start, query
    for p in procs:
        p.terminate()
        p.wait(10)


def test_prometheus_scrapes_the_host_during_a_job_and_answers_for_it(built_host, work, fd, prometheus):
    start, query = prometheus
    metrics = "127.0.0.1:%d" % free_port()
    host = Host(built_host, work, extra=["--metrics", metrics]).start()
    try:
        start(metrics)
        src = os.path.join(work, "src")
        make_corpus(src)
        with open(os.path.join(src, "big.bin"), "wb") as f:
            f.write(os.urandom(1 << 20))
        deadline = time.time() + 30
        while not query('up{job="backupplugins"} == 1'):  # the first scrape
            assert time.time() < deadline
            time.sleep(0.5)
        jobid = fd.backup("source=dir:path=%s:lockfile=%s:socket=%s" % (src, os.path.join(work, "job.lock"), host.socket),
                          pause_before_data_of=[os.path.join(src, "big.bin"), 3])
        assert fd.job(jobid)["status"] == "T"
        time.sleep(2.5)  # one more scrape after the end
        job = ("job", "backupplugins")
        assert query("backupplugins_jobs_ended_total") == {
            (("__name__", "backupplugins_jobs_ended_total"), ("instance", metrics), job, ("outcome", "ok"), ("source", "dir")): 1.0}
        assert query("backupplugins_jobs_started_total")[
            (("__name__", "backupplugins_jobs_started_total"), ("instance", metrics), job, ("kind", "backup"), ("source", "dir"))] == 1.0
        inodes = {os.lstat(os.path.join(d, n)).st_ino: os.lstat(os.path.join(d, n)).st_size for d, _, ns in os.walk(src) for n in ns
                  if os.path.isfile(os.path.join(d, n)) and not os.path.islink(os.path.join(d, n))}
        sent = sum(inodes.values())  # a hard link's other names are links, not files
        [(_, entry_bytes)] = query('backupplugins_entry_bytes_total{source="dir"}').items()
        assert entry_bytes == sent, (entry_bytes, sent)
        [(_, streamed)] = query('backupplugins_bytes_total{source="dir"}').items()
        assert streamed == 0  # datapath=path: the file daemon read the files itself
        [(_, held)] = query('max_over_time(backupplugins_held_effects{source="dir"}[1m])').items()
        assert held >= 1  # the job's lock, seen while the job ran
        [(_, now_held)] = query('backupplugins_held_effects{source="dir"}').items()
        assert now_held == 0
        assert query('backupplugins_build_info == 1')
        count = query('backupplugins_phase_duration_seconds_count{source="dir",phase="streaming"}')
        assert list(count.values()) == [1.0], count
    finally:
        host.stop()
