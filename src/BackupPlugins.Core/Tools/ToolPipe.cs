// SPDX-License-Identifier: AGPL-3.0-or-later
using System.IO.Pipelines;
using BackupPlugins.Core.Jobs;

namespace BackupPlugins.Core.Tools;

/// <summary>What a pipe of two commands did: both results and the bytes that went through.</summary>
public sealed record PipeResult(ToolResult Producer, ToolResult Consumer, long Bytes);

/// <summary>
/// <c>producer | consumer</c> through the one runner, without a shell: both run at once, the producer's standard
/// output feeds the consumer's standard input, and <b>both</b> exit codes count (a shell pipe reports only the
/// last). If one side fails the other is stopped, and the error names the side that failed first. The producer's bytes
/// are counted as they pass (into <c>progress</c> too, when given: a job's transfer whose progress the operator sees).
/// </summary>
public static class ToolPipe
{
    public static async Task<PipeResult> RunAsync(IToolRunner runner, ToolCommand producer, ToolCommand consumer,
        CancellationToken cancellationToken, Stream? consumerOutput = null, JobTransfer? progress = null)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 8 << 20, resumeWriterThreshold: 4 << 20));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var counter = new CountingStream(pipe.Writer.AsStream(), progress);
        var produce = RunSideAsync(async () =>
        {
            try
            {
                return await runner.RunAsync(producer, null, counter, stop.Token);
            }
            finally
            {
                await pipe.Writer.CompleteAsync();
            }
        }, stop);
        var consume = RunSideAsync(async () =>
        {
            try
            {
                return consumerOutput is null
                    ? await runner.RunAsync(consumer, pipe.Reader.AsStream(), consumeOutput: null, stop.Token)
                    : await runner.RunAsync(consumer, pipe.Reader.AsStream(), consumerOutput, stop.Token);
            }
            finally
            {
                await pipe.Reader.CompleteAsync();
            }
        }, stop);
        var first = await Task.WhenAny(produce, consume);
        if (first.IsFaulted || first.IsCanceled)
        {
            await Task.WhenAll(produce.ContinueWith(_ => { }), consume.ContinueWith(_ => { }));
            await first; // the side that failed first explains the failure
        }
        return new PipeResult(await produce, await consume, counter.Bytes);
    }

    private static async Task<ToolResult> RunSideAsync(Func<Task<ToolResult>> side, CancellationTokenSource stop)
    {
        try
        {
            return await side();
        }
        catch
        {
            await stop.CancelAsync(); // the other side cannot finish on its own
            throw;
        }
    }
}
