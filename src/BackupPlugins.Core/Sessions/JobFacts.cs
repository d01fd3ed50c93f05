// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Sessions;

public enum JobLevel { Full, Incremental, Differential, VirtualFull, None }

/// <summary>What the shim read from the file daemon about the job (python never sees the JobStart/Level/Since events).</summary>
public sealed record JobFacts(uint JobId, string JobName, JobLevel Level, char Type, long SinceTime, bool Accurate,
    string Where, string RegexWhere, string Client)
{
    /// <summary>
    /// <see cref="RegexWhere"/> of a restore whose names the director moved with a regexwhere that Bareos does not pass
    /// to plugins (25.1: neither the restore packet nor GetValue carries it). Sources treat it as any regexwhere: names
    /// may land anywhere, each is still checked.
    /// </summary>
    public const string RegexWhereNotGiven = "(a regexwhere Bareos did not pass to the plugin)";

    public static JobLevel ParseLevel(string letter) => letter switch
    {
        "F" => JobLevel.Full,
        "I" => JobLevel.Incremental,
        "D" => JobLevel.Differential,
        "f" => JobLevel.VirtualFull,
        _ => JobLevel.None,
    };
}
