// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Core.Tests;

/// <summary>Batches of start_backup_file entries: up to a count, and ended early where the caller's budget says.</summary>
public class SessionBatchTests
{
    private static async Task<Session> StreamingAsync(int entries)
    {
        var registry = new SessionRegistry(new SourceCatalog([new NumberedSource(entries)]), new NoTools(), NullLoggerFactory.Instance, TimeProvider.System);
        var session = registry.Open("c1", new JobFacts(1, "job", JobLevel.Full, 'B', 0, false, "", "", "fd"));
        session.MergeOptions("source=numbered:");
        await session.StartBackupAsync(CancellationToken.None);
        return session;
    }

    private static string[] Names(IReadOnlyList<BackupItem> items) => items.Select(i => Encoding.ASCII.GetString(i.Name)).ToArray();

    [Fact]
    public async Task Next_EntryThatDoesNotFit_EndsTheBatchAndComesFirstInTheNext()
    {
        var session = await StreamingAsync(5);
        var room = 3;
        var (first, more) = await session.NextAsync(10, _ => room-- > 0);
        Assert.Equal(["/f0", "/f1", "/f2"], Names(first));
        Assert.True(more);
        var (second, last) = await session.NextAsync(10, _ => true);
        Assert.Equal(["/f3", "/f4"], Names(second));
        Assert.False(last);
    }

    [Fact]
    public async Task Next_FirstEntryDoesNotFit_IsSentAlone()
    {
        var session = await StreamingAsync(3);
        var (items, more) = await session.NextAsync(10, _ => false);
        Assert.Equal(["/f0"], Names(items));
        Assert.True(more);
    }

    [Fact]
    public async Task Next_UpToTheCount()
    {
        var session = await StreamingAsync(5);
        var (items, more) = await session.NextAsync(2);
        Assert.Equal(["/f0", "/f1"], Names(items));
        Assert.True(more);
        Assert.Equal(2, session.Files);
    }
}
