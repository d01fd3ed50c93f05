# SPDX-License-Identifier: AGPL-3.0-or-later
"""Options and command definitions: tools/args.h, tools/command-lines.in, tools/lvmcmdline.c."""

# tools/args.h in its enum order (which orders usage lines and option checks):
# name, short option ('-' for none), value type ('-' for none), flags (c: countable, g: groupable)
_OPTION_TABLE = """
addtag - tag g|aligned - - -|alloc - alloc -|binary - - -|cachedevice - pv g|
cachemetadataformat - cachemetadataformat -|cachemode - cachemode -|cachepolicy - string -|cachepool - lv -|
cachesettings - string g|cachesize - sizemb -|cachevol - lv -|commandprofile - string -|compression - bool -|
config - string -|configreport - configreport g|deduplication - bool -|devices - pv g|devicesfile - string -|
discards - discards -|driverloaded - bool -|errorwhenfull - bool -|foreign - - -|headings - headings -|
ignorelockingfailure - - -|ignoremonitoring - - -|ignoreskippedcluster - - -|integritysettings - string g|
journal - string -|lockopt - string -|logonly - - -|longhelp - - -|maxrecoveryrate - sizekb -|
metadataprofile - string -|minor - number g|minrecoveryrate - sizekb -|mirrorlog - mirrorlog -|monitor - bool -|
nameprefixes - - -|noheadings - - -|nohints - - -|nohistory - - -|nolocking - - -|nosuffix - - -|nosync - - -|
noudevsync - - -|pooldatavdo - bool -|poolmetadatasize - sizemb -|poolmetadataspare - bool -|profile - string -|
raidintegrity - bool -|raidintegrityblocksize - number -|raidintegritymode - string -|readonly - - -|
reportformat - reportformat -|rows - - -|segments - - -|separator - string -|setautoactivation - bool -|
shared - - -|thinpool - lv -|trustcache - - -|type - segtype -|unbuffered - - -|units - units -|unquoted - - -|
vdo - - -|vdopool - lv -|vdosettings - string g|version - - -|available - activation -|corelog - - -|
raidmaxrecoveryrate - sizekb -|raidminrecoveryrate - sizekb -|virtualoriginsize - sizemb -|activate a activation -|
all a - -|autobackup A bool -|chunksize c sizekb -|contiguous C bool -|debug d - c|force f - c|help h - -|
cache H - -|history H - -|stripes i number -|stripesize I sizekb -|major j number g|setactivationskip k bool -|
ignoreactivationskip K - -|extents l extents -|size L sizemb -|mirrors m number -|persistent M bool -|
name n string -|options o string g|sort O string g|permission p permission -|partial P - -|quiet q - c|
readahead r readahead -|regionsize R regionsizemb -|snapshot s - -|select S string g|test t - -|thin T - -|
verbose v - c|virtualsize V sizemb -|wipesignatures W bool -|yes y - -|zero Z bool -
"""
OPTIONS = {}
for _i, _row in enumerate(r.split() for r in _OPTION_TABLE.replace("\n", "").split("|")):
    OPTIONS[_row[0]] = {"order": _i, "short": "" if _row[1] == "-" else _row[1],
                        "val": None if _row[2] == "-" else _row[2], "flags": _row[3]}

# tools/lvmcmdline.c _opt_synonym_to_standard()
SYNONYMS = {"corelog": "mirrorlog", "available": "activate", "raidminrecoveryrate": "minrecoveryrate",
            "raidmaxrecoveryrate": "maxrecoveryrate", "virtualoriginsize": "virtualsize"}

OO_ALL = ("commandprofile config debug driverloaded help nolocking lockopt longhelp profile quiet verbose version "
          "yes test devicesfile devices nohints journal")
OO_LVCREATE = ("addtag alloc autobackup activate contiguous ignoreactivationskip ignoremonitoring major "
               "metadataprofile minor monitor name nosync noudevsync permission persistent readahead reportformat "
               "setactivationskip wipesignatures zero setautoactivation")
OO_LVCREATE_CACHE = "cachemode cachepolicy cachesettings chunksize cachemetadataformat"
OO_LVCREATE_POOL = "poolmetadatasize poolmetadataspare chunksize"
OO_LVCREATE_VDO = "compression deduplication vdosettings"
OO_LVCREATE_THINPOOL = "discards errorwhenfull pooldatavdo " + OO_LVCREATE_VDO + " " + OO_LVCREATE_POOL
OO_LVCREATE_RAID = ("regionsize minrecoveryrate maxrecoveryrate raidintegrity raidintegritymode "
                    "raidintegrityblocksize integritysettings")
OO_REPORT = ("foreign ignorelockingfailure readonly reportformat shared units all aligned binary configreport "
             "logonly headings nameprefixes noheadings nosuffix options rows select separator sort unbuffered "
             "unquoted")
STRIPES = "stripes stripesize"


def _d(required, oo="", op=False, io="", autotype="", desc=""):
    """One command definition of tools/command-lines.in: required options and positional args; optional options
    (always with OO_ALL), whether optional PV args follow, ignored options, implied types, description lines."""
    words = required.split()
    ro, rp = [], []
    i = 1
    while i < len(words):
        w = words[i]
        if w.startswith("--"):
            name = w[2:]
            arg = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") and \
                OPTIONS[name]["val"] is not None else None
            if arg is not None:
                i += 1
            ro.append((name, arg))
        elif w == "..." and rp:
            rp[-1] += " ..."  # the positional arg may repeat
        else:
            rp.append(w)
        i += 1
    ro.sort(key=lambda o: OPTIONS[o[0]]["order"])  # tools/command.c _sort_opt_args
    return {"name": words[0], "ro": ro, "rp": rp, "oo": set((oo + " " + OO_ALL).split()),
            "op": op, "io": {x.partition("=")[0]: x.partition("=")[2] or None for x in io.split()},
            "autotype": autotype.split(),
            "desc": [line.strip() for line in desc.split("|") if line.strip()]}


C, P, T = OO_LVCREATE, OO_LVCREATE_POOL, OO_LVCREATE_THINPOOL
COMMANDS = {
    "lvcreate": [
        _d("lvcreate --type error --size SizeMB VG", C, desc="Create an LV that returns errors when used."),
        _d("lvcreate --type zero --size SizeMB VG", C, desc="Create an LV that returns zeros when read."),
        _d("lvcreate --type linear --size SizeMB VG", C, True, "mirrors=0 stripes=1", desc="Create a linear LV."),
        _d("lvcreate --size SizeMB VG", C, True, "mirrors=0 stripes=1", "linear", "Create a linear LV."),
        _d("lvcreate --type striped --size SizeMB VG", STRIPES + " " + C, True,
           desc="Create a striped LV (also see lvcreate --stripes)."),
        _d("lvcreate --stripes Number --size SizeMB VG", "stripesize " + C, True, "", "striped",
           "Create a striped LV."),
        _d("lvcreate --type mirror --size SizeMB VG", STRIPES + " mirrors mirrorlog regionsize " + C, True,
           desc="Create a mirror LV (also see --type raid1)."),
        _d("lvcreate --mirrors PNumber --size SizeMB VG", "stripesize mirrorlog " + OO_LVCREATE_RAID + " " + C,
           True, "stripes=1", "raid1 mirror",
           "Create a raid1 or mirror LV.|Implicit type is defined by lvm.conf global/mirror_segtype_default."),
        _d("lvcreate --type raid --size SizeMB VG", "mirrors " + STRIPES + " " + OO_LVCREATE_RAID + " " + C, True,
           desc="Create a raid LV (a specific raid level must be used, e.g. raid1)."),
        _d("lvcreate --mirrors PNumber --stripes Number --size SizeMB VG", "stripesize " + OO_LVCREATE_RAID + " " + C,
           True, "", "raid10", "Create a raid10 LV."),
        _d("lvcreate --type snapshot --size SizeMB LV", "snapshot " + STRIPES + " chunksize " + C, True,
           desc="Create a COW snapshot LV of an origin LV|(also see --snapshot)."),
        _d("lvcreate --snapshot --size SizeMB LV", STRIPES + " chunksize " + C, True, "", "snapshot",
           "Create a COW snapshot LV of an origin LV."),
        _d("lvcreate --type snapshot --size SizeMB --virtualsize SizeMB VG", "snapshot chunksize " + C, True,
           desc="Create a sparse COW snapshot LV of a virtual origin LV|(also see --snapshot)."),
        _d("lvcreate --type thin-pool --size SizeMB VG", "thinpool " + STRIPES + " thin " + T + " " + C, True,
           "mirrors=0", desc="Create a thin pool."),
        _d("lvcreate --thin --size SizeMB VG", STRIPES + " " + T + " " + C, True, "mirrors=0", "thin-pool",
           "Create a thin pool."),
        _d("lvcreate --size SizeMB --thinpool LV_new VG", STRIPES + " thin " + T + " " + C, True, "mirrors=0",
           "thin-pool", "Create a thin pool named in --thinpool."),
        _d("lvcreate --type cache-pool --size SizeMB VG",
           STRIPES + " cache " + OO_LVCREATE_CACHE + " " + P + " " + C, True, desc="Create a cache pool."),
        _d("lvcreate --type cache-pool --size SizeMB --cachepool LV_new VG",
           STRIPES + " cache " + OO_LVCREATE_CACHE + " " + P + " " + C, True,
           desc="Create a cache pool named by the --cachepool arg|(variant, uses --cachepool in place of --name)."),
        _d("lvcreate --type thin --virtualsize SizeMB --thinpool LV_thinpool VG", "thin " + C, False, "mirrors=0",
           desc="Create a thin LV in a thin pool."),
        _d("lvcreate --type thin --virtualsize SizeMB LV_thinpool", "thin " + C, False, "mirrors=0",
           desc="Create a thin LV in a thin pool named in the first arg|"
                "(variant, also see --thinpool for naming pool)."),
        _d("lvcreate --virtualsize SizeMB --thinpool LV_thinpool VG", "thin " + C, False, "mirrors=0", "thin",
           "Create a thin LV in a thin pool."),
        _d("lvcreate --virtualsize SizeMB LV_thinpool", "thin " + C, False, "mirrors=0", "thin",
           "Create a thin LV in the thin pool named in the first arg|(also see --thinpool for naming pool.)"),
        _d("lvcreate --type thin LV_thin", "thin snapshot " + C, False, "mirrors=0",
           desc="Create a thin LV that is a snapshot of an existing thin LV."),
        _d("lvcreate --thin LV_thin", "snapshot " + C, False, "mirrors=0", "thin",
           "Create a thin LV that is a snapshot of an existing thin LV."),
        _d("lvcreate --snapshot LV_thin", C, False, "mirrors=0", "thin",
           "Create a thin LV that is a snapshot of an existing thin LV."),
        _d("lvcreate --type thin --thinpool LV_thinpool LV", "thin " + C, False, "mirrors=0",
           desc="Create a thin LV that is a snapshot of an external origin LV."),
        _d("lvcreate --snapshot --thinpool LV_thinpool LV", C, False, "mirrors=0", "thin",
           "Create a thin LV that is a snapshot of an external origin LV."),
        _d("lvcreate --type vdo --size SizeMB VG", STRIPES + " vdo virtualsize vdopool " + OO_LVCREATE_VDO + " " + C,
           True, "mirrors=0", desc="Create a LV that returns VDO when used."),
        _d("lvcreate --vdo --size SizeMB VG", STRIPES + " virtualsize vdopool " + OO_LVCREATE_VDO + " " + C, True,
           "mirrors=0", "vdo", "Create a VDO LV with VDO pool."),
        _d("lvcreate --vdopool LV_new --size SizeMB VG", STRIPES + " virtualsize " + OO_LVCREATE_VDO + " " + C, True,
           "mirrors=0", "vdo", "Create a VDO LV with VDO pool."),
        _d("lvcreate --type thin --virtualsize SizeMB --size SizeMB --thinpool LV_new VG",
           STRIPES + " thin " + T + " " + C, True, "mirrors=0",
           desc="Create a thin LV, first creating a thin pool for it,|"
                "where the new thin pool is named by the --thinpool arg."),
        _d("lvcreate --virtualsize SizeMB --size SizeMB --thinpool LV_new VG", STRIPES + " thin " + T + " " + C, True,
           "mirrors=0", "thin",
           "Create a thin LV, first creating a thin pool for it,|where the new thin pool is named by --thinpool."),
        _d("lvcreate --type thin --virtualsize SizeMB --size SizeMB LV_new|VG", STRIPES + " thin " + T + " " + C,
           True, "mirrors=0",
           desc="Create a thin LV, first creating a thin pool for it,|where the new thin pool is named in the first "
                "arg,|or the new thin pool name is generated when the first|arg is a VG name."),
        _d("lvcreate --thin --virtualsize SizeMB --size SizeMB LV_new|VG", STRIPES + " " + T + " " + C, True,
           "mirrors=0", "thin",
           "Create a thin LV, first creating a thin pool for it,|where the new thin pool is named in the first arg,|"
           "or the new thin pool name is generated when the first|arg is a VG name."),
        _d("lvcreate --size SizeMB --virtualsize SizeMB VG", STRIPES + " snapshot thin " + T + " " + C, True,
           "mirrors=0", "thin snapshot",
           "Create a thin LV, first creating a thin pool for it.|Create a sparse snapshot of a virtual origin LV|"
           "Chooses type thin or snapshot according to|config setting sparse_segtype_default."),
        _d("lvcreate --type cache --size SizeMB --cachepool LV_cachepool VG",
           STRIPES + " cache " + OO_LVCREATE_CACHE + " " + P + " " + C, True,
           desc="Create a new LV, then attach the specified cachepool|which converts the new LV to type cache."),
        _d("lvcreate --size SizeMB --cachepool LV_cachepool VG", STRIPES + " cache " + OO_LVCREATE_CACHE + " " + C,
           True, "", "cache",
           "Create a new LV, then attach the specified cachepool|which converts the new LV to type cache."),
        _d("lvcreate --type cache --size SizeMB LV_cachepool",
           STRIPES + " cache " + OO_LVCREATE_CACHE + " " + P + " " + C, True,
           desc="Create a new LV, then attach the specified cachepool|which converts the new LV to type cache.|"
                "(variant, also use --cachepool)."),
        _d("lvcreate --cache --size SizeMB LV", OO_LVCREATE_CACHE + " " + P + " " + C + " " + STRIPES, True, "",
           "cache",
           "When the LV arg is a cachepool, then create a new LV and|attach the cachepool arg to it.|"
           "(variant, use --type cache and --cachepool.)|When the LV arg is not a cachepool, then create a new "
           "cachepool|and attach it to the LV arg (alternative, use lvconvert.)"),
        _d("lvcreate --type cache --size SizeMB --cachevol LV VG", STRIPES + " " + OO_LVCREATE_CACHE + " " + C, True,
           desc="Create a new LV, then attach the specified cachevol|which converts the new LV to type cache."),
        _d("lvcreate --type cache --size SizeMB --cachedevice PV VG",
           STRIPES + " cachesize " + OO_LVCREATE_CACHE + " " + C, True,
           desc="Create a new LV, then attach a cachevol created from|the specified cache device, which converts the|"
                "new LV to type cache."),
        _d("lvcreate --type writecache --size SizeMB --cachevol LV VG", C + " cachesettings " + STRIPES, True,
           desc="Create a new LV, then attach the specified cachevol|which converts the new LV to type writecache."),
        _d("lvcreate --type writecache --size SizeMB --cachedevice PV VG",
           C + " cachesize cachesettings " + STRIPES, True,
           desc="Create a new LV, then attach a cachevol created from|the specified cache device, which converts the|"
                "new LV to type writecache."),
    ],
    "lvremove": [_d("lvremove VG|LV|Tag|Select ...", "autobackup force nohistory noudevsync reportformat select")],
    "lvs": [_d("lvs", "history segments " + OO_REPORT, True, "partial ignoreskippedcluster trustcache")],
    "vgs": [_d("vgs", OO_REPORT, True, "partial ignoreskippedcluster trustcache")],
}
for _cmd in ("lvs", "vgs"):
    COMMANDS[_cmd][0]["rules"] = [("noheadings", "headings")]  # RULE: --noheadings not --headings

# The union of every definition's options is what getopt accepts for a command name (tools/lvmcmdline.c
# _set_valid_args_for_command_name), plus --extents where --size is accepted, plus synonyms.
VALID = {}
for _name, _defs in COMMANDS.items():
    _opts = set()
    for _def in _defs:
        _opts |= {o for o, _ in _def["ro"]} | _def["oo"] | set(_def["io"])
    if "size" in _opts:
        _opts.add("extents")
    _opts |= {syn for syn, std in SYNONYMS.items() if std in _opts}
    VALID[_name] = _opts

SEGTYPES = {"striped", "linear", "snapshot", "mirror", "raid", "raid0", "raid0_meta", "raid1", "raid10",
            "raid10_near", "raid4", "raid5", "raid5_la", "raid5_ra", "raid5_ls", "raid5_rs", "raid5_n", "raid6",
            "raid6_zr", "raid6_nr", "raid6_nc", "raid6_ls_6", "raid6_rs_6", "raid6_la_6", "raid6_ra_6", "raid6_n_6",
            "thin", "thin-pool", "cache", "cache-pool", "writecache", "integrity", "vdo", "vdo-pool", "error", "zero"}
