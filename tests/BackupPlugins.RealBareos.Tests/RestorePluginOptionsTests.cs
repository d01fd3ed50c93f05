// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.RealBareos;
using Xunit.Abstractions;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// <c>restore … pluginoptions=</c> wins over the plugin string recorded in the backup: here the host's socket moved
/// after the backup, as it does when a client is reinstalled.
/// </summary>
[Collection(BareosCollection.Name)]
public sealed class RestorePluginOptionsTests(BareosFixture world, ITestOutputHelper output)
{
    [Fact]
    public async Task RestorePluginOptions_OverrideTheRecordedString()
    {
        var moved = Path.Combine(world.Work, "socket-before-the-move.sock");
        File.CreateSymbolicLink(moved, world.HostSocket);
        var (source, expected, backup) = await world.BackUpCorpusAsync("pluginoptions", socket: moved);
        File.Delete(moved);

        var target = Path.Combine(world.Work, "pluginoptions-restored");
        var recorded = await world.Console.RunJobAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} where={target} all done yes");
        output.WriteLine(recorded.ToString());
        Assert.Equal("f", recorded.Status);
        Assert.Contains($"Fatal error: python3-fd-mod: backupplugins: cannot start: cannot connect to the BackupPlugins host at {moved}: " +
            $"No such file or directory (socket={moved})", recorded.Log);

        var overridden = await world.RestoreAsync(
            $"restore client={BareosConfig.Client} jobid={backup.JobId} where={target} pluginoptions=\"python3:socket={world.HostSocket}\" all done yes");
        output.WriteLine(overridden.ToString());
        var differences = await Trees.CompareAsync(expected, target + source);
        Assert.True(differences.Length == 0, differences);
    }
}
