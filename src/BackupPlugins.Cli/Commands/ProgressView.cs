// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using System.Collections.Concurrent;
using BackupPlugins.Protocol.V1;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// A job's transfers as Spectre.Console progress bars on a terminal — description, bar, percentage, bytes, rate, time
/// left; a transfer of unknown size (or past its estimate) as an indeterminate bar with its bytes and rate. The bars
/// are drawn only while a transfer runs; the job's lines go above them (through the same console, or to
/// <paramref name="lines"/> when those go elsewhere, a log file), and a completed transfer leaves a <c>done:</c> line
/// in place of its bar when it lasted a second or more. Before a question the bars are taken away, and drawn anew
/// after the answer.
/// </summary>
internal sealed class ProgressView(IAnsiConsole console, TextWriter? lines = null, TimeProvider? clock = null) : JobDisplay
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Dictionary<int, Bar> _bars = [];
    private readonly ConcurrentDictionary<int, Bar> _byTask = new(); // read by the display's refresh thread
    private ProgressContext? _context;
    private TaskCompletionSource? _end;
    private Task? _live;
    private bool _paused;

    /// <summary>A transfer as last reported, and the task that draws it while the display runs.</summary>
    private sealed class Bar(string name, long started)
    {
        public string Name { get; } = name;
        public long Started { get; } = started;
        public long Bytes { get; set; }
        public long Total { get; set; }
        public bool Estimated { get; set; }
        public ProgressTask? Task { get; set; }
        public bool Known => ProgressText.Percent(Bytes, Total) is not null;
    }

    public override async Task LineAsync(string line)
    {
        if (lines is not null)
        {
            await lines.WriteLineAsync(line);
            return;
        }
        console.Write(new Text(line + "\n")); // one write: with the bars drawn, it goes in above them
    }

    public override async Task ProgressAsync(TransferProgress progress)
    {
        if (!_bars.TryGetValue(progress.Id, out var bar))
        {
            _bars[progress.Id] = bar = new Bar(progress.Name, _clock.GetTimestamp());
        }
        bar.Bytes = progress.Bytes;
        bar.Total = progress.TotalBytes;
        bar.Estimated = progress.TotalEstimated;
        if (progress.Done)
        {
            _bars.Remove(progress.Id);
            Drop(bar);
            var took = _clock.GetElapsedTime(bar.Started);
            if (!progress.Failed && took >= TimeSpan.FromSeconds(1))
            {
                await LineAsync(ProgressText.Done(bar.Name, bar.Bytes, took));
            }
            if (_bars.Count == 0)
            {
                await StopAsync();
            }
            return;
        }
        if (_paused)
        {
            return;
        }
        if (bar.Task is null)
        {
            await StartAsync();
            Add(bar);
        }
        Update(bar);
    }

    public override async Task PauseAsync()
    {
        _paused = true;
        foreach (var bar in _bars.Values)
        {
            Drop(bar);
        }
        await StopAsync();
    }

    public override async Task ResumeAsync()
    {
        _paused = false;
        if (_bars.Count == 0)
        {
            return;
        }
        await StartAsync();
        foreach (var bar in _bars.Values)
        {
            Add(bar);
            Update(bar);
        }
    }

    public override async ValueTask DisposeAsync() => await StopAsync();

    private void Add(Bar bar)
    {
        bar.Task = _context!.AddTask(Markup.Escape(bar.Name.Length > 0 ? bar.Name : "transfer"), autoStart: true, maxValue: double.MaxValue);
        _byTask[bar.Task.Id] = bar;
    }

    private static void Update(Bar bar)
    {
        var task = bar.Task!;
        var max = bar.Known ? bar.Total : double.MaxValue; // past an estimate: no percentage, no time left
        if (task.MaxValue != max)
        {
            task.MaxValue = max;
        }
        task.IsIndeterminate = !bar.Known;
        task.Value = bar.Bytes;
    }

    private void Drop(Bar bar)
    {
        if (bar.Task is { } task)
        {
            _context?.RemoveTask(task);
            _byTask.TryRemove(task.Id, out _);
            bar.Task = null;
        }
    }

    /// <summary>Starts drawing (if not drawing yet): the display runs until <see cref="StopAsync"/>.</summary>
    private async Task StartAsync()
    {
        if (_live is not null)
        {
            return;
        }
        var ready = new TaskCompletionSource<ProgressContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        var end = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var barWidth = Math.Clamp((console.Profile.Width - 80) / 2 + 10, 10, 30);
        var live = new Progress(console) { AutoClear = true }
            .Columns(
                new TextColumn((t, width) => Shorten(Of(t)?.Name ?? "", Math.Max(12, width - barWidth - Others))),
                new ProgressBarColumn { Width = barWidth },
                new TextColumn((t, _) => Of(t) is { Known: true } b ? $"{ProgressText.Percent(b.Bytes, b.Total)}%" : ""),
                new TextColumn((t, _) => Of(t) is { } b ? ProgressText.Size(b.Bytes) + (ProgressText.Total(b.Total, b.Estimated) is { } total ? " of " + total : "") : ""),
                new TransferSpeedColumn(),
                new TextColumn((t, _) => Of(t) is { Known: true } && t.RemainingTime is { } left && left < TimeSpan.FromDays(100)
                    ? ProgressText.Duration(left) + " left" : ""))
            .StartAsync(async context =>
            {
                ready.TrySetResult(context);
                await end.Task;
            });
        if (await Task.WhenAny(ready.Task, live) != ready.Task)
        {
            await live; // it could not start: its error
        }
        (_context, _end, _live) = (ready.Task.Result, end, live);
    }

    private async Task StopAsync()
    {
        if (_live is not { } live)
        {
            return;
        }
        _end!.TrySetResult();
        (_context, _end, _live) = (null, null, null);
        _byTask.Clear();
        await live;
    }

    private Bar? Of(ProgressTask task) => _byTask.GetValueOrDefault(task.Id);

    /// <summary>What the columns after the name and the bar take, mostly: <c>99%</c>, <c>99.9 MiB of ~99.9 MiB</c>, the rate, <c>34 s left</c>, gaps.</summary>
    private const int Others = 4 + 20 + 10 + 10 + 6;

    /// <summary>The name in <paramref name="room"/> characters: its middle left out when it is longer.</summary>
    internal static string Shorten(string name, int room) =>
        name.Length <= room ? name : string.Concat(name.AsSpan(0, (room - 1) / 2), "…", name.AsSpan(name.Length - room / 2));

    /// <summary>A column of plain text made from the task's transfer and the console's width; it never wraps.</summary>
    private sealed class TextColumn(Func<ProgressTask, int, string> text) : ProgressColumn
    {
        protected override bool NoWrap => true;

        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(text(task, options.ConsoleSize.Width));
    }
}
