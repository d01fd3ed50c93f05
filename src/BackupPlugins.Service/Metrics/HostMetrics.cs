// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using Prometheus;

namespace BackupPlugins.Service.Metrics;

/// <summary>
/// The host's Prometheus metrics (prometheus-net), served at <c>/metrics</c>: jobs started and ended by source and
/// outcome, bytes and entries sent, job and phase durations, what running jobs hold now (snapshots, mounts, suspended
/// VMs, locks: their pending undo steps), sweep findings, and the build. Sessions report through
/// <see cref="ISessionObserver"/>; what is held is counted when Prometheus scrapes.
/// </summary>
public sealed class HostMetrics : ISessionObserver
{
    private static readonly Counter Started = Prometheus.Metrics.CreateCounter("backupplugins_jobs_started_total",
        "Bareos jobs (and bpipe runs) that got past their start, by source and kind (backup, restore).", "source", "kind");
    private static readonly Counter Ended = Prometheus.Metrics.CreateCounter("backupplugins_jobs_ended_total",
        "Jobs ended, by source and outcome (ok: ended and cleaned up; failed: failed, cancelled, or a cleanup step failed).", "source", "outcome");
    private static readonly Counter Bytes = Prometheus.Metrics.CreateCounter("backupplugins_bytes_total",
        "Bytes the host moved through its data sockets (streams, exports; restores it writes), counted when a job ends.", "source");
    private static readonly Counter EntryBytes = Prometheus.Metrics.CreateCounter("backupplugins_entry_bytes_total",
        "Sizes of the regular files handed to the file daemon, which reads them itself (in an Incremental it skips unchanged " +
        "ones), counted when a job ends.", "source");
    private static readonly Counter Entries = Prometheus.Metrics.CreateCounter("backupplugins_entries_total",
        "Entries handed to the file daemon, counted when a job ends.", "source");
    private static readonly Histogram JobSeconds = Prometheus.Metrics.CreateHistogram("backupplugins_job_duration_seconds",
        "Jobs from their start to their end.", new HistogramConfiguration
        {
            LabelNames = ["source"], Buckets = Histogram.ExponentialBuckets(1, 4, 10),
        });
    private static readonly Histogram PhaseSeconds = Prometheus.Metrics.CreateHistogram("backupplugins_phase_duration_seconds",
        "Time spent in each phase of a job (loaded, prepared, snapshot, streaming, restoring, cleaning).", new HistogramConfiguration
        {
            LabelNames = ["source", "phase"], Buckets = Histogram.ExponentialBuckets(0.01, 4, 12),
        });
    private static readonly Gauge Held = Prometheus.Metrics.CreateGauge("backupplugins_held_effects",
        "What running jobs hold now and will undo (snapshots, mounts, suspended VMs, locks), by source.", "source");
    private static readonly Counter Swept = Prometheus.Metrics.CreateCounter("backupplugins_sweep_leftovers_total",
        "Leftovers sweeps found, by outcome (removed, kept: could not be undone, foreign: not ours, left alone).", "outcome");
    private static readonly Gauge Build = Prometheus.Metrics.CreateGauge("backupplugins_build_info", "The host's version.", "version");

    public HostMetrics(Func<IEnumerable<(string Source, int Held)>> held, string version)
    {
        Build.WithLabels(version).Set(1);
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            foreach (var labels in Held.GetAllLabelValues().ToList())
            {
                Held.WithLabels(labels).Set(0);
            }
            foreach (var (source, count) in held().GroupBy(h => h.Source).Select(g => (g.Key, g.Sum(h => h.Held))))
            {
                Held.WithLabels(source).Set(count);
            }
        });
    }

    public void PhaseChanged(Session session, SessionPhase left, SessionPhase entered, TimeSpan spent)
    {
        var source = session.Source ?? "none";
        PhaseSeconds.WithLabels(source, left.ToString().ToLowerInvariant()).Observe(spent.TotalSeconds);
        switch (entered)
        {
            case SessionPhase.Prepared:
                Started.WithLabels(source, "backup").Inc();
                break;
            case SessionPhase.Restoring:
                Started.WithLabels(source, "restore").Inc();
                break;
            case SessionPhase.Ended or SessionPhase.Failed:
                Ended.WithLabels(source, entered == SessionPhase.Ended ? "ok" : "failed").Inc();
                Bytes.WithLabels(source).Inc(session.Bytes);
                EntryBytes.WithLabels(source).Inc(session.EntryBytes);
                Entries.WithLabels(source).Inc(session.Files);
                JobSeconds.WithLabels(source).Observe((DateTimeOffset.UtcNow - session.Started).TotalSeconds);
                break;
        }
    }

    /// <summary>What a sweep found.</summary>
    public static void SweptLeftovers(IEnumerable<Core.Sources.Leftover> leftovers)
    {
        foreach (var l in leftovers)
        {
            Swept.WithLabels(l.Foreign ? "foreign" : l.Removed ? "removed" : "kept").Inc();
        }
    }
}
