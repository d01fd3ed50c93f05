// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Service.Hosting;

/// <summary>When this host started.</summary>
public sealed class HostClock(TimeProvider time)
{
    public DateTimeOffset Started { get; } = time.GetUtcNow();

    public DateTimeOffset Now => time.GetUtcNow();
}
