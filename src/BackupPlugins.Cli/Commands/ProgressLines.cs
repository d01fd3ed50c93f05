// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// A job's lines and its transfers' progress as plain lines, for output that is not a terminal (cron, the journal, a
/// log file): per transfer at most one <c>progress:</c> line every <paramref name="interval"/> (the first one interval
/// after it started; its rate is that of the bytes since the last line), and a <c>done:</c> line when it completes —
/// only for a transfer that lasted at least one interval, so a short run prints what it printed without progress.
/// A zero interval prints no progress at all.
/// </summary>
internal sealed class ProgressLines(TextWriter output, TimeSpan interval, TimeProvider? clock = null) : JobDisplay
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<int, Seen> _transfers = [];

    /// <summary>A transfer since its first report: when it started, and when and at how many bytes its last line was.</summary>
    private sealed class Seen(long started, long bytes)
    {
        public long Started { get; } = started;
        public long LastLine { get; set; } = started;
        public long LastBytes { get; set; } = bytes;
    }

    public override Task LineAsync(string line) => output.WriteLineAsync(line);

    public override async Task ProgressAsync(TransferProgress progress)
    {
        if (interval <= TimeSpan.Zero)
        {
            return;
        }
        var now = _clock.GetTimestamp();
        if (!_transfers.TryGetValue(progress.Id, out var seen))
        {
            _transfers[progress.Id] = seen = new Seen(now, progress.Bytes);
        }
        if (progress.Done)
        {
            _transfers.Remove(progress.Id);
            var took = _clock.GetElapsedTime(seen.Started, now);
            if (!progress.Failed && took >= interval)
            {
                await output.WriteLineAsync(ProgressText.Done(progress.Name, progress.Bytes, took));
            }
            return;
        }
        var since = _clock.GetElapsedTime(seen.LastLine, now);
        if (since >= interval)
        {
            var rate = (progress.Bytes - seen.LastBytes) / since.TotalSeconds;
            await output.WriteLineAsync(ProgressText.Progress(progress.Name, progress.Bytes, progress.TotalBytes, progress.TotalEstimated, rate));
            seen.LastLine = now;
            seen.LastBytes = progress.Bytes;
        }
    }
}
