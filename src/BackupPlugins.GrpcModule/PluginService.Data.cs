// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using System.Net.Sockets;
using BackupPlugins.GrpcModule.Host;
using BackupPlugins.GrpcModule.Transport;
using BackupPlugins.Protocol.Bareos;
using Google.Protobuf;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule;

/// <summary>
/// Entry data never passes through the module: every entry is opened for the core (io_in_core) and its descriptor
/// handed over on fd 5 — a file the module opens (the host's open path), or a data connection to the host for an
/// entry the host streams (a zfs send stream, a ploop image) or drains (its restore). The grpc-fd plugin's
/// FileRead/FileWrite (data copied through fd 5 in pieces, one call per piece) are not used: a descriptor in the core
/// is what the file daemon reads its own files through.
/// </summary>
internal sealed partial class PluginService
{
    private OpenEntry? _open;

    public override async Task<FileOpenResponse> FileOpen(FileOpenRequest request, ServerCallContext context)
    {
        CloseEntry();
        try
        {
            if (_restore is { } restore)
            {
                _open = restore.Created.DataPath == V1.DataPath.Socket
                    ? await ConnectAsync(restore.Name, restore: true)
                    : Opened(restore.Name.ToByteArray(), NativeFiles.OpenForWriting(Path(restore.Created.OpenPath, restore.Name)), restore: true);
            }
            else if (_item is { } item)
            {
                _open = item.DataPath == V1.DataPath.Socket
                    ? await ConnectAsync(item.Fname, restore: false)
                    : Opened(item.Fname.ToByteArray(), NativeFiles.OpenForReading(Path(item.OpenPath, item.Fname)), restore: false);
            }
            else
            {
                throw new IOException($"{request.File.ToStringUtf8()}: opened with no entry current");
            }
            data.Hand(_open.Connection is { } connection ? (int)connection.Handle : _open.Descriptor);
            return new FileOpenResponse { IoInCore = true };
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            CloseEntry();
            if (_restore is not null)
            {
                _restore.DataOk = false;
            }
            await _session.ErrorAsync(ex.Message);
            throw Failed(ex.Message);
        }
        catch (RpcException ex)
        {
            await _session.FatalAsync($"{request.File.ToStringUtf8()}: {HostSession.Detail(ex)}");
            throw Failed(HostSession.Detail(ex));
        }
    }

    /// <summary>
    /// A sparse file's restore: the core seeks over a hole through the plugin even with the descriptor in its hands; the
    /// module's copy shares the file offset with the core's.
    /// </summary>
    public override async Task<FileSeekResponse> FileSeek(FileSeekRequest request, ServerCallContext context)
    {
        var whence = request.Whence switch
        {
            SeekStart.OfFile => 0,
            SeekStart.SeekCurrent => 1,
            SeekStart.SeekEndOfFile => 2,
            _ => -1,
        };
        try
        {
            if (_open is not { Descriptor: >= 0 } open || whence < 0)
            {
                throw new IOException(_open is null ? "seek with no entry open" : $"seek with whence {request.Whence}");
            }
            NativeFiles.Seek(open.Descriptor, request.Offset, whence);
            return new FileSeekResponse();
        }
        catch (IOException ex)
        {
            if (_restore is not null)
            {
                _restore.DataOk = false;
            }
            var name = _open is { } o ? System.Text.Encoding.UTF8.GetString(o.Name) + ": " : "";
            await _session.ErrorAsync(name + ex.Message);
            throw Failed(ex.Message);
        }
    }

    public override async Task<FileCloseResponse> FileClose(FileCloseRequest request, ServerCallContext context)
    {
        var open = _open;
        _open = null;
        if (open is null)
        {
            return new FileCloseResponse();
        }
        if (open.Connection is null)
        {
            if (!open.Restore && _item is { } item)
            {
                await CheckUnchangedAsync(open, item);
            }
            NativeFiles.Close(open.Descriptor);
            return new FileCloseResponse();
        }
        if (open.Restore)
        {
            Shut(open.Connection, SocketShutdown.Send); // end of data: the host drains to EOF
        }
        open.Connection.Dispose();
        await ConfirmStreamAsync(open);
        return new FileCloseResponse();
    }

    private static byte[] Path(ByteString openPath, ByteString name) => (openPath.IsEmpty ? name : openPath).ToByteArray();

    private static OpenEntry Opened(byte[] name, int descriptor, bool restore) => new() { Name = name, Descriptor = descriptor, Restore = restore };

    /// <summary>A data connection for an entry the host streams or drains: FileOpen on the host, connect, send the token.</summary>
    private async Task<OpenEntry> ConnectAsync(ByteString name, bool restore)
    {
        var reply = await _session.CallAsync((c, o) => c.FileOpenAsync(new V1.FileOpenRequest { Session = _session.Id, Fname = name }, o),
            r => r.Messages);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(8));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(reply.DataSocket), timeout.Token);
            await socket.SendAsync(reply.Token.Memory, SocketFlags.None, timeout.Token);
            NativeFiles.MakeBlocking((int)socket.Handle);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new OpenEntry { Name = name.ToByteArray(), Connection = socket, Token = reply.Token.ToByteArray(), Restore = restore };
    }

    /// <summary>The core takes an early EOF for the end of a file: only the host knows whether the stream was whole.</summary>
    private async Task ConfirmStreamAsync(OpenEntry open)
    {
        var name = System.Text.Encoding.UTF8.GetString(open.Name);
        string text;
        try
        {
            var reply = await _session.CallAsync((c, o) => c.FileCloseAsync(new V1.FileCloseRequest
            {
                Session = _session.Id, Token = ByteString.CopyFrom(open.Token),
            }, o), r => r.Messages);
            if (reply.Complete)
            {
                return;
            }
            text = $"{name}: data stream incomplete after {reply.Bytes} bytes: {reply.Error}";
        }
        catch (RpcException ex)
        {
            text = $"{name}: data stream not confirmed: {HostSession.Detail(ex)}";
        }
        if (_restore is not null)
        {
            _restore.DataOk = false;
            await _session.ErrorAsync(text); // one file of a restore failed; the others go on
        }
        else
        {
            await _session.FatalAsync(text);
        }
        throw Failed(text);
    }

    /// <summary>As the shim does: a file whose size or mtime moved while the core read it is named in the job log.</summary>
    private async Task CheckUnchangedAsync(OpenEntry open, V1.BackupFile item)
    {
        try
        {
            var (size, mtime) = NativeFiles.SizeAndMtime(open.Descriptor);
            var stat = item.Stat.Span;
            var (wasSize, wasMtime) = (BinaryPrimitives.ReadInt64LittleEndian(stat[40..]), BinaryPrimitives.ReadInt64LittleEndian(stat[56..]));
            if (size != wasSize || mtime != wasMtime)
            {
                var what = size != wasSize ? $"size {wasSize}, now {size}" : "modified while it was read";
                await _session.ErrorAsync($"{item.Fname.ToStringUtf8()} changed while it was being backed up ({what}); the saved copy may be inconsistent");
            }
        }
        catch (IOException)
        {
            // nothing to compare with
        }
    }

    /// <summary>Closes what the module still holds of an entry (the core has closed its own copy).</summary>
    private void CloseEntry()
    {
        var open = _open;
        _open = null;
        if (open is null)
        {
            return;
        }
        open.Connection?.Dispose();
        if (open.Descriptor >= 0)
        {
            NativeFiles.Close(open.Descriptor);
        }
    }

    private static void Shut(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // the host has gone already: FileClose says so
        }
    }
}
