// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using System.Text.Json.Serialization;
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Sessions;

/// <summary>A job whose plugin went away while it ran: what the next job of the same client says about it.</summary>
public sealed record InterruptedJob(uint JobId, string JobName, char Type, string Client, SessionPhase Phase, long Files,
    DateTimeOffset When)
{
    /// <summary>The warning for the client's next job (Bareos's job log), with what to do.</summary>
    public string Warning =>
        $"job {JobId} ({JobName}) of this client lost its plugin at {When:yyyy-MM-dd HH:mm:ss} UTC while it " +
        (Type == 'R' ? "restored" : $"backed up (the host had handed it {Files:N0} entries)") + ". The host cleaned up after it, but Bareos " +
        "may have ended that job without an error" + (Type == 'R' ? "" : ", short of files") + ": check its file count " +
        $"(bconsole: list jobid={JobId}) and run it again";
}

/// <summary>
/// Jobs whose grpc-fd module (a plugin in a process of its own: <see cref="Session.SeparateProcess"/>) went away in the
/// middle, one small file each under <see cref="Directory"/>, written and fsynced when the host notices, taken when the same
/// client's next job starts. Bareos 25.1's grpc-fd plugin reads a module that died between two files as the end of the
/// file list, so such a job can end "Backup OK" short of files: the record outlives a host restart so that someone is
/// told.
/// </summary>
public sealed class InterruptedJobs(string directory)
{
    public const string DefaultDirectory = "/var/lib/backup-plugins/interrupted";

    public string Directory { get; } = Path.GetFullPath(directory);

    public void Record(InterruptedJob job)
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        FileSystem.ReplaceDurably(Path.Combine(Directory, $"{job.When:yyyyMMdd'T'HHmmssfff}-{job.JobId}.json"),
            stream => JsonSerializer.Serialize(stream, job, InterruptedJson.Default.InterruptedJob));
    }

    /// <summary>The records of <paramref name="client"/>, oldest first, removed: each is told once.</summary>
    public IReadOnlyList<InterruptedJob> Take(string client)
    {
        var taken = new List<InterruptedJob>();
        foreach (var (file, job) in All())
        {
            if (job.Client == client)
            {
                File.Delete(file);
                taken.Add(job);
            }
        }
        return taken;
    }

    /// <summary>Every record not yet told (the host's status).</summary>
    public IReadOnlyList<InterruptedJob> Pending => All().Select(r => r.Job).ToList();

    private IEnumerable<(string File, InterruptedJob Job)> All()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }
        var found = new List<(string, InterruptedJob)>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), InterruptedJson.Default.InterruptedJob) is { } job)
                {
                    found.Add((file, job));
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                // not ours, or gone meanwhile: never acted upon
            }
        }
        return found;
    }
}

[JsonSerializable(typeof(InterruptedJob))]
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
internal sealed partial class InterruptedJson : JsonSerializerContext;
