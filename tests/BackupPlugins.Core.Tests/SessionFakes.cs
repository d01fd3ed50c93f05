// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Core.Tests;

/// <summary>A source named "numbered" of <paramref name="count"/> regular entries /f0, /f1, …, with no side effects.</summary>
internal sealed class NumberedSource(int count) : ISourceFactory, ISourceDriver
{
    public string Name => "numbered";
    public string Description => "entries /f0, /f1, …";
    public IReadOnlyList<OptionSpec> Options => [];
    public ISourceDriver Create(PluginDefinition options, JobContext context) => this;
    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task SnapshotAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public IEnumerable<BackupItem> Enumerate(CancellationToken cancellationToken) =>
        Enumerable.Range(0, count).Select(i => new BackupItem(Encoding.ASCII.GetBytes($"/f{i}"), EntryKind.Regular, default));
}

/// <summary>A tool runner for sessions that must run no tools.</summary>
internal sealed class NoTools : IToolRunner
{
    public IReadOnlyList<RunningCommand> Running => [];

    public Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Func<Stream, CancellationToken, Task>? consumeOutput,
        CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}
