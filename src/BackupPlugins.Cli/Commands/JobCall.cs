// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// The command-line end of a standalone job that runs in the host (<c>Jobs.Run</c>): shows its lines and the progress
/// of its transfers through <paramref name="display"/> (bars on a terminal, periodic lines otherwise; see
/// <see cref="ProgressOptions"/>), asks its questions at the terminal, and on SIGINT/SIGTERM/SIGHUP tells it to stop
/// and shows what it undoes. Returns the job's exit code.
/// </summary>
internal static class JobCall
{
    public static async Task<int> RunAsync(GrpcChannel channel, JobRequest request, TextWriter output, TextReader input,
        CancellationToken stop, JobDisplay? display = null)
    {
        await using var shown = display ?? new ProgressLines(output, TimeSpan.FromSeconds(ProgressOptions.DefaultInterval));
        using var call = new Jobs.JobsClient(channel).Run();
        using var writing = new SemaphoreSlim(1, 1); // a call's request stream takes one write at a time
        async Task SendAsync(JobInput message)
        {
            await writing.WaitAsync();
            try
            {
                await call.RequestStream.WriteAsync(message);
            }
            finally
            {
                writing.Release();
            }
        }
        try
        {
            await SendAsync(new JobInput { Start = request });
            await using var stopping = stop.Register(() => _ = SendAsync(new JobInput { Stop = true }));
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var message = call.ResponseStream.Current;
                switch (message.OutputCase)
                {
                    case JobOutput.OutputOneofCase.Line:
                        await shown.LineAsync(message.Line);
                        break;
                    case JobOutput.OutputOneofCase.Progress:
                        await shown.ProgressAsync(message.Progress);
                        break;
                    case JobOutput.OutputOneofCase.Question:
                        await shown.PauseAsync();
                        await output.WriteAsync(message.Question + " [y/N] ");
                        await output.FlushAsync();
                        try
                        {
                            var answer = await Task.Run(input.ReadLine).WaitAsync(stop); // a stop does not wait for the answer
                            await SendAsync(new JobInput { Answer = (answer ?? "").Trim().ToLowerInvariant() is "y" or "yes" });
                        }
                        catch (OperationCanceledException)
                        {
                            await output.WriteLineAsync();
                        }
                        await shown.ResumeAsync();
                        break;
                    case JobOutput.OutputOneofCase.ExitCode:
                        return message.ExitCode;
                }
            }
            await shown.LineAsync("error: the host ended the job without saying how it ended; see the host's log");
            return 2;
        }
        catch (RpcException ex)
        {
            await shown.LineAsync($"error: {ex.Status.Detail}");
            return 2;
        }
    }
}
