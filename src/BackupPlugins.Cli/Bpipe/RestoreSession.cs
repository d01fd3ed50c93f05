// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Archive;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Protocol.V1;
using BackupPlugins.Service.Mapping;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// A restore job on the host, fed from an archive: each member is created as the file daemon would create it
/// (CreateFile with the where-joined name), its data written into the file the host names or into a data
/// connection, its metadata applied after the data (EndRestoreFile). The source's restore driver decides where
/// things may go, so a member that would land outside the target is refused by the same code as in a Bareos job.
/// </summary>
internal sealed class RestoreSession(FdPlugin.FdPluginClient plugin, string session, BpipeJob job, byte[] cmd, Reporter report)
    : HostSession(plugin, session, report), IExtractTarget
{
    /// <summary>Opens the session (LoadPlugin); <see cref="StartAsync"/> starts the job.</summary>
    public static async Task<RestoreSession> LoadAsync(GrpcChannel channel, BpipeJob job, string definition, Reporter report,
        CancellationToken cancellationToken)
    {
        var plugin = new FdPlugin.FdPluginClient(channel);
        var session = new RestoreSession(plugin, await LoadAsync(plugin, job.Restore(), definition, report, cancellationToken), job,
            Encoding.UTF8.GetBytes("backupplugins:" + definition), report);
        return session;
    }

    /// <summary>The job's start: the host builds the driver, prepares and snapshots (backup) — all problems at once.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => EventAsync(EventType.EventStartRestoreJob, job.Restore(), cancellationToken);

    public async ValueTask<CreateResult> CreateAsync(RestoreItem item, CancellationToken cancellationToken)
    {
        var request = ProtoMapping.ToProto(Session, cmd, item, job.Where);
        request.Replace = job.Replace; // the job's replace, not the archive member's
        try
        {
            var created = await Plugin.CreateFileAsync(request, cancellationToken: cancellationToken);
            Report.Messages(created.Messages);
            var outcome = ProtoMapping.ToDomain(created.Status);
            return new CreateResult(outcome, created.DataPath switch
            {
                DataPath.Socket => DataDelivery.Socket,
                DataPath.Path => DataDelivery.Path,
                _ => DataDelivery.None,
            }, created.OpenPath.IsEmpty ? item.Target : created.OpenPath.ToByteArray());
        }
        catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.FailedPrecondition or StatusCode.Unavailable))
        {
            // one member refused or failed (as the shim decides: the restore could not be prepared, or the host is gone, ends it) (outside the target, a type the source cannot write): the others go on, as in a Bareos job
            Report.Error(ex.Status.Detail);
            return new CreateResult(CreateOutcome.Skip);
        }
    }

    public async ValueTask<Stream> OpenDataAsync(RestoreItem item, CancellationToken cancellationToken)
    {
        var fname = ByteString.CopyFrom(BareosNames.Encode(item.Target));
        var (socket, token) = await ConnectDataAsync(fname, 0x241 /* O_WRONLY|O_CREAT|O_TRUNC, as the core opens it */, item.Stat.Mode & 0xFFF, cancellationToken);
        return new ConfirmedStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true),
            () => ConfirmDataAsync(token, PosixPath.Display(item.Target)));
    }

    public async ValueTask FinishAsync(RestoreItem item, RestoreMetadata metadata, CancellationToken cancellationToken)
    {
        var request = new EndRestoreFileRequest
        {
            Session = Session,
            Ofname = ByteString.CopyFrom(BareosNames.Encode(item.Target)),
            Acl = metadata.Acl is null ? ByteString.Empty : ByteString.CopyFrom(metadata.Acl),
            DataOk = metadata.DataOk,
        };
        request.Xattrs.AddRange(ProtoMapping.ToProto(metadata.Xattrs));
        try
        {
            Report.Messages((await Plugin.EndRestoreFileAsync(request, cancellationToken: cancellationToken)).Messages);
        }
        catch (RpcException ex) when (ex.StatusCode is not (StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Unavailable))
        {
            Report.Error(ex.Status.Detail);
        }
    }

    /// <summary>Ends the restore: directory times and deferred work, then the ledger; the host's last messages.</summary>
    public async Task EndAsync(string status)
    {
        await EventAsync(EventType.EventEndRestoreJob, job.Ended(status, restore: true), CancellationToken.None);
    }
}
