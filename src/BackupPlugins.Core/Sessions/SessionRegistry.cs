// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Core.Sessions;

/// <summary>
/// All open sessions. Ends them on job end, on cancel, when the shim's connection closes, and when idle
/// longer than <see cref="IdleTimeout"/>; ended sessions are forgotten after a short while.
/// </summary>
public sealed class SessionRegistry(SourceCatalog catalog, IToolRunner tools, ILoggerFactory loggers, TimeProvider clock,
    EffectJournal? journal = null)
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new();
    private readonly ILogger _logger = loggers.CreateLogger<SessionRegistry>();

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Given to every session opened (the host's metrics).</summary>
    public ISessionObserver? Observer { get; init; }

    /// <summary>Where jobs whose plugin went away in the middle are recorded, for their client's next job.</summary>
    public InterruptedJobs? Interrupted { get; init; }

    public IReadOnlyList<Session> All => _sessions.Values.OrderBy(s => s.Started).ToList();

    public Session Open(string connection, JobFacts job)
    {
        var id = $"j{job.JobId}-{Guid.NewGuid():N}"[..20];
        var session = new Session(id, connection, job, catalog, tools, loggers.CreateLogger($"Session.{id}"), clock, journal) { Observer = Observer };
        _sessions[id] = session;
        _logger.LogInformation("Session {Session} opened for job {JobId} ({JobName})", id, job.JobId, job.JobName);
        foreach (var interrupted in Try(() => Interrupted?.Take(job.Client), "read the interrupted jobs of") ?? [])
        {
            session.Messages.Warning(interrupted.Warning);
        }
        return session;
    }

    public Session Get(string id)
    {
        if (_sessions.TryGetValue(id, out var session))
        {
            session.Touch();
            return session;
        }
        throw new BackupPluginException(ErrorKind.NotFound, "session.unknown",
            $"session \"{id}\" is not open on this host (the host restarted, or the job timed out)");
    }

    public async Task EndAsync(Session session, string reason, bool succeeded = false)
    {
        await session.EndAsync(reason, succeeded);
        _sessions.TryRemove(session.Id, out _);
    }

    /// <summary>The shim's connection closed: every session on it that has not ended is cancelled and cleaned up.</summary>
    public async Task ConnectionClosedAsync(string connection)
    {
        foreach (var session in _sessions.Values.Where(s => s.Connection == connection).ToList())
        {
            _logger.LogWarning("Shim connection {Connection} closed with session {Session} open; cleaning up", connection, session.Id);
            if (session.SeparateProcess && !session.CancelRequested && session.Phase is SessionPhase.Prepared or SessionPhase.Snapshot or SessionPhase.Streaming or SessionPhase.Restoring)
            {
                var job = session.Job;
                Try(() => Interrupted?.Record(new InterruptedJob(job.JobId, job.JobName, job.Type, job.Client, session.Phase, session.Files,
                    clock.GetUtcNow())), "record the interrupted job of");
            }
            await session.CancelAsync("shim disconnected");
            _sessions.TryRemove(session.Id, out _);
        }
    }

    /// <summary>Ends sessions idle longer than <see cref="IdleTimeout"/>.</summary>
    public async Task ExpireIdleAsync()
    {
        var now = clock.GetUtcNow();
        foreach (var session in _sessions.Values.Where(s => now - s.LastCall > IdleTimeout).ToList())
        {
            _logger.LogWarning("Session {Session} idle since {LastCall}; cleaning up", session.Id, session.LastCall);
            await session.CancelAsync("idle timeout");
            _sessions.TryRemove(session.Id, out _);
        }
    }

    /// <summary>Host shutdown: cleans up every session.</summary>
    public async Task CloseAllAsync()
    {
        foreach (var session in _sessions.Values.ToList())
        {
            await session.CancelAsync("host stopping");
            _sessions.TryRemove(session.Id, out _);
        }
    }

    private T? Try<T>(Func<T?> action, string what) where T : class
    {
        try
        {
            return action();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _logger.LogError("Cannot {What} {Directory}: {Error}", what, Interrupted?.Directory, ex.Message);
            return null;
        }
    }

    private void Try(Action action, string what) => Try<object>(() =>
    {
        action();
        return null;
    }, what);
}
