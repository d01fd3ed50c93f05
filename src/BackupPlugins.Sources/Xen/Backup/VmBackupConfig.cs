// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>What an export line asks for.</summary>
public enum ExportKind { VdiExport, VmExport, MetadataExport }

/// <summary>One <c>vm-export=</c>, <c>vdi-export=</c>, <c>metadata-export=</c> or <c>exclude=</c> line: its selector and its <c>:N</c>.</summary>
public sealed record SelectorLine(string Key, string Selector, int? MaxBackups, int Line);

/// <summary>
/// The seed VmBackup.py's <c>.cfg</c>, read as it is: <c>#</c> in column 0 and blank lines skipped, every other line
/// <c>key=value</c> (stripped). Fixed: a value may hold <c>=</c> (split at the first one; the seed crashed); a scalar key
/// given twice is an error naming both lines (the seed made it a list and crashed later); <c>:N</c> is split off only
/// when N is digits (a selector may hold <c>:</c>); every problem is reported at once. The seed's defaults apply to
/// keys that are not given. New keys, absent from seed files: <c>space_threshold</c> (percent of the backup file
/// system that must stay free before each export, default 0 = no check), <c>compress</c>
/// (<c>false|true|gzip|zstd</c>), <c>mail_mode</c>, <c>mail_to</c>, <c>mail_from</c>, <c>mail_smtp_server</c>,
/// <c>mail_smtp_port</c>, <c>mail_smtp_tls</c> (<c>auto|starttls|ssl|none</c>), <c>mail_smtp_ca</c> (a CA certificate file
/// trusted for the SMTP server), <c>report</c> (a JSON run report file). <c>mail_to</c> is a comma list.
/// </summary>
public sealed record VmBackupConfig
{
    public const string DefaultBackupDir = "/snapshots/BACKUPS";
    public const string DefaultStatusLog = "/snapshots/NAUbackup/status.log";

    public string? Path { get; init; }
    public bool PoolDbBackup { get; init; }
    public int MaxBackups { get; init; } = 4;
    public string BackupDir { get; init; } = DefaultBackupDir;
    public string StatusLog { get; init; } = DefaultStatusLog;
    public string VdiExportFormat { get; init; } = "raw";
    public string Compress { get; init; } = "false";
    public int SpaceThreshold { get; init; }
    public string MailMode { get; init; } = "never";
    public string? MailTo { get; init; }
    public string? MailFrom { get; init; }
    public string? MailSmtpServer { get; init; }
    public int MailSmtpPort { get; init; } = 25;
    public string MailSmtpTls { get; init; } = "auto";
    public string? MailSmtpCa { get; init; }
    public string? Report { get; init; }
    public IReadOnlyList<SelectorLine> Selectors { get; init; } = [];

    /// <summary>The messages of keys ignored with <c>ignore_extra_keys=true</c> (the seed logged "ignoring config key").</summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    private static readonly string[] SelectorKeys = ["vm-export", "vdi-export", "metadata-export", "exclude"];
    private static readonly string[] ScalarKeys =
    [
        "pool_db_backup", "max_backups", "backup_dir", "status_log", "vdi_export_format",
        "space_threshold", "compress", "mail_mode", "mail_to", "mail_from", "mail_smtp_server", "mail_smtp_port",
        "mail_smtp_tls", "mail_smtp_ca", "report",
    ];

    /// <summary>Reads a config file; throws <see cref="FormatException"/> listing every problem, each with its line.</summary>
    public static VmBackupConfig Load(string path, bool ignoreExtraKeys) =>
        Parse(File.ReadAllLines(path), ignoreExtraKeys) with { Path = path };

    /// <summary>The seed's command-line form: one selector (<c>vm-export=RE</c>, <c>vdi-export=RE</c> or a bare RE).</summary>
    public static VmBackupConfig FromSelector(string selector)
    {
        var eq = selector.IndexOf('=');
        var (key, value) = eq < 0 ? ("vm-export", selector) : (selector[..eq].Trim(), selector[(eq + 1)..].Trim());
        if (key is not ("vm-export" or "vdi-export"))
        {
            throw new FormatException($"\"{selector}\" is neither a config file that exists nor a vm-selector " +
                                      "(NAME or REGEX, vm-export=…, vdi-export=…)");
        }
        var (sel, max) = SplitMax(value);
        return new VmBackupConfig { Selectors = [new SelectorLine(key, sel, max, 0)] };
    }

    public static VmBackupConfig Parse(IReadOnlyList<string> lines, bool ignoreExtraKeys)
    {
        var problems = new List<string>();
        var ignored = new List<string>();
        var scalars = new Dictionary<string, (string Value, int Line)>();
        var selectors = new List<SelectorLine>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var n = i + 1;
            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }
            var eq = line.IndexOf('=');
            if (eq < 0)
            {
                problems.Add($"line {n}: \"{line.Trim()}\" is not key=value");
                continue;
            }
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (SelectorKeys.Contains(key))
            {
                if (value.Length == 0)
                {
                    continue; // an empty selector selects nothing (the seed's V3.24 rule; before it, everything)
                }
                var (selector, max) = SplitMax(value);
                if (max is <= 0)
                {
                    problems.Add($"line {n}: {key}={value}: the :N after the VM must be a number of backups of at least 1");
                }
                selectors.Add(new SelectorLine(key, selector, key == "exclude" ? null : max, n));
            }
            else if (ScalarKeys.Contains(key))
            {
                if (scalars.TryGetValue(key, out var earlier))
                {
                    problems.Add($"line {n}: {key} is given a second time (first on line {earlier.Line}); keep one");
                    continue;
                }
                scalars[key] = (value, n);
            }
            else if (ignoreExtraKeys)
            {
                ignored.Add($"ignoring config key: {key} (line {n})");
            }
            else
            {
                problems.Add($"line {n}: unexpected config key \"{key}\"; fix it, or run with ignore_extra_keys=true");
            }
        }
        string? Get(string key) => scalars.TryGetValue(key, out var v) ? v.Value : null;
        int Number(string key, int fallback, int min, int max)
        {
            if (Get(key) is not { } text)
            {
                return fallback;
            }
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }
            problems.Add($"line {scalars[key].Line}: {key}={text} must be a whole number from {min} to {max}");
            return fallback;
        }
        string Choice(string key, string fallback, params string[] allowed)
        {
            var text = Get(key)?.ToLowerInvariant() ?? fallback;
            if (!allowed.Contains(text))
            {
                problems.Add($"line {scalars[key].Line}: {key}={Get(key)} must be one of {string.Join(", ", allowed)}");
            }
            return text;
        }
        var config = new VmBackupConfig
        {
            PoolDbBackup = Number("pool_db_backup", 0, 0, 1) == 1,
            MaxBackups = Number("max_backups", 4, 1, 100_000),
            BackupDir = Get("backup_dir") ?? DefaultBackupDir,
            StatusLog = Get("status_log") ?? DefaultStatusLog,
            VdiExportFormat = Choice("vdi_export_format", "raw", "raw", "vhd"),
            Compress = Choice("compress", "false", "false", "true", "gzip", "zstd"),
            SpaceThreshold = Number("space_threshold", 0, 0, 99),
            MailMode = Choice("mail_mode", "never", "always", "problems", "never"),
            MailTo = Get("mail_to"),
            MailFrom = Get("mail_from"),
            MailSmtpServer = Get("mail_smtp_server"),
            MailSmtpPort = Number("mail_smtp_port", 25, 1, 65535),
            MailSmtpTls = Choice("mail_smtp_tls", "auto", "auto", "starttls", "ssl", "none"),
            MailSmtpCa = Get("mail_smtp_ca"),
            Report = Get("report"),
            Selectors = selectors,
            Ignored = ignored,
        };
        if (config.MailMode != "never" && (config.MailTo is null || config.MailFrom is null || config.MailSmtpServer is null))
        {
            problems.Add($"mail_mode={config.MailMode} needs mail_to, mail_from and mail_smtp_server");
        }
        if (config.MailSmtpCa is { } ca && !System.IO.Path.IsPathFullyQualified(ca))
        {
            problems.Add($"line {scalars["mail_smtp_ca"].Line}: mail_smtp_ca={ca} must be an absolute path to a PEM certificate");
        }
        if (config.Report is { } report && !System.IO.Path.IsPathFullyQualified(report))
        {
            problems.Add($"line {scalars["report"].Line}: report={report} must be an absolute path (the JSON report file)");
        }
        if (!selectors.Any(s => s.Key != "exclude"))
        {
            problems.Add("no VMs loaded: give at least one vm-export=, vdi-export= or metadata-export= line");
        }
        return problems.Count == 0 ? config : throw new FormatException(string.Join("\n", problems));
    }

    /// <summary>The checks that look at the machine: backup_dir exists.</summary>
    public IReadOnlyList<string> CheckPlaces()
    {
        var problems = new List<string>();
        if (!Directory.Exists(BackupDir))
        {
            problems.Add($"backup_dir={BackupDir} does not exist: create it (with the owner and access it needs) or fix the path");
        }
        if (MailSmtpCa is { } ca && !File.Exists(ca))
        {
            problems.Add($"mail_smtp_ca={ca} does not exist: give the PEM file of the CA that signed the SMTP server's certificate");
        }
        return problems;
    }

    /// <summary>"name:N" → (name, N) when N is all digits; otherwise the whole text is the selector.</summary>
    internal static (string Selector, int? Max) SplitMax(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon > 0 && colon < value.Length - 1 && value[(colon + 1)..].All(char.IsAsciiDigit))
        {
            return (value[..colon].Trim(), int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0);
        }
        return (value, null);
    }

    public bool Compressed => Compress is "true" or "gzip" or "zstd";

    /// <summary>The mail settings, with the SMTP login from the secrets file; null when <c>mail_mode=never</c>.</summary>
    public MailSettings? Mail(XenSecrets secrets) => MailMode == "never" ? null
        : new MailSettings(MailMode, MailTo!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), MailFrom!,
            MailSmtpServer!, MailSmtpPort, MailSmtpTls, MailSmtpCa, secrets.SmtpUser, secrets.SmtpPassword);
}
