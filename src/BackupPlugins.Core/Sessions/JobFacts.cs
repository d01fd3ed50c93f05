// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Sessions;

public enum JobLevel { Full, Incremental, Differential, VirtualFull, None }

/// <summary>What the shim read from the file daemon about the job (python never sees the JobStart/Level/Since events).</summary>
public sealed record JobFacts(uint JobId, string JobName, JobLevel Level, char Type, long SinceTime, bool Accurate,
    string Where, string RegexWhere, string Client)
{
    public static JobLevel ParseLevel(string letter) => letter switch
    {
        "F" => JobLevel.Full,
        "I" => JobLevel.Incremental,
        "D" => JobLevel.Differential,
        "f" => JobLevel.VirtualFull,
        _ => JobLevel.None,
    };
}
