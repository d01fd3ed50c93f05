// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using BackupPlugins.Core.Tools;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>
/// The real runner, watched: it records every command, counts how many of one program ran at the same time, and can
/// act before a command runs (<paramref name="before"/>), e.g. to change a remote file under the verification.
/// </summary>
public sealed class ObservingToolRunner(IToolRunner inner, Action<ToolCommand>? before = null) : IToolRunner
{
    private readonly ConcurrentQueue<ToolCommand> _commands = new();
    private readonly ConcurrentDictionary<string, int> _now = new();
    private readonly ConcurrentDictionary<string, int> _most = new();

    public IReadOnlyList<ToolCommand> Commands => [.. _commands];
    public IReadOnlyList<RunningCommand> Running => inner.Running;

    /// <summary>The most commands of <paramref name="program"/> (argv[0]) that were running at once.</summary>
    public int MostAtOnce(string program) => _most.GetValueOrDefault(program);

    public async Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Func<Stream, CancellationToken, Task>? consumeOutput,
        CancellationToken cancellationToken)
    {
        _commands.Enqueue(command);
        before?.Invoke(command);
        var program = command.Argv[0];
        var now = _now.AddOrUpdate(program, 1, (_, n) => n + 1);
        _most.AddOrUpdate(program, now, (_, most) => Math.Max(most, now));
        try
        {
            return await inner.RunAsync(command, input, consumeOutput, cancellationToken);
        }
        finally
        {
            _now.AddOrUpdate(program, 0, (_, n) => n - 1);
        }
    }
}
