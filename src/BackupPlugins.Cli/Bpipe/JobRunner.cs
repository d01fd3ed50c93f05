// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using Grpc.Core;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// One bpipe job on the host, whatever its direction: load and start the session, run the body, and end the job with
/// its status on every path — T when it went well, W when some entries failed (both committed), f otherwise (undone).
/// A failure is reported in one line saying what is incomplete.
/// </summary>
internal static class JobRunner
{
    public static async Task<string> RunAsync<TSession>(Func<Task<TSession>> load, Func<TSession, Task> start, Func<TSession, Task> body,
        Func<TSession, string, Task> end, Reporter report, string incomplete)
        where TSession : HostSession
    {
        TSession? session = null;
        var status = "f";
        try
        {
            session = await load();
            await start(session);
            await body(session);
            status = report.Errors == 0 ? "T" : "W";
        }
        catch (Exception ex) when (Describe(ex) is { } reason)
        {
            report.Error($"{reason}; {incomplete}");
        }
        finally
        {
            if (session is not null)
            {
                try
                {
                    await end(session, status);
                }
                catch (RpcException ex)
                {
                    report.Error($"ending the job: {ex.Status.Detail}");
                    status = "f";
                }
            }
        }
        return status;
    }

    /// <summary>The one-line reason of a failure that ends the job; null for bugs, which keep their stack.</summary>
    public static string? Describe(Exception ex) => ex switch
    {
        RpcException rpc => rpc.Status.Detail,
        OperationCanceledException => "cancelled",
        IOException or PosixException or BackupPluginException or UnauthorizedAccessException or InvalidDataException or FormatException => ex.Message,
        _ => null,
    };
}
