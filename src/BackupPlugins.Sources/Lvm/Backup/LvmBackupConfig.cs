// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// The seed's backup profile (an .ini as Python's ConfigParser reads it: <c>[section]</c>, <c>key = value</c> or
/// <c>key: value</c>, <c>;</c> and <c>#</c> comment lines, indented continuation lines, option names case-insensitive),
/// read as it is, and checked: every problem at once, each naming its section and key. Fixed: a value in matching
/// quotes is taken without them (ConfigParser kept them, so the seed's own example named its snapshot
/// <c>"host-xub-precise-backsnap"</c> with the quotes, which lvcreate refuses); <c>source_root</c> is what a
/// <c>source_type=dir</c> run backs up (the seed ignored it and archived an empty directory); <c>archive_prefix</c>
/// defaults to the volume's name and a dash (the seed crashed without it). New keys: <c>[backup] keep_months</c>,
/// <c>verify</c>, <c>dar_warnings</c> (warn|fail), <c>[lvm] fill_limit</c>; <c>[rsync] even_if_backup_failed</c> and
/// <c>touch_file</c> work (the seed documented them as not implemented).
/// </summary>
public sealed partial record LvmBackupConfig
{
    public required string SourceType { get; init; }
    public required string Target { get; init; }
    public required string ArchivePrefix { get; init; }
    public IReadOnlyList<string> Subdirs { get; init; } = [];
    public string? SourceRoot { get; init; }
    public int KeepMonths { get; init; }
    public bool Verify { get; init; } = true;
    public bool DarWarningsFail { get; init; }
    public string Vg { get; init; } = "";
    public string Lv { get; init; } = "";
    public string SnapshotName { get; init; } = "";
    public string SnapshotSize { get; init; } = "";
    public int FillLimit { get; init; } = 90;
    public IReadOnlyList<string> BindMounts { get; init; } = [];
    public bool RsyncEnabled { get; init; }
    public string? RsyncTarget { get; init; }
    public bool RsyncEvenIfBackupFailed { get; init; }
    public string? TouchFile { get; init; }

    private static readonly Dictionary<string, string[]> Known = new()
    {
        ["backup"] = ["source_type", "target", "archive_prefix", "subdirs", "source_root", "keep_months", "verify", "dar_warnings"],
        ["lvm"] = ["volume_group", "logical_volume", "snapshot_lv_name", "snapshot_size", "fill_limit"],
        ["bindmounts"] = ["equals"],
        ["rsync"] = ["enabled", "target_dir", "even_if_backup_failed", "touch_file"],
    };

    public static LvmBackupConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FormatException($"{path}: no such backup profile (the seed read a missing file as an empty one and failed later)");
        }
        return Parse(File.ReadAllLines(path), path);
    }

    public static LvmBackupConfig Parse(IReadOnlyList<string> lines, string name)
    {
        var problems = new List<string>();
        var ini = Read(lines, name, problems);
        string? Get(string section, string key) => ini.TryGetValue(section, out var s) && s.TryGetValue(key, out var v) ? v : null;
        string Required(string section, string key, string what)
        {
            var value = Get(section, key);
            if (string.IsNullOrEmpty(value))
            {
                problems.Add($"[{section}] {key} is missing: {what}");
            }
            return value ?? "";
        }
        bool Flag(string section, string key, bool fallback)
        {
            var value = Get(section, key)?.ToLowerInvariant();
            switch (value)
            {
                case null:
                    return fallback;
                case "1" or "yes" or "true" or "on":
                    return true;
                case "0" or "no" or "false" or "off":
                    return false;
                default:
                    problems.Add($"[{section}] {key} = {value}: give yes or no (true/false, on/off, 1/0)");
                    return fallback;
            }
        }
        int Number(string section, string key, int fallback, int min, int max)
        {
            var text = Get(section, key);
            if (text is null)
            {
                return fallback;
            }
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            {
                return n;
            }
            problems.Add($"[{section}] {key} = {text}: give a whole number from {min} to {max}");
            return fallback;
        }
        IReadOnlyList<string> Words(string section, string key)
        {
            try
            {
                return ShellWords.Split(Get(section, key) ?? "");
            }
            catch (FormatException ex)
            {
                problems.Add($"[{section}] {key}: {ex.Message}");
                return [];
            }
        }

        var sourceType = (Get("backup", "source_type") ?? "lvm").ToLowerInvariant();
        if (sourceType is not ("lvm" or "dir"))
        {
            problems.Add($"[backup] source_type = {sourceType}: give lvm (a snapshot of [lvm] logical_volume) or dir ([backup] source_root)");
        }
        var target = Required("backup", "target", "the directory the monthly archive sets go to");
        if (target.Length > 0 && !Path.IsPathFullyQualified(target))
        {
            problems.Add($"[backup] target = {target}: give an absolute path");
        }
        var config = new LvmBackupConfig
        {
            SourceType = sourceType,
            Target = target.TrimEnd('/'),
            ArchivePrefix = "",
            Subdirs = Words("backup", "subdirs"),
            SourceRoot = Get("backup", "source_root"),
            KeepMonths = Number("backup", "keep_months", 0, 0, 10_000),
            Verify = Flag("backup", "verify", true),
            DarWarningsFail = (Get("backup", "dar_warnings") ?? "warn").ToLowerInvariant() switch
            {
                "warn" => false,
                "fail" => true,
                var other => Problem($"[backup] dar_warnings = {other}: give warn (dar's exit codes 5 and 11 are warnings) or fail"),
            },
            BindMounts = Words("bindmounts", "equals"),
            RsyncEnabled = Flag("rsync", "enabled", false),
            RsyncTarget = Get("rsync", "target_dir")?.TrimEnd('/'),
            RsyncEvenIfBackupFailed = Flag("rsync", "even_if_backup_failed", false),
            TouchFile = Get("rsync", "touch_file"),
        };
        if (sourceType == "lvm")
        {
            config = config with
            {
                Vg = Required("lvm", "volume_group", "the volume group of the logical volume"),
                Lv = Required("lvm", "logical_volume", "the logical volume to back up"),
                SnapshotName = Required("lvm", "snapshot_lv_name", "the name of the snapshot the run makes (and removes)"),
                SnapshotSize = Required("lvm", "snapshot_size", "the snapshot's space, as lvcreate takes it (2G, 20%ORIGIN)"),
                FillLimit = Number("lvm", "fill_limit", 90, 1, 100),
            };
            foreach (var (key, value) in new[] { ("volume_group", config.Vg), ("logical_volume", config.Lv), ("snapshot_lv_name", config.SnapshotName) })
            {
                if (value.Length > 0 && !LvmName().IsMatch(value))
                {
                    problems.Add($"[lvm] {key} = {value}: not an LVM name (letters, digits, + _ . -)");
                }
            }
            if (config.SnapshotSize.Length > 0 && !LvmTool.IsSize(config.SnapshotSize))
            {
                problems.Add($"[lvm] snapshot_size = {config.SnapshotSize}: give a size such as 2G or 500M, or N%ORIGIN, N%FREE, N%VG");
            }
        }
        else if (string.IsNullOrEmpty(config.SourceRoot) || !Path.IsPathFullyQualified(config.SourceRoot))
        {
            problems.Add("[backup] source_root is missing or not absolute: source_type = dir backs up that directory");
        }
        foreach (var bind in config.BindMounts.Where(b => !Path.IsPathFullyQualified(b) || b.TrimEnd('/').Length == 0))
        {
            problems.Add($"[bindmounts] equals: {bind} is not an absolute path other than /");
        }
        if (config.BindMounts.Count > 0 && sourceType != "lvm")
        {
            problems.Add("[bindmounts] equals: bind mounts go into a snapshot's view; source_type = dir has none");
        }
        foreach (var subdir in config.Subdirs.Where(s => s.Split('/').Any(p => p is ".." or ".")))
        {
            problems.Add($"[backup] subdirs: {subdir} must stay inside the source (no . or ..)");
        }
        if (config.RsyncEnabled && (config.RsyncTarget is not { Length: > 0 } rt || !Path.IsPathFullyQualified(rt)))
        {
            problems.Add("[rsync] enabled = yes needs target_dir, an absolute path");
        }
        if (config.TouchFile is { } touch && !Path.IsPathFullyQualified(touch))
        {
            problems.Add($"[rsync] touch_file = {touch}: give an absolute path");
        }
        var prefix = Get("backup", "archive_prefix")
                     ?? (sourceType == "lvm" ? config.Lv : Path.GetFileName(config.SourceRoot?.TrimEnd('/') ?? "")) + "-";
        if (prefix.Contains('/', StringComparison.Ordinal))
        {
            problems.Add($"[backup] archive_prefix = {prefix}: it starts file names, so it may not hold /");
        }
        return problems.Count == 0 ? config with { ArchivePrefix = prefix } : throw new FormatException(string.Join("\n", problems));

        bool Problem(string text)
        {
            problems.Add(text);
            return false;
        }
    }

    /// <summary>Sections of key → value; keys lower-cased, values stripped and unquoted; unknown sections and keys are problems.</summary>
    private static Dictionary<string, Dictionary<string, string>> Read(IReadOnlyList<string> lines, string name, List<string> problems)
    {
        var ini = new Dictionary<string, Dictionary<string, string>>();
        Dictionary<string, string>? section = null;
        string? sectionName = null;
        string? lastKey = null;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var n = i + 1;
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith(';') || line.TrimStart().StartsWith('#'))
            {
                continue;
            }
            if (char.IsWhiteSpace(line[0]) && section is not null && lastKey is not null)
            {
                section[lastKey] = (section[lastKey] + "\n" + line.Trim()).Trim(); // a continuation line
                continue;
            }
            if (line.StartsWith('['))
            {
                sectionName = line.Trim().TrimStart('[').TrimEnd(']').Trim();
                if (!Known.ContainsKey(sectionName))
                {
                    problems.Add($"{name} line {n}: unknown section [{sectionName}] (known: {string.Join(", ", Known.Keys.Select(k => $"[{k}]"))})");
                }
                section = ini.TryGetValue(sectionName, out var existing) ? existing : ini[sectionName] = [];
                lastKey = null;
                continue;
            }
            var separator = line.IndexOfAny(['=', ':']);
            if (section is null || separator <= 0)
            {
                problems.Add(section is null
                    ? $"{name} line {n}: \"{line.Trim()}\" comes before any [section]"
                    : $"{name} line {n}: \"{line.Trim()}\" is not key = value");
                continue;
            }
            var key = line[..separator].Trim().ToLowerInvariant();
            var value = Unquote(line[(separator + 1)..].Trim());
            if (Known.TryGetValue(sectionName!, out var keys) && !keys.Contains(key))
            {
                problems.Add($"{name} line {n}: unknown key {key} in [{sectionName}] (known: {string.Join(", ", keys)})");
            }
            section[key] = value;
            lastKey = key;
        }
        return ini;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;

    [GeneratedRegex("^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")]
    private static partial Regex LvmName();
}
