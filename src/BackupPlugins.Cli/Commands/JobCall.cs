// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// The command-line end of a standalone job that runs in the host (<c>Jobs.Run</c>): prints its lines, asks its
/// questions at the terminal, and on SIGINT/SIGTERM/SIGHUP tells it to stop and prints what it undoes. Returns the
/// job's exit code.
/// </summary>
internal static class JobCall
{
    public static async Task<int> RunAsync(GrpcChannel channel, JobRequest request, TextWriter output, TextReader input,
        CancellationToken stop)
    {
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
                        await output.WriteLineAsync(message.Line);
                        break;
                    case JobOutput.OutputOneofCase.Question:
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
                        break;
                    case JobOutput.OutputOneofCase.ExitCode:
                        return message.ExitCode;
                }
            }
            await output.WriteLineAsync("error: the host ended the job without saying how it ended; see the host's log");
            return 2;
        }
        catch (RpcException ex)
        {
            await output.WriteLineAsync($"error: {ex.Status.Detail}");
            return 2;
        }
    }
}
