// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Service.Hosting;

/// <summary>The lifetime of an embedded host: no signal handling of its own (the embedding command has it).</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
