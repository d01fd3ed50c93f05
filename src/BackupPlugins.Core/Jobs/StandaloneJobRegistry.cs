// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using BackupPlugins.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Jobs;

/// <summary>One standalone job while it runs: for <c>status</c>.</summary>
public sealed record RunningJob(string Id, string Name, DateTimeOffset Started, CleanupLedger Ledger);

/// <summary>
/// Runs standalone jobs (zfs sync, …) in the host: each gets a ledger on the host's journal, is listed while it runs,
/// and whatever it left recorded is undone when it ends — also when it fails or is cancelled (the command stopped).
/// </summary>
public sealed class StandaloneJobRegistry(ILoggerFactory loggers, TimeProvider clock, EffectJournal? journal = null)
{
    private readonly ConcurrentDictionary<string, RunningJob> _running = new();
    private readonly ILogger _logger = loggers.CreateLogger<StandaloneJobRegistry>();

    public IReadOnlyList<RunningJob> All => _running.Values.OrderBy(j => j.Started).ToList();

    /// <summary>Exit code of a job stopped by its operator (as a shell reports SIGINT).</summary>
    public const int Stopped = 130;

    /// <summary>
    /// Runs the job <paramref name="run"/> makes with its ledger; returns its exit code (2 if undoing failed,
    /// <see cref="Stopped"/> when <paramref name="cancellationToken"/> stopped it).
    /// </summary>
    public async Task<int> RunAsync(string name, IJobConsole console, Func<CleanupLedger, CancellationToken, Task<int>> run,
        CancellationToken cancellationToken)
    {
        var id = $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)];
        var ledger = new CleanupLedger(loggers.CreateLogger($"Job.{id}"), journal, id);
        _running[id] = new RunningJob(id, name, clock.GetUtcNow(), ledger);
        _logger.LogInformation("Job {Job} started", id);
        var code = 2;
        try
        {
            code = await run(ledger, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            code = Stopped;
            await console.Out.WriteLineAsync(ledger.Pending.Count == 0 ? "stopped" : $"stopped; undoing: {string.Join("; ", ledger.Pending)}");
        }
        finally
        {
            var failures = await ledger.UndoAllAsync(CancellationToken.None);
            foreach (var failure in failures)
            {
                await console.Out.WriteLineAsync($"error: {failure}");
            }
            code = failures.Count > 0 && code != Stopped ? 2 : code;
            _running.TryRemove(id, out _);
            _logger.LogInformation("Job {Job} ended with exit code {Code}", id, code);
        }
        return code;
    }
}
