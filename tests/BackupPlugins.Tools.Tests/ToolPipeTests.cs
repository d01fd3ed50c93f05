// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Tools.Tests;

/// <summary>producer | consumer on real processes: bytes pass, both exit codes count, a failing side stops the other.</summary>
public class ToolPipeTests
{
    private readonly ToolRunner _runner = new(NullLogger<ToolRunner>.Instance);

    [Fact]
    public async Task Run_BothSucceed_PassesEveryByteAndCountsThem()
    {
        var result = await ToolPipe.RunAsync(_runner, new ToolCommand(["head", "-c", "50000000", "/dev/zero"]),
            new ToolCommand(["wc", "-c"]), CancellationToken.None);

        Assert.Equal(50_000_000, result.Bytes);
        Assert.Equal("50000000", result.Consumer.StandardOutput.Trim());
    }

    [Fact]
    public async Task Run_ProducerFails_IsAnErrorEvenThoughTheConsumerExitsZero()
    {
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => ToolPipe.RunAsync(_runner,
            new ToolCommand(["sh", "-c", "echo partial; echo 'send: I/O error' >&2; exit 3"]), new ToolCommand(["cat"]),
            CancellationToken.None));

        Assert.Equal("sh -c 'echo partial; echo '\\''send: I/O error'\\'' >&2; exit 3': exit code 3: send: I/O error", ex.Message);
    }

    [Fact]
    public async Task Run_ConsumerFails_StopsTheProducerAndSaysWhy()
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => ToolPipe.RunAsync(_runner,
            new ToolCommand(["sleep", "30"]) { GracePeriod = TimeSpan.FromSeconds(1) },
            new ToolCommand(["sh", "-c", "echo 'receive: destination has been modified' >&2; exit 1"]), CancellationToken.None));

        Assert.Equal("sh -c 'echo '\\''receive: destination has been modified'\\'' >&2; exit 1': exit code 1: receive: destination has been modified", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Empty(_runner.Running);
    }

    private sealed class BrokenStream : MemoryStream
    {
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new IOException("Broken pipe");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("Broken pipe");
    }

    [Fact]
    public async Task Run_OutputStreamFails_StopsTheCommandInsteadOfLeavingItBlocked()
    {
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() =>
            ((IToolRunner)_runner).RunAsync(new ToolCommand(["yes"]), null, new BrokenStream(), CancellationToken.None));

        Assert.StartsWith("yes: stopped: its output stream failed: Broken pipe", ex.Message); // then the tail: yes saw EPIPE
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Empty(_runner.Running);
    }
}
