// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BackupPlugins.Core.Sources;
using BackupPlugins.Protocol.V1;
using BackupPlugins.Service.Mapping;
using Grpc.Net.Client;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>A backup job on the host: StartBackupJob, the entries in batches, their data, the end with the job's status.</summary>
internal sealed class BackupSession(FdPlugin.FdPluginClient plugin, string session, BpipeJob job, Reporter report)
    : HostSession(plugin, session, report)
{
    /// <summary>Opens the session (LoadPlugin); <see cref="StartAsync"/> starts the job.</summary>
    public static async Task<BackupSession> LoadAsync(GrpcChannel channel, BpipeJob job, string definition, Reporter report,
        CancellationToken cancellationToken)
    {
        var plugin = new FdPlugin.FdPluginClient(channel);
        var session = new BackupSession(plugin, await LoadAsync(plugin, job.Backup(), definition, report, cancellationToken), job, report);
        return session;
    }

    /// <summary>The job's start: the host builds the driver, prepares and snapshots (backup) — all problems at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => EventAsync(EventType.EventStartBackupJob, job.Backup(), cancellationToken);

    /// <summary>Every entry the source hands out, as the host sends it (the Bareos name) and decoded.</summary>
    public async IAsyncEnumerable<(BackupFile? File, Core.Sources.BackupItem Item)> EntriesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var batch = await Plugin.StartBackupFileAsync(new StartBackupFileRequest { Session = Session, MaxFiles = 512 },
                cancellationToken: cancellationToken);
            Report.Messages(batch.Messages);
            foreach (var item in batch.Items)
            {
                switch (item.ItemCase)
                {
                    case Protocol.V1.BackupItem.ItemOneofCase.File:
                        yield return (item.File, ProtoMapping.ToDomain(item.File));
                        break;
                    case Protocol.V1.BackupItem.ItemOneofCase.Error:
                        var name = ProtoMapping.DecodeTarget(item.Error.Fname.Span);
                        yield return (null, new Core.Sources.BackupItem(name, EntryKind.Regular, default) { Error = item.Error.Reason });
                        break;
                }
            }
            if (!batch.More)
            {
                yield break;
            }
        }
    }

    /// <summary>The data of a socket entry: the host streams it; disposing the stream asks the host whether it was whole.</summary>
    public async Task<Stream> OpenDataAsync(BackupFile file, CancellationToken cancellationToken)
    {
        var (socket, token) = await ConnectDataAsync(file.Fname, 0, 0, cancellationToken);
        return new ConfirmedStream(new NetworkStream(socket, ownsSocket: true), () => ConfirmDataAsync(token, file.Fname.ToStringUtf8()));
    }

    /// <summary>Ends the job (the host ends the session at EndBackupJob): T (or W with errors) commits it (a zfs snapshot becomes the next base); anything else undoes it.</summary>
    public async Task EndAsync(string status)
    {
        await EventAsync(EventType.EventEndBackupJob, job.Ended(status, restore: false), CancellationToken.None);
    }
}
