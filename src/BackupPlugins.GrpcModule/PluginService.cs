// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Host;
using BackupPlugins.GrpcModule.Transport;
using BackupPlugins.Protocol.Bareos;
using BackupPlugins.Protocol.Bareos.Core;
using BackupPlugins.Protocol.Bareos.Events;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule;

/// <summary>
/// <c>bareos.plugin.Plugin</c> as the file daemon calls it on fd 3, for one job: each call becomes at most one call of
/// the host's FdPlugin service, exactly as the python3-fd shim makes them (bareos-shim/backupplugins_shim/). No backup
/// logic lives here. One instance per process (a singleton): the daemon calls one after another, except a cancel.
/// A call that fails has sent its reason as a job message first: the grpc-fd plugin turns any failed call into a
/// bare bRC_Error.
/// </summary>
internal sealed partial class PluginService(CoreConnection core, DataChannel data) : Plugin.PluginBase
{
    /// <summary>The events the module takes, as the shim takes them (its defaults from python3-fd and its own).</summary>
    public static readonly EventType[] Events =
    [
        EventType.EventJobStart, EventType.EventJobEnd, EventType.EventStartBackupJob, EventType.EventEndBackupJob,
        EventType.EventStartRestoreJob, EventType.EventEndRestoreJob, EventType.EventBackupCommand, EventType.EventRestoreCommand,
        EventType.EventEstimateCommand, EventType.EventPluginCommand, EventType.EventNewPluginOptions, EventType.EventLevel,
        EventType.EventSince, EventType.EventCancelCommand, EventType.EventEndFileSet, EventType.EventRestoreObject,
    ];

    private readonly HostSession _session = new(core);
    private readonly List<string> _earlyOptions = [];

    public override async Task<SetupResponse> Setup(SetupRequest request, ServerCallContext context)
    {
        await core.Client.Events_RegisterAsync(new RegisterRequest { EventTypes = { Events } }, cancellationToken: context.CancellationToken);
        return new SetupResponse();
    }

    public override async Task<HandlePluginEventResponse> handlePluginEvent(HandlePluginEventRequest request, ServerCallContext context)
    {
        var e = request.Event ?? new Event();
        var result = e.EventCase switch
        {
            Event.EventOneofCase.PluginCommand => await DefinitionAsync(e.PluginCommand.Data, context.CancellationToken),
            Event.EventOneofCase.BackupCommand => await DefinitionAsync(e.BackupCommand.Data, context.CancellationToken),
            Event.EventOneofCase.RestoreCommand => await DefinitionAsync(e.RestoreCommand.Data, context.CancellationToken),
            Event.EventOneofCase.EstimateCommand => await DefinitionAsync(e.EstimateCommand.Data, context.CancellationToken),
            Event.EventOneofCase.NewPluginOptions => await OptionsAsync(e.NewPluginOptions.Data),
            Event.EventOneofCase.StartBackupJob => await StartAsync(V1.EventType.EventStartBackupJob),
            Event.EventOneofCase.EndBackupJob => await EndAsync(V1.EventType.EventEndBackupJob),
            Event.EventOneofCase.EndRestoreJob => await EndAsync(V1.EventType.EventEndRestoreJob),
            Event.EventOneofCase.JobEnd => await EndAsync(V1.EventType.EventJobEnd),
            Event.EventOneofCase.CancelCommand => await CancelAsync(),
            _ => ReturnCode.Ok,
        };
        return new HandlePluginEventResponse { Result = result };
    }

    /// <summary>
    /// A restore's or job's own options (pluginoptions, FD Plugin Options): they may come before the job's plugin string,
    /// which names the host's socket; kept until then, and put first, so they win over the recorded string (as they do
    /// through python3-fd).
    /// </summary>
    private async Task<ReturnCode> OptionsAsync(string options)
    {
        options = PluginString.WithoutPluginName(options);
        if (!_session.Open)
        {
            _earlyOptions.Add(options);
            return ReturnCode.Ok;
        }
        return await MergeAsync(options);
    }

    /// <summary>A plugin string: the first opens the session on the host, later ones are merged there.</summary>
    private async Task<ReturnCode> DefinitionAsync(string command, CancellationToken cancellationToken)
    {
        var (definition, error) = PluginString.ForHost(command);
        if (definition is null)
        {
            await _session.FatalAsync(error!);
            return ReturnCode.Error;
        }
        if (!_session.Open)
        {
            var merged = string.Join(':', [.. _earlyOptions.Where(o => o.Length > 0), definition]);
            _earlyOptions.Clear();
            return await _session.OpenAsync(merged, cancellationToken) ? ReturnCode.Ok : ReturnCode.Error;
        }
        return await MergeAsync(definition);
    }

    private async Task<ReturnCode> MergeAsync(string definition)
    {
        try
        {
            await _session.DefineAsync(definition);
            return ReturnCode.Ok;
        }
        catch (RpcException ex)
        {
            await _session.FatalAsync(HostSession.Detail(ex));
            return ReturnCode.Error;
        }
    }

    /// <summary>The backup (or an estimate) begins: the host prepares, snapshots and starts walking.</summary>
    private async Task<ReturnCode> StartAsync(V1.EventType type)
    {
        if (!_session.Open)
        {
            return ReturnCode.Ok; // the plugin string did not load: already reported
        }
        _started = true;
        try
        {
            await _session.EventAsync(type);
            return ReturnCode.Ok;
        }
        catch (RpcException ex)
        {
            await _session.FatalAsync(HostSession.Detail(ex));
            return ReturnCode.Error;
        }
    }

    /// <summary>The job ends (its first end event): the host verifies, commits or undoes, and the session closes.</summary>
    private async Task<ReturnCode> EndAsync(V1.EventType type)
    {
        if (!_session.Open)
        {
            return ReturnCode.Ok;
        }
        if (_session.Ended)
        {
            _session.Close(); // the host saw the connection go and has cleaned up already
            return ReturnCode.Ok;
        }
        try
        {
            if (_restore is not null)
            {
                await EndRestoreAsync();
            }
            await _session.EventAsync(type);
        }
        catch (RpcException ex)
        {
            await _session.ErrorAsync("ending the job: " + HostSession.Detail(ex));
        }
        finally
        {
            CloseEntry();
            _session.Close();
        }
        return ReturnCode.Ok;
    }

    /// <summary>Cancel, on the director's thread while another call may run: the host is told, then the data and host connections are cut.</summary>
    private async Task<ReturnCode> CancelAsync()
    {
        try
        {
            _open?.Connection?.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            // already closed
        }
        await _session.CancelAsync();
        return ReturnCode.Ok;
    }

    /// <summary>A failed call after its reason was sent as a job message: the grpc-fd plugin makes it bRC_Error.</summary>
    private static RpcException Failed(string reason) => new(new Status(StatusCode.Aborted, reason));
}
