// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Transport;
using BackupPlugins.Protocol.Bareos;
using BackupPlugins.Protocol.Bareos.Core;
using Grpc.Core;

namespace BackupPlugins.GrpcModule;

/// <summary>
/// <c>bareos.plugin.Plugin</c> as the file daemon calls it on fd 3. So far <c>Setup</c>, the daemon's first call (what
/// the module's start-up is measured to), which registers the events the python3-fd shim handles; every other call is
/// answered UNIMPLEMENTED, which fails the job.
/// </summary>
internal sealed class PluginService(CoreConnection core) : Plugin.PluginBase
{
    /// <summary>The events the module takes, as the shim takes them (its defaults from python3-fd and its own).</summary>
    public static readonly EventType[] Events =
    [
        EventType.EventJobStart, EventType.EventJobEnd, EventType.EventStartBackupJob, EventType.EventEndBackupJob,
        EventType.EventStartRestoreJob, EventType.EventEndRestoreJob, EventType.EventBackupCommand, EventType.EventRestoreCommand,
        EventType.EventEstimateCommand, EventType.EventPluginCommand, EventType.EventNewPluginOptions, EventType.EventLevel,
        EventType.EventSince, EventType.EventCancelCommand, EventType.EventEndFileSet, EventType.EventRestoreObject,
    ];

    public override async Task<SetupResponse> Setup(SetupRequest request, ServerCallContext context)
    {
        await core.Client.Events_RegisterAsync(new RegisterRequest { EventTypes = { Events } }, cancellationToken: context.CancellationToken);
        return new SetupResponse();
    }
}
