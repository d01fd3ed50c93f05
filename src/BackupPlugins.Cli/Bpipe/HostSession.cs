// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// One job on the host, driven the way a file daemon drives it through the shim: the same RPCs in the same order.
/// Job messages go to standard error as one line each (Bacula and Bareos put a bpipe command's standard error in
/// the job log); errors among them make the command fail at the end.
/// </summary>
internal abstract class HostSession(FdPlugin.FdPluginClient plugin, string session, Reporter report)
{
    protected FdPlugin.FdPluginClient Plugin => plugin;
    protected string Session => session;
    protected Reporter Report => report;

    protected static async Task<string> LoadAsync(FdPlugin.FdPluginClient plugin, JobInfo job, string definition, Reporter report,
        CancellationToken cancellationToken)
    {
        var loaded = await plugin.LoadPluginAsync(new LoadPluginRequest
        {
            Job = job,
            PluginDefinition = ByteString.CopyFromUtf8(definition),
            ShimVersion = "bpipe",
            IoInCore = true,
            Protocol = Revision.PackedStat,
        }, cancellationToken: cancellationToken);
        report.Messages(loaded.Messages);
        return loaded.Session;
    }

    protected async Task EventAsync(EventType type, JobInfo? job, CancellationToken cancellationToken)
    {
        var reply = await plugin.HandlePluginEventAsync(new HandlePluginEventRequest { Session = session, Event = type, Job = job },
            cancellationToken: cancellationToken);
        report.Messages(reply.Messages);
    }

    /// <summary>A data connection for one entry: connect, send the token; the host writes into it or drains it.</summary>
    protected async Task<(Socket Socket, ByteString Token)> ConnectDataAsync(ByteString fname, int flags, uint mode, CancellationToken cancellationToken)
    {
        var opened = await plugin.FileOpenAsync(new FileOpenRequest { Session = session, Fname = fname, Flags = flags, Mode = mode },
            cancellationToken: cancellationToken);
        report.Messages(opened.Messages);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(opened.DataSocket), cancellationToken);
            await socket.SendAsync(opened.Token.Memory, SocketFlags.None, cancellationToken);
            return (socket, opened.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The host's word on a data connection once it is closed: every byte, or why not.</summary>
    protected async Task ConfirmDataAsync(ByteString token, string name)
    {
        var closed = await plugin.FileCloseAsync(new FileCloseRequest { Session = session, Token = token });
        report.Messages(closed.Messages);
        if (!closed.Complete)
        {
            throw new IOException($"{name}: data stream incomplete after {closed.Bytes} bytes: {closed.Error}");
        }
    }
}
