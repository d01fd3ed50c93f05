# SPDX-License-Identifier: AGPL-3.0-or-later
"""A XenServer / XCP-ng pool for the tests: the fake XAPI (tests/fakes/xapi) serving <work>/xapi on a Unix socket and
a free loopback TCP port, and helpers that put a pool, hosts, SRs, networks, VMs, disks (sparse images with data at
offsets), templates and the control domain into its database, read it back, inject faults and read calls.log.

    w = XapiWorld(work).start()
    pool, host = w.create_pool()                 # master host "xcp-host1" at 192.0.2.10, with its dom0
    sr = w.add_sr()                              # 64 GiB "ext" SR, the pool's default SR
    net = w.add_network()
    vm = w.add_vm("web", disks=[w.disk(sr, 1 << 30, {0: b"boot", 5 << 20: b"data"})], vifs=[net],
                  os_version={"name": "Debian GNU/Linux 12 (bookworm)"})
    ... tests talk to w.unix_socket / w.url ...
    w.teardown()

Setup writes the database directly (under the fake's lock), so it works whether or not the fake is running.
"""
import fcntl
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKES = os.path.join(os.path.dirname(HERE), "fakes")
XAPI = os.path.join(FAKES, "xapi")
sys.path.insert(0, FAKES)

from xapifake import model, store  # noqa: E402
from xapifake.schema import NULL  # noqa: E402
from tlscert import make_certificate  # noqa: E402

PASSWORD = "xenroot"
GiB = 1 << 30
ODD_NAME = 'Web, "Büro" $HOME \'1\' 日本'  # commas, quotes, a dollar and non-ASCII: names XAPI allows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake(args, log):
    """Starts `xapi serve ...` and waits for its "ready" line."""
    proc = subprocess.Popen([XAPI, "serve"] + args, stdout=subprocess.PIPE, stderr=open(log, "ab"),
                            start_new_session=True, text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        raise RuntimeError("fake xapi did not start: %s" % open(log).read()[-2000:])
    return proc


def stop_fake(proc):
    if proc and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class Instance:
    """One running fake: its Unix socket, TCP port and process."""

    def __init__(self, unix_socket, port, proc, address="127.0.0.1"):
        self.unix_socket, self.port, self.proc, self.address = unix_socket, port, proc, address

    @property
    def url(self):
        return "http://%s:%d" % (self.address, self.port)


class XapiWorld:
    def __init__(self, work, password=PASSWORD, tls=False):
        """tls=True: the TCP port speaks HTTPS with a self-signed certificate for localhost and 127.0.0.1 (self.cert,
        which clients must be told to trust)."""
        self.work = work
        self.tls = tls
        self.cert = self.key = None
        self.state = os.path.join(work, "xapi")
        self.unix_socket = os.path.join(work, "xapi.sock")
        self.password = password
        self.port = None
        self.proc = None
        self.slaves = []
        self.store = store.Store(self.state)

    # ---- processes -------------------------------------------------------------------------------------------------
    def start(self):
        self.port = self.port or free_port()
        tls = []
        if self.tls:
            if self.cert is None:
                self.cert, self.key = make_certificate(self.work, prefix="xapi")
            tls = ["--cert", self.cert, "--key", self.key]
        self.proc = start_fake(["--state", self.state, "--unix", self.unix_socket, "--port", str(self.port),
                                "--password", self.password] + tls, os.path.join(self.work, "xapi.log"))
        return self

    def stop(self):
        stop_fake(self.proc)
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)

    def start_slave(self, name="xcp-host2", address="192.0.2.11", bind=None):
        """A second host of the pool, served by a slave instance on its own socket (it shares the master's database,
        as a real slave does). It listens on a port of its own, or with bind="127.0.0.2" on that loopback address
        and the master's port -- then a pool made with create_pool(address="127.0.0.1") has a master that a client
        following HOST_IS_SLAVE [127.0.0.1] really reaches. Returns an Instance."""
        host = self.add_host(name, address)
        master = self.master_address()
        sock = os.path.join(self.work, "xapi-%s.sock" % name)
        port = self.port if bind else free_port()
        proc = start_fake(["--state", self.state, "--unix", sock, "--port", str(port), "--bind", bind or "127.0.0.1",
                           "--slave-of", master, "--host-uuid", self.record("host", host)["uuid"]],
                          os.path.join(self.work, "xapi-slave.log"))
        inst = Instance(sock, port, proc, bind or "127.0.0.1")
        self.slaves.append(inst)
        return inst

    def teardown(self):
        for s in self.slaves:
            stop_fake(s.proc)
        self.stop()

    # ---- pool, hosts, storage, networks -------------------------------------------------------------------------------
    def create_pool(self, name="", master_name="xcp-host1", address="192.0.2.10"):
        """The pool and its master host (with its control domain). Returns (pool ref, host ref)."""
        host = self.add_host(master_name, address)
        with self.store.tx() as st:
            pool = st.add("pool", name_label=name, master=host)
        return pool, host

    def add_host(self, name, address):
        with self.store.tx() as st:
            uuid = store.new_uuid()
            host = st.add("host", uuid=uuid, name_label=name, hostname=name, address=address, enabled=True,
                          API_version_major=2, API_version_minor=21, API_version_vendor="XenSource",
                          memory_overhead=1 << 30, edition="xcp-ng", sched_policy="credit",
                          software_version={"product_version": "8.3.0", "product_version_text": "8.3",
                                            "product_brand": "XCP-ng", "platform_name": "XCP",
                                            "platform_version": "3.4.0", "build_number": "release/8.3",
                                            "hostname": name, "date": "2025-01-01", "xapi": "25.6",
                                            "xen": "4.17.5-6", "linux": "4.19.0+1"},
                          capabilities=["xen-3.0-x86_64", "hvm-3.0-x86_32", "hvm-3.0-x86_64"],
                          supported_bootloaders=["pygrub", "eliloader"], display="enabled")
            metrics = st.add("VM_metrics", memory_actual=4 << 30, VCPUs_number=8, state=[], hvm=False,
                             current_domain_type="pv", start_time=store.now())
            dom0 = st.add("VM", name_label="Control domain on host: %s" % name,
                          name_description="The domain which manages physical devices and manages other domains",
                          power_state="Running", is_control_domain=True, resident_on=host, domid=0,
                          memory_static_max=4 << 30, memory_dynamic_max=4 << 30, memory_dynamic_min=4 << 30,
                          memory_target=4 << 30, memory_static_min=4 << 30, VCPUs_max=8, VCPUs_at_startup=8,
                          other_config={"storage_driver_domain": "", "is_system_domain": "true"}, metrics=metrics,
                          domain_type="pv", actions_after_crash="destroy", HVM_shadow_multiplier=1.0, user_version=1)
            st.get("VM", dom0)["other_config"]["storage_driver_domain"] = dom0
            st.get("host", host)["control_domain"] = dom0
        return host

    def master_address(self):
        with self.store.tx(write=False) as st:
            pool = next(iter(st.objs("pool").values()))
            return st.get("host", pool["master"])["address"]

    def master(self):
        with self.store.tx(write=False) as st:
            return next(iter(st.objs("pool").values()))["master"]

    def add_sr(self, name="Local storage", type="ext", size=64 * GiB, full_error=None, default=True, host=None,
               base_utilisation=0, content_type=None):
        """An SR of physical_size `size` with a plugged PBD on the master (or `host`). full_error="SR_FULL" makes it
        raise SR_FULL instead of SR_BACKEND_FAILURE_44 when it is full (store.py/model.py)."""
        host = host or self.master()
        with self.store.tx() as st:
            sr = st.add("SR", name_label=name, type=type, physical_size=size,
                        content_type=content_type or ("iso" if type == "iso" else "user"),
                        other_config={"i18n-key": "local-storage"} if type in ("ext", "lvm") else {},
                        sm_config={"devserial": "scsi-fake"} if type in ("ext", "lvm") else {})
            st.add("PBD", host=host, SR=sr, currently_attached=True, device_config={"device": "/dev/sda3"})
            cfg = st.sr_config(sr)
            if full_error:
                cfg["full_error"] = full_error
            if base_utilisation:
                cfg["base_utilisation"] = base_utilisation
            if default and type != "iso":
                for pool in st.objs("pool").values():
                    pool.update(default_SR=sr, suspend_image_SR=sr, crash_dump_SR=sr)
        return sr

    def add_network(self, name="Pool-wide network associated with eth0", bridge="xenbr0", mtu=1500):
        with self.store.tx() as st:
            return st.add("network", name_label=name, bridge=bridge, MTU=mtu, managed=True,
                          other_config={"automatic": "true"}, purpose=[])

    # ---- disks and VMs -------------------------------------------------------------------------------------------------
    @staticmethod
    def disk(sr, size, data=None, name=None, **vdi_fields):
        """A disk spec for add_vm: a VDI of `size` bytes on `sr`, `data` {offset: bytes} written into its image."""
        return {"sr": sr, "size": size, "data": data or {}, "name": name, "fields": vdi_fields}

    def add_vdi(self, sr, size, data=None, name="disk", **fields):
        with self.store.tx() as st:
            uuid = store.new_uuid()
            ref = st.add("VDI", uuid=uuid, SR=sr, virtual_size=size, name_label=name, location=uuid, managed=True,
                         **fields)
            store.create_sparse(st.vdi_path(uuid), size)
        for off, b in (data or {}).items():
            self.write_vdi(ref, off, b)
        return ref

    def write_vdi(self, vdi, offset, data):
        with open(self.vdi_path(vdi), "r+b") as f:
            f.seek(offset)
            f.write(data)

    def vdi_path(self, vdi):
        with self.store.tx(write=False) as st:
            return st.vdi_path(st.get("VDI", vdi)["uuid"])

    def vdi_bytes(self, vdi):
        with open(self.vdi_path(vdi), "rb") as f:
            return f.read()

    def vdi_chunks(self, vdi, chunk=1 << 20):
        """{chunk number: bytes} of the chunks of a VDI that hold anything but zeros (only data extents are read, so
        a 1 GiB sparse disk costs what it holds)."""
        path = self.vdi_path(vdi)
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            wanted = set()
            for off, n in store.extents(fd, size):
                wanted.update(range(off // chunk, (off + n - 1) // chunk + 1))
            out = {}
            for i in sorted(wanted):
                data = os.pread(fd, chunk, i * chunk)
                if any(data):
                    out[i] = data
            return out
        finally:
            os.close(fd)

    def same_data(self, a, b):
        """Do two VDIs hold the same bytes (same virtual size, same data)?"""
        return (self.record("VDI", a)["virtual_size"] == self.record("VDI", b)["virtual_size"]
                and self.vdi_chunks(a) == self.vdi_chunks(b))

    def add_vm(self, name, power_state="Running", disks=(), vifs=(), cd=False, os_version=None, uuid=None,
               memory=2 * GiB, vcpus=2, host=None, blocked=None, **fields):
        """A VM with a VDI+VBD per disk (xvda, xvdb, ...), a VIF per network, optionally an empty CD drive (xvdd) and
        guest metrics with `os_version`. Returns its ref."""
        disk_refs = [self.add_vdi(d["sr"], d["size"], d["data"], d["name"] or "%s %d" % (name, i), **d["fields"])
                     for i, d in enumerate(disks)]
        host = host or self.master()
        with self.store.tx() as st:
            metrics = st.add("VM_metrics", memory_actual=memory if power_state != "Halted" else 0,
                             VCPUs_number=vcpus if power_state != "Halted" else 0, hvm=True,
                             current_domain_type="hvm" if power_state != "Halted" else "unspecified",
                             install_time=store.now(), start_time=store.now() if power_state != "Halted" else
                             "19700101T00:00:00Z")
            gm = NULL
            if os_version is not None:
                gm = st.add("VM_guest_metrics", os_version=os_version,
                            PV_drivers_version={"major": "9", "minor": "4", "micro": "0", "build": "1"},
                            PV_drivers_up_to_date=True, PV_drivers_detected=True, live=power_state == "Running",
                            last_updated=store.now(), networks={"0/ip": "10.0.0.%d" % random.randint(2, 250)},
                            can_use_hotplug_vbd="yes", can_use_hotplug_vif="yes")
            values = dict(
                name_label=name, power_state="Halted", memory_static_max=memory, memory_dynamic_max=memory,
                memory_dynamic_min=memory, memory_target=memory, memory_static_min=512 << 20,
                memory_overhead=20 << 20, VCPUs_max=vcpus, VCPUs_at_startup=vcpus, user_version=1,
                HVM_boot_policy="BIOS order", HVM_boot_params={"order": "cd"}, HVM_shadow_multiplier=1.0,
                platform={"timeoffset": "0", "device-model": "qemu-upstream-compat", "viridian": "false",
                          "acpi": "1", "apic": "true", "pae": "true", "nx": "true"},
                actions_after_crash="restart", actions_after_reboot="restart", actions_after_shutdown="destroy",
                other_config={"mac_seed": store.new_uuid(), "base_template_name": "Debian Bookworm 12"},
                bios_strings={"bios-vendor": "Xen", "system-manufacturer": "Xen"}, metrics=metrics,
                guest_metrics=gm, domid=-1, generation_id="0:0", blocked_operations=dict(blocked or {}),
                domain_type="hvm")
            values.update(fields)
            if uuid:
                values["uuid"] = uuid
            vm = st.add("VM", **values)
            for i, vdi in enumerate(disk_refs):
                st.add("VBD", VM=vm, VDI=vdi, device="xvd" + "abce"[i] if i < 4 else "xvd" + chr(ord("a") + i + 1),
                       userdevice=str(i if i < 3 else i + 1), bootable=i == 0, mode="RW", type="Disk",
                       unpluggable=True, other_config={"owner": ""})
            if cd:
                st.add("VBD", VM=vm, VDI=NULL, device="xvdd", userdevice="3", bootable=False, mode="RO", type="CD",
                       unpluggable=True, empty=True)
            for i, net in enumerate(vifs):
                st.add("VIF", VM=vm, network=net, device=str(i), MTU=1500, MAC_autogenerated=True,
                       MAC="ae:%02x:%02x:%02x:%02x:%02x" % tuple(random.randrange(256) for _ in range(5)))
            if power_state != "Halted":
                model.set_power_state(st, vm, power_state, host)
        return vm

    def add_template(self, name, **fields):
        """A template (not a default one): a halted VM with is_a_template."""
        return self.add_vm(name, power_state="Halted", is_a_template=True, **fields)

    # ---- the tests' standard pool and host ------------------------------------------------------------------------------
    def standard_pool(self, odd=True):
        """A master "xcp-host1" at 127.0.0.1 (so a client following HOST_IS_SLAVE reaches it), a 64 GiB SR, a network and
        VMs "web" (running; a 64 MiB boot disk and a 16 MiB second disk holding data, a VIF), "db" (halted, 8 MiB) and,
        with odd=True, one named ODD_NAME (4 MiB). Returns {name: VM ref} (also kept as self.vm_refs)."""
        self.create_pool(address="127.0.0.1")
        sr = self.add_sr()
        net = self.add_network()
        MiB = 1 << 20
        self.vm_refs = {
            "web": self.add_vm("web", disks=[self.disk(sr, 64 * MiB, {0: b"boot sector", 40 * MiB: b"web data"}),
                                             self.disk(sr, 16 * MiB, {MiB: b"second disk"})], vifs=[net],
                               os_version={"name": "Debian GNU/Linux 12 (bookworm)|/dev/xvda1"}),
            "db": self.add_vm("db", power_state="Halted", disks=[self.disk(sr, 8 * MiB, {0: b"db"})]),
        }
        if odd:
            self.vm_refs[ODD_NAME] = self.add_vm(ODD_NAME, disks=[self.disk(sr, 4 * MiB, {0: b"odd"})])
        return self.vm_refs

    def host_config(self, directory):
        """A host configuration (its path) that reaches this fake at its URL with a 0600 password file, the journal under
        <directory>/state and source=xen's work directory under <directory>/xen-work."""
        password = os.path.join(directory, "xen.pass")
        with open(password, "w") as f:
            f.write("password=%s\n" % self.password)
        os.chmod(password, 0o600)
        config = os.path.join(directory, "xen-host.json")
        with open(config, "w") as f:
            xen = {"Endpoint": self.url, "PasswordFile": password, "WorkDirectory": os.path.join(directory, "xen-work")}
            if self.tls:
                xen["CaFile"] = self.cert
            json.dump({"StateDirectory": os.path.join(directory, "state"), "Sources": {"Xen": xen}}, f)
        return config

    # ---- reading back ---------------------------------------------------------------------------------------------------
    def record(self, cls, ref):
        """The record as the API shows it (relations and usage computed)."""
        with self.store.tx(write=False) as st:
            return model.render(st, cls, ref)

    def records(self, cls):
        with self.store.tx(write=False) as st:
            return {r: model.render(st, cls, r) for r in st.objs(cls)}

    def vms(self):
        return self.records("VM")

    def vm(self, ref):
        return self.record("VM", ref)

    def snapshots(self, vm):
        return {r: rec for r, rec in self.vms().items() if rec["snapshot_of"] == vm}

    def vdis(self):
        return self.records("VDI")

    def vm_vdis(self, vm):
        """The VDIs behind a VM's disk VBDs, in VBD order."""
        with self.store.tx(write=False) as st:
            return [st.get("VBD", b)["VDI"] for b in model.related(st, "VM", "VBDs", vm)
                    if st.get("VBD", b)["type"] == "Disk" and not st.get("VBD", b)["empty"]]

    def sr_usage(self, sr):
        rec = self.record("SR", sr)
        return rec["physical_utilisation"], rec["physical_size"]

    def tasks(self):
        return self.records("task")

    def set_power_state(self, vm, state):
        with self.store.tx() as st:
            model.set_power_state(st, vm, state, self.master() if state != "Halted" else NULL)

    def set_users(self, users):
        """Local users for TCP logins, {name: password} (root's password comes from --password)."""
        with self.store.tx() as st:
            st.data["users"] = dict(users)

    # ---- faults and calls -------------------------------------------------------------------------------------------------
    def fault(self, key, **fault):
        """A fault for an API method ("VM.snapshot": error=[...], sleep=s, times=n, skip=n) or an HTTP path ("/export":
        cut_after_bytes=n, status=500, error=[...], sleep=s)."""
        path = os.path.join(self.state, "faults.json")
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the fake counts faults down under this lock
            faults = json.load(open(path)) if os.path.exists(path) else {}
            faults[key] = fault
            store.write_json(path, faults)

    def clear_faults(self):
        path = os.path.join(self.state, "faults.json")
        if os.path.exists(path):
            os.remove(path)

    def calls(self):
        path = os.path.join(self.state, "calls.log")
        return [json.loads(line) for line in open(path, encoding="utf-8")] if os.path.exists(path) else []

    def api_calls(self):
        """The API method names called, in order."""
        return [c["method"] for c in self.calls() if "method" in c]

    def clear_calls(self):
        path = os.path.join(self.state, "calls.log")
        if os.path.exists(path):
            os.remove(path)

    def wait_task(self, task, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            rec = self.record("task", task)
            if rec["status"] != "pending":
                return rec
            time.sleep(0.02)
        raise TimeoutError("task %s still pending" % task)
