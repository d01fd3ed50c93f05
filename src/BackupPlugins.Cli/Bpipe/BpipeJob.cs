// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// The job facts a bpipe command knows. Bareos 25's bpipe passes them in the environment (BareosJobId,
/// BareosJobLevel, BareosSinceTime, BareosClientName; BareosWhere and BareosReplace on restore); Bacula passes none,
/// so a backup there is a Full and its job id is the start time (zfs names its snapshots with it).
/// </summary>
internal sealed record BpipeJob(uint JobId, string Level, long Since, string Client, string Where, ReplaceMode Replace)
{
    public static BpipeJob From(Func<string, string?> environment, string? level, long? since, uint? jobId, string? where, string? replace)
    {
        string? Env(string name) => environment(name) is { Length: > 0 } v ? v : null;
        return new BpipeJob(
            jobId ?? (uint.TryParse(Env("BareosJobId"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
                : (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            (level ?? Env("BareosJobLevel") ?? "F").Trim() is { Length: > 0 } l ? l : "F",
            since ?? (long.TryParse(Env("BareosSinceTime"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) ? s : 0),
            Env("BareosClientName") ?? Environment.MachineName,
            where ?? Env("BareosWhere") ?? "",
            ParseReplace(replace ?? Env("BareosReplace")));
    }

    /// <summary>Bareos's replace letters (a, w, o, n) or their names; always by default, as a restore job's default.</summary>
    public static ReplaceMode ParseReplace(string? text) => text switch
    {
        null or "" or "a" or "always" => ReplaceMode.ReplaceAlways,
        "w" or "ifnewer" => ReplaceMode.ReplaceIfnewer,
        "o" or "ifolder" => ReplaceMode.ReplaceIfolder,
        "n" or "never" => ReplaceMode.ReplaceNever,
        _ => throw new ArgumentException($"--replace {text}: use always, ifnewer, ifolder or never (or Bareos's letters a, w, o, n)"),
    };

    public JobInfo Backup() => new() { JobId = JobId, JobName = "bpipe", Level = Level, Type = "B", SinceTime = Since, Client = Client };

    public JobInfo Restore() => new() { JobId = JobId, JobName = "bpipe", Level = " ", Type = "R", Where = Where, Client = Client };

    public JobInfo Ended(string status, bool restore)
    {
        var job = restore ? Restore() : Backup();
        job.JobStatus = status;
        return job;
    }
}
