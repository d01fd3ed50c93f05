// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using BackupPlugins.Core.Sources;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// The body of an answer from one of XAPI's HTTP handlers (<c>/export</c>, <c>/export_raw_vdi</c>, …), not yet read.
/// Over plain HTTP or the local socket it is the rest of a connection of its own (<see cref="Socket"/>, positioned just
/// after the answer's head), so that a data sink can move it into the file daemon without copying it through this
/// process (splice); over HTTPS it is a decrypted stream. Either way <see cref="Body"/> reads it.
/// </summary>
public sealed class XapiDownload : IAsyncDisposable, IDisposable
{
    private readonly IDisposable? _owner;

    internal XapiDownload(Socket socket)
    {
        Socket = socket;
        Body = new NetworkStream(socket, ownsSocket: true);
    }

    internal XapiDownload(Stream body, IDisposable owner)
    {
        Body = body;
        _owner = owner;
    }

    /// <summary>
    /// The end of the transfer as XAPI saw it — waits for the export's task: its error when the export failed part way
    /// (XAPI then closes the connection as it would at the end, so the body alone cannot tell) — then forgets the task.
    /// </summary>
    internal Func<CancellationToken, Task>? Finish { get; set; }

    /// <summary>Forgets the export's task when the transfer did not get to its end (best effort).</summary>
    internal Func<Task>? Abandon { get; set; }

    /// <summary>Called once the body has been read to its end: throws when XAPI says the export failed.</summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        var finish = Finish;
        Finish = null;
        Abandon = null;
        if (finish is not null)
        {
            await finish(cancellationToken);
        }
    }

    /// <summary>The connection the body comes on, when nothing stands between it and the bytes (no TLS).</summary>
    public Socket? Socket { get; }

    public Stream Body { get; }

    /// <summary>Moves the whole body into <paramref name="sink"/>: straight from the connection when there is one.</summary>
    public Task CopyToAsync(DataSink sink, CancellationToken cancellationToken) =>
        Socket is { } socket ? sink.CopyFromSocketAsync(socket, cancellationToken) : sink.CopyFromAsync(Body, cancellationToken);

    public void Dispose()
    {
        Body.Dispose();
        _owner?.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Dispose();
        var abandon = Abandon;
        Abandon = null;
        if (abandon is not null)
        {
            await abandon();
        }
    }
}
