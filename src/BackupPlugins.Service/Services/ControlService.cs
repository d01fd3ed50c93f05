// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using BackupPlugins.Service.Hosting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Services;

/// <summary>The operator's view: version, sessions with their phase, running commands, sources, leftover sweep.</summary>
internal sealed class ControlService(
    SessionRegistry sessions, StandaloneJobRegistry jobs, IToolRunner tools, SourceCatalog catalog, IEnumerable<ILeftoverSweeper> sweepers,
    HostSettings settings, HostClock clock, ILogger<ControlService> logger) : V1.Control.ControlBase
{
    public static string Version => typeof(ControlService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public override Task<V1.GetVersionResponse> GetVersion(V1.GetVersionRequest request, ServerCallContext context) =>
        Task.FromResult(new V1.GetVersionResponse { Version = Version, Protocol = "backupplugins.v1" });

    public override Task<V1.CheckResponse> Check(V1.CheckRequest request, ServerCallContext context) =>
        Task.FromResult(request.WhatCase switch
        {
            V1.CheckRequest.WhatOneofCase.Plugin => new Checker(catalog, logger).Plugin(request.Plugin),
            V1.CheckRequest.WhatOneofCase.Config => Checker.Config(request.Config),
            V1.CheckRequest.WhatOneofCase.Options => new Checker(catalog, logger).Options(request.Options),
            V1.CheckRequest.WhatOneofCase.HostConfig => Checker.HostConfig(request.HostConfig),
            _ => throw new BackupPluginException(ErrorKind.BadInput, "check.what", "check what? give a plugin string or a configuration file"),
        });

    public override Task<V1.GetStatusResponse> GetStatus(V1.GetStatusRequest request, ServerCallContext context)
    {
        var reply = new V1.GetStatusResponse { Version = Version, Started = Timestamp.FromDateTimeOffset(clock.Started) };
        reply.Listening.Add($"unix:{settings.SocketPath}");
        if (settings.Tcp is not null)
        {
            reply.Listening.Add($"tcp:{settings.Tcp}");
        }
        foreach (var s in sessions.All)
        {
            var status = new V1.SessionStatus
            {
                Id = s.Id, JobId = s.Job.JobId, JobName = s.Job.JobName, Source = s.Source ?? "", Phase = s.Phase.ToString().ToLowerInvariant(),
                Started = Timestamp.FromDateTimeOffset(s.Started), LastCall = Timestamp.FromDateTimeOffset(s.LastCall),
                Files = (ulong)s.Files, Bytes = (ulong)s.Bytes,
                BytesPerSecond = s.Bytes / Math.Max(0.001, (clock.Now - s.Started).TotalSeconds),
            };
            status.Undo.AddRange(s.Ledger.Pending);
            reply.Sessions.Add(status);
        }
        foreach (var job in jobs.All) // standalone jobs (zfs sync, …): listed as sessions of their own
        {
            var status = new V1.SessionStatus
            {
                Id = job.Id, JobName = job.Name, Source = job.Name, Phase = "running", Started = Timestamp.FromDateTimeOffset(job.Started),
                LastCall = Timestamp.FromDateTimeOffset(job.Started),
            };
            status.Undo.AddRange(job.Ledger.Pending);
            reply.Sessions.Add(status);
        }
        foreach (var i in sessions.Interrupted?.Pending ?? [])
        {
            reply.Interrupted.Add(new V1.InterruptedJob
            {
                JobId = i.JobId, JobName = i.JobName, Client = i.Client, Phase = i.Phase.ToString().ToLowerInvariant(), Files = (ulong)i.Files,
                When = Timestamp.FromDateTimeOffset(i.When),
            });
        }
        foreach (var c in tools.Running)
        {
            var command = new V1.RunningCommand { Started = Timestamp.FromDateTimeOffset(c.Started), Session = c.Session ?? "", Pid = c.ProcessId };
            command.Argv.AddRange(c.Argv);
            reply.Commands.Add(command);
        }
        return Task.FromResult(reply);
    }

    public override Task<V1.ListSourcesResponse> ListSources(V1.ListSourcesRequest request, ServerCallContext context)
    {
        var reply = new V1.ListSourcesResponse();
        foreach (var factory in catalog.All)
        {
            var info = new V1.SourceInfo { Name = factory.Name, Description = factory.Description };
            info.Options.AddRange(factory.Options.Select(o => new V1.SourceOption
            {
                Name = o.Name, Required = o.Required, DefaultValue = o.Default ?? "", Description = o.Description,
            }));
            reply.Sources.Add(info);
        }
        return Task.FromResult(reply);
    }

    public override async Task<V1.SweepResponse> Sweep(V1.SweepRequest request, ServerCallContext context)
    {
        var reply = new V1.SweepResponse();
        if (!request.DryRun && sessions.All.Count > 0)
        {
            // Their journal entries are this process's, but a sweep must not unmount or merge while a job may be starting.
            throw new BackupPluginException(ErrorKind.Precondition, "sweep.busy",
                $"{sessions.All.Count} job(s) are running on this host; sweep when none runs (--dry-run shows what would be removed)");
        }
        await using var sweeping = request.DryRun ? null : HostsLock.TryExclusive(settings.HostsLock, logger)
            ?? throw new BackupPluginException(ErrorKind.Precondition, "sweep.embedded",
                "bpipe commands are running jobs on their own hosts; sweep when they are done");
        foreach (var sweeper in sweepers)
        {
            var found = await sweeper.SweepAsync(request.DryRun, context.CancellationToken);
            if (!request.DryRun)
            {
                Metrics.HostMetrics.SweptLeftovers(found);
            }
            foreach (var l in found)
            {
                reply.Leftovers.Add(new V1.Leftover
                {
                    Kind = l.Kind, Name = l.Name, Removed = l.Removed, Error = l.Error ?? "", Foreign = l.Foreign, Note = l.Note ?? "",
                });
            }
        }
        return reply;
    }
}
