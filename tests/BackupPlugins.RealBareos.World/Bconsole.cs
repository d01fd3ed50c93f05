// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace BackupPlugins.RealBareos;

/// <summary>A finished job as the director's catalog has it (<c>llist jobid=</c>) with its job log (<c>list joblog</c>).</summary>
public sealed record JobResult(int JobId, string Status, long Files, long Bytes, string Log)
{
    public override string ToString() => $"job {JobId}: status {Status}, {Files} files, {Bytes} bytes\n{Log}";
}

/// <summary>Drives the director the way an operator does: bconsole commands on standard input.</summary>
public sealed partial class Bconsole(string program, string config)
{
    public async Task<string> RunAsync(params string[] commands)
    {
        var (code, output) = await Machine.RunAsync(program, ["-c", config], input: string.Join('\n', commands) + "\nquit\n",
            timeout: TimeSpan.FromMinutes(15));
        return code == 0 ? output : throw new InvalidOperationException($"bconsole exited {code}: {output}");
    }

    /// <summary>Runs one command in JSON mode (<c>.api 2</c>) and returns its <c>result</c> object.</summary>
    public async Task<JsonElement> ApiAsync(string command)
    {
        var output = await RunAsync(".api 2", command);
        var echo = output.IndexOf(command, StringComparison.Ordinal);
        var start = echo < 0 ? -1 : output.IndexOf('{', echo + command.Length);
        if (start < 0)
        {
            throw new InvalidOperationException($"no JSON answer to \"{command}\": {output}");
        }
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(output[start..]), new JsonReaderOptions { AllowMultipleValues = true });
        using var answer = JsonDocument.ParseValue(ref reader);
        return answer.RootElement.TryGetProperty("result", out var result)
            ? result.Clone()
            : throw new InvalidOperationException($"\"{command}\" failed: {answer.RootElement}");
    }

    /// <summary>
    /// What the file daemon says it has sent for a running job (<c>status client</c>), or null when it does not list the
    /// job as running.
    /// </summary>
    public async Task<(long Files, long Bytes)?> ProgressAsync(string client, int jobId)
    {
        var status = await RunAsync($"status client={client}");
        var m = Regex.Match(status, $@"JobId {jobId} Job .*? is running\.(?:.|\n)*?Files=([\d,]+) Bytes=([\d,]+)");
        return m.Success ? (Number(m.Groups[1].Value), Number(m.Groups[2].Value)) : null;
    }

    /// <summary>Polls <see cref="ProgressAsync"/> until the job has sent at least <paramref name="bytes"/> or <paramref name="files"/>.</summary>
    public async Task WaitForProgressAsync(string client, int jobId, long bytes = long.MaxValue, long files = long.MaxValue)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (await ProgressAsync(client, jobId) is not { } p || (p.Bytes < bytes && p.Files < files))
        {
            if (Field(await RunAsync($"llist jobid={jobId}"), "jobstatus") is "T" or "W" or "E" or "e" or "f" or "A")
            {
                throw new InvalidOperationException($"job {jobId} ended before it got that far: {await WaitAsync(jobId)}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {jobId} did not get that far in 2 minutes: {await RunAsync($"status client={client}")}");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Runs a job (a backup or a restore command line ending in "yes"), waits for it, returns its catalog record.</summary>
    public async Task<JobResult> RunJobAsync(string command) => await WaitAsync(await QueueAsync(command));

    /// <summary>Queues a job (a command ending in "yes") and returns its id without waiting for it.</summary>
    public async Task<int> QueueAsync(string command)
    {
        var output = await RunAsync(command);
        var m = JobQueued().Match(output);
        return m.Success
            ? int.Parse(m.Groups[1].Value)
            : throw new InvalidOperationException($"the director did not queue a job for \"{command}\": {output}");
    }

    public async Task<JobResult> WaitAsync(int jobId)
    {
        await RunAsync($"wait jobid={jobId}");
        var record = await RunAsync($"llist jobid={jobId}");
        var log = await RunAsync($"list joblog jobid={jobId}");
        return new JobResult(jobId, Field(record, "jobstatus"), Number(Field(record, "jobfiles")), Number(Field(record, "jobbytes")), log);
    }

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal));

    private static string Field(string llist, string name) =>
        Regex.Match(llist, $@"^\s*{name}:\s*(\S*)\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase) is { Success: true } m
            ? m.Groups[1].Value
            : throw new InvalidOperationException($"no {name} in: {llist}");

    [GeneratedRegex(@"Job queued\. JobId=(\d+)")]
    private static partial Regex JobQueued();
}

/// <summary>A job that should have ended well did not; the message holds its record, its log and the daemons' logs.</summary>
public sealed class JobFailedException(JobResult job, string logs) : Exception($"{job}\n{logs}")
{
    public JobResult Job { get; } = job;
}
