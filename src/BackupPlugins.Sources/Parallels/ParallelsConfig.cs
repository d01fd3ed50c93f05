// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Config;

namespace BackupPlugins.Sources.Parallels;

/// <summary>How many copies must succeed before a VM's backup counts (and its <c>.last</c> is written).</summary>
public enum CopyPolicy { All, Any }

/// <summary>The compressor: a real program with the ini's arguments (split on whitespace, as the seed does).</summary>
public sealed record Compression(string Program, string Extension, IReadOnlyList<string> Arguments, TimeSpan Timeout);

/// <summary>
/// The seed's <c>backupParallels.ini</c>, read unchanged (configparser rules, <see cref="IniFile"/>): <c>[main]</c>
/// StatusDirectory (required), prlctl, tar, backupRotations, BeforeBackup, AfterBackup; <c>[scp]</c> destinations (one
/// <c>user@host:dir</c> per line), timeout; <c>[compression]</c> program, compressedExtension, arguments, timeout; a
/// section per VM name with BeforeSuspend and AfterResume. New, with defaults that change nothing for an existing file:
/// <c>[main] TempDirectory</c> (default /var/tmp; the seed's was macOS's /private/tmp), <c>[scp] require</c>
/// (all | any, default all) and <c>[scp] ssh_config</c> (see <see cref="SshConfig"/>).
/// </summary>
public sealed record ParallelsConfig(
    string Path, string StatusDirectory, string Prlctl, string Tar, int BackupRotations, string TempDirectory,
    IReadOnlyList<HookLine> BeforeBackup, IReadOnlyList<HookLine> AfterBackup,
    IReadOnlyList<string> Destinations, TimeSpan CopyTimeout, CopyPolicy Require, Compression Compression,
    IReadOnlyDictionary<string, (IReadOnlyList<HookLine> BeforeSuspend, IReadOnlyList<HookLine> AfterResume)> VmHooks)
{
    /// <summary>
    /// <c>[scp] ssh_config</c>: an ssh_config file given as <c>-F &lt;path&gt;</c> to every scp and ssh of the
    /// copies (<c>~/</c> means the home directory; the file must exist). Null when the key is absent or empty, the
    /// default: the tools then read the operator's own <c>~/.ssh/config</c>, as the seed's plain <c>scp</c> did.
    /// </summary>
    public string? SshConfig { get; init; }

    public static readonly string[] Candidates = ["~/.backupParallels.ini", "/etc/backupParallels.ini"];

    /// <summary>The seed's lookup: the first of ~/.backupParallels.ini and /etc/backupParallels.ini that exists.</summary>
    public static string? Find(string home) =>
        Candidates.Select(c => c.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(home, c[2..]) : c)
            .FirstOrDefault(File.Exists);

    /// <summary>Reads and checks the file; every problem at once, each naming its section and key and what to write.</summary>
    public static ParallelsConfig Load(string path, string home)
    {
        var ini = IniFile.Load(path);
        var problems = new List<string>();
        foreach (var section in new[] { "main", "scp", "compression" }.Where(s => !ini.HasSection(s)))
        {
            problems.Add($"section [{section}] is missing");
        }
        var status = ini.Get("main", "StatusDirectory")?.Trim();
        if (ini.HasSection("main") && string.IsNullOrEmpty(status))
        {
            problems.Add("[main] StatusDirectory is missing: the directory of the <vm>.last files");
        }
        var destinations = (ini.Get("scp", "destinations") ?? "").Split('\n').Select(d => d.Trim()).Where(d => d.Length > 0).ToList();
        problems.AddRange(destinations.Where(d => d.IndexOf(':') <= 0)
            .Select(d => $"[scp] destinations: \"{d}\" is not user@host:directory"));
        var require = (ini.Get("scp", "require") ?? "all").Trim().ToLowerInvariant() switch
        {
            "all" => CopyPolicy.All,
            "any" => CopyPolicy.Any,
            var other => Problem(CopyPolicy.All, $"[scp] require must be all or any, got \"{other}\""),
        };
        var sshConfig = ini.Get("scp", "ssh_config")?.Trim() is { Length: > 0 } c ? Expand(c, home) : null;
        if (sshConfig is not null && !File.Exists(sshConfig))
        {
            problems.Add($"[scp] ssh_config: \"{sshConfig}\" does not exist (leave the key out to use ~/.ssh/config)");
        }
        var rotations = Number("main", "backupRotations", 3, min: 1);
        var hooks = ini.Sections.Where(s => s is not ("main" or "scp" or "compression")).ToDictionary(
            s => s, s => (HookLine.Parse(ini.Get(s, "BeforeSuspend")), HookLine.Parse(ini.Get(s, "AfterResume"))), StringComparer.Ordinal);
        var config = new ParallelsConfig(path, Expand(status ?? "", home), Text("main", "prlctl", "/usr/local/bin/prlctl"),
            Text("main", "tar", "/usr/bin/tar"), rotations, Expand(Text("main", "TempDirectory", "/var/tmp"), home),
            HookLine.Parse(ini.Get("main", "BeforeBackup")), HookLine.Parse(ini.Get("main", "AfterBackup")),
            destinations, TimeSpan.FromSeconds(Number("scp", "timeout", 7200, min: 1)), require,
            new Compression(Text("compression", "program", "/usr/bin/gzip"), Text("compression", "compressedExtension", "gz"),
                Text("compression", "arguments", "-f").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries),
                TimeSpan.FromSeconds(Number("compression", "timeout", 3600, min: 1))),
            hooks) { SshConfig = sshConfig };
        return problems.Count == 0 ? config : throw new FormatException($"{path}: {string.Join("; ", problems)}");

        string Text(string section, string key, string fallback) => ini.Get(section, key)?.Trim() is { Length: > 0 } v ? v : fallback;

        int Number(string section, string key, int fallback, int min)
        {
            var text = ini.Get(section, key)?.Trim();
            if (string.IsNullOrEmpty(text))
            {
                return fallback;
            }
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                ? n
                : Problem(fallback, $"[{section}] {key} must be a whole number of at least {min}, got \"{text}\"");
        }

        T Problem<T>(T fallback, string text)
        {
            problems.Add(text);
            return fallback;
        }
    }

    /// <summary><c>~</c> and <c>~/…</c> mean the home directory (the seed took them literally, relative to /).</summary>
    private static string Expand(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? System.IO.Path.Combine(home, path[2..]) : path;
}
