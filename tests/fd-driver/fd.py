# SPDX-License-Identifier: AGPL-3.0-or-later
"""FileDaemon: the test-side face of the FD driver. Keeps a catalog and volumes like a director and storage
daemon would, and runs every job in a fresh Python sub-interpreter, as python3-fd does.

    d = FileDaemon(workdir, shim_dir)
    full = d.backup("source=dir:path=/srv:socket=/run/bp.sock", level="F")
    d.restore([full], where="/tmp/r")
"""
import _xxsubinterpreters as interpreters
import json
import os
import re
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FT_DIREND, FT_DELETED, FT_LNK, FT_LNKSAVED, FT_NOCHG, FT_DIRNOCHG = 5, 23, 4, 1, 10, 11


class FileDaemon:
    def __init__(self, workdir, module_path, module_name="bareos-fd-backupplugins", fd_version=25, isolate=True):
        self.workdir = workdir
        self.module_path = module_path
        self.module_name = module_name
        self.fd_version = fd_version
        self.isolate = isolate
        self.jobs = {}
        self.next_id = 1
        os.makedirs(workdir, exist_ok=True)

    def command(self, definition):
        return "python3:module_path=%s:module_name=%s:%s" % (self.module_path, self.module_name, definition)

    # ---- jobs ------------------------------------------------------------------------------------
    def backup(self, definition, level="F", accurate=False, since_job=None, plugin_options=(), **extra):
        jobid = self.next_id
        self.next_id += 1
        chain = self.chain(since_job) if since_job else []
        since = self.jobs[since_job]["start"] if since_job else 0
        accurate_list = {}
        if accurate and chain:
            for entry in self.merged(chain).values():
                key = entry["link"] if entry["type"] in (FT_DIREND, FT_DIRNOCHG) else entry["fname"]
                accurate_list[key] = entry["statp"]
        start = int(time.time())
        if not definition.endswith(":"):
            definition += ":"
        spec = {
            "kind": "backup", "definition": definition, "cmd": self.command(definition.rstrip(":")),
            "plugin_options": list(plugin_options), "accurate": accurate, "accurate_list": accurate_list,
            "volume": os.path.join(self.workdir, "job-%d.vol" % jobid),
            "values": self.values(jobid, level, "I", since, accurate, None),
        }
        spec.update(extra)
        result = self.run(spec, jobid)
        result.update({"jobid": jobid, "level": level, "start": start, "parent": since_job, "cmd": spec["cmd"],
                       "definition": definition})
        self.jobs[jobid] = result
        return jobid

    def estimate(self, definition, **extra):
        """An estimate job: files and bytes counted from the stat packets, no data read, nothing stored."""
        jobid = self.next_id
        self.next_id += 1
        if not definition.endswith(":"):
            definition += ":"
        spec = {"kind": "estimate", "definition": definition, "cmd": self.command(definition.rstrip(":")),
                "values": self.values(jobid, "F", "B", 0, False, None)}
        spec.update(extra)
        result = self.run(spec, jobid)
        result["jobid"] = jobid
        return result

    def restore(self, jobids, where="", regexwhere=None, replace="a", plugin_options=(), **extra):
        jobid = self.next_id
        self.next_id += 1
        entries = []
        merged = self.merged(jobids)
        for entry in sorted(merged.values(), key=lambda e: (e["jobid"], e["file_index"])):
            ofname = self.rewrite(entry["fname"], where, regexwhere)
            olname = entry["link"]
            if entry["type"] == FT_LNKSAVED:
                olname = self.rewrite(olname, where, regexwhere)
            job = self.jobs[entry["jobid"]]
            entries.append(dict(entry, ofname=ofname, olname=olname if entry["type"] != FT_DIREND else "",
                                cmd=job["cmd"], definition=job["definition"]))
        spec = {
            "kind": "restore", "entries": entries, "where": where, "regexwhere": regexwhere, "replace": replace,
            "plugin_options": list(plugin_options),
            "volumes": {str(j): os.path.join(self.workdir, "job-%d.vol" % j) for j in self.jobs},
            "values": self.values(jobid, " ", "R", 0, False, where),
        }
        if regexwhere:  # a real Bareos 25.1 regexwhere restore: GetValue(bVarWhere/bVarRegexWhere) give nothing (measured)
            spec["values"]["13"] = spec["values"]["14"] = None
        spec.update(extra)
        result = self.run(spec, jobid)
        result["jobid"] = jobid
        self.jobs[jobid] = result
        return jobid

    def values(self, jobid, level, jtype, since, accurate, where):
        return {"1": jobid, "2": "test-fd", "3": ord(level), "4": ord(jtype), "5": "test-fd",
                "6": "job-%d" % jobid, "7": ord("R"), "8": since, "9": 1 if accurate else 0,
                "12": self.workdir, "13": where, "14": None, "15": "/usr/sbin/", "16": "25.1.0 (03 August 2026)",
                "18": "", "19": 0, "20": True, "21": "/etc/bareos/bareos-fd.conf"}

    def run(self, spec, jobid):
        spec.update({"module_path": self.module_path, "module_name": self.module_name, "fd_version": self.fd_version})
        spec_path = os.path.join(self.workdir, "job-%d.spec.json" % jobid)
        result_path = os.path.join(self.workdir, "job-%d.result.json" % jobid)
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        code = "import sys; sys.path.insert(0, %r); import fdcore; fdcore.run(%r, %r)" % (HERE, spec_path, result_path)
        if self.isolate:
            interp = interpreters.create(isolated=False)  # Py_NewInterpreter, as python3-fd: threads allowed
            try:
                interpreters.run_string(interp, code)
            finally:
                interpreters.destroy(interp)
        else:
            exec(code, {})
        with open(result_path) as f:
            return json.load(f)

    # ---- catalog -----------------------------------------------------------------------------------
    def chain(self, jobid):
        jobs = []
        while jobid is not None:
            jobs.append(jobid)
            jobid = self.jobs[jobid]["parent"]
        return list(reversed(jobs))

    def merged(self, jobids):
        """Latest version of each name over the jobs (unchanged entries keep their older version)."""
        merged = {}
        for jobid in jobids:
            for record in self.jobs[jobid]["files"]:
                key = record["fname"]
                if record["type"] == FT_DELETED:
                    merged.pop(key, None)
                    continue
                if record["type"] in (FT_NOCHG, FT_DIRNOCHG) or record.get("not_saved"):
                    continue
                merged[key] = dict(record, jobid=jobid)
        return merged

    @staticmethod
    def rewrite(name, where, regexwhere):
        if regexwhere:
            for part in [p for p in regexwhere.split(",") if p]:
                sep = part[0]
                pieces = part[1:].split(sep)
                name = re.sub(pieces[0], pieces[1], name)
            return name
        if where and where != "/":
            return where.rstrip("/") + name
        return name

    def job(self, jobid):
        return self.jobs[jobid]
