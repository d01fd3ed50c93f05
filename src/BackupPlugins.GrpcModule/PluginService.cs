// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.Bareos;
using Grpc.Core;

namespace BackupPlugins.GrpcModule;

/// <summary>
/// <c>bareos.plugin.Plugin</c> as the file daemon calls it on fd 3. So far only <c>Setup</c>, the daemon's first call
/// (what the module's start-up is measured to); every other call is answered UNIMPLEMENTED, which fails the job.
/// </summary>
internal sealed class PluginService : Plugin.PluginBase
{
    public override Task<SetupResponse> Setup(SetupRequest request, ServerCallContext context) => Task.FromResult(new SetupResponse());
}
