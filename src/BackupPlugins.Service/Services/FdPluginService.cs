// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Trees;
using BackupPlugins.Service.Data;
using BackupPlugins.Service.Hosting;
using BackupPlugins.Service.Mapping;
using Google.Protobuf;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Services;

/// <summary>The bridge: one RPC per Bareos callback, mapped onto a <see cref="Session"/>. No logic of its own.</summary>
internal sealed class FdPluginService(SessionRegistry sessions, DataSocketServer data, HostSettings settings) : V1.FdPlugin.FdPluginBase
{
    private const int MaxBatch = 4096;

    /// <summary>The protocol revision this host speaks: the newest in the proto it was built from.</summary>
    public static readonly V1.Revision Revision = Enum.GetValues<V1.Revision>().Max();

    public override Task<V1.LoadPluginResponse> LoadPlugin(V1.LoadPluginRequest request, ServerCallContext context)
    {
        if (request.Protocol != Revision)
        {
            var shim = request.ShimVersion.Length == 0 ? "" : $" (shim version {request.ShimVersion})";
            throw new BackupPluginException(ErrorKind.Precondition, "protocol.revision",
                $"the plugin{shim} speaks protocol revision {(int)request.Protocol} and this host (version {ControlService.Version}) " +
                $"speaks revision {(int)Revision}: install the shim and the host from the same BackupPlugins release");
        }
        var connection = context.GetHttpContext().Connection.Id;
        var session = sessions.Open(connection, ProtoMapping.ToFacts(request.Job));
        session.NamesAsBytes = request.NamesAsBytes;
        session.SeparateProcess = request.SeparateProcess;
        session.MergeOptions(Encoding.UTF8.GetString(request.PluginDefinition.Span));
        var reply = new V1.LoadPluginResponse { Session = session.Id };
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return Task.FromResult(reply);
    }

    public override Task<V1.PluginReply> ParsePluginDefinition(V1.ParsePluginDefinitionRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        session.MergeOptions(Encoding.UTF8.GetString(request.PluginDefinition.Span));
        return Task.FromResult(Reply(session));
    }

    public override async Task<V1.PluginReply> HandlePluginEvent(V1.HandlePluginEventRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        if (request.Job is not null)
        {
            session.UpdateJob(ProtoMapping.ToFacts(request.Job));
        }
        switch (request.Event)
        {
            case V1.EventType.EventStartBackupJob or V1.EventType.EventEstimateCommand:
                await session.StartBackupAsync(context.CancellationToken);
                break;
            case V1.EventType.EventCancelCommand:
                data.AbortSession(session.Id);
                await session.CancelAsync("cancelled by the director");
                break;
            case V1.EventType.EventEndBackupJob or V1.EventType.EventEndRestoreJob or V1.EventType.EventJobEnd:
                data.AbortSession(session.Id);
                await sessions.EndAsync(session, $"event {request.Event}", succeeded: request.Job?.JobStatus is "T" or "W");
                break;
        }
        return Reply(session);
    }

    public override async Task<V1.StartBackupFileResponse> StartBackupFile(V1.StartBackupFileRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var max = (int)Math.Clamp(request.MaxFiles == 0 ? 256 : request.MaxFiles, 1, MaxBatch);
        var reply = new V1.StartBackupFileResponse();
        var room = request.MaxBytes == 0 ? long.MaxValue : request.MaxBytes;
        var (items, more) = await session.NextAsync(max, item => (room -= ProtoMapping.ApproximateSize(item)) >= 0);
        foreach (var item in items)
        {
            if (item.Data == DataDelivery.Socket)
            {
                session.RememberStreamed(ProtoMapping.BareosName(item, session.NamesAsBytes), item);
            }
            reply.Items.Add(ProtoMapping.ToProto(item, session.NamesAsBytes));
        }
        reply.More = more;
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return reply;
    }

    public override Task<V1.CheckFileResponse> CheckFile(V1.CheckFileRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var name = BareosNames.Decode(request.Fname.Span);
        var reply = new V1.CheckFileResponse { Seen = session.KeepUnseen(name) };
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return Task.FromResult(reply);
    }

    public override Task<V1.FileOpenResponse> FileOpen(V1.FileOpenRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        byte[] token;
        if (session.TakeSocketRestore(ProtoMapping.DecodeTarget(request.Fname.Span)) is var (restoreItem, restoreDriver))
        {
            // Restore: the core writes the entry into the connection, the driver drains it.
            token = data.RegisterConsumer(session.Id, async (stream, ct) =>
            {
                await restoreDriver.ReceiveDataAsync(restoreItem, stream, ct);
                session.AddBytes(stream.Position);
            }, request.Fname.ToStringUtf8());
        }
        else
        {
            var item = session.TakeStreamed(request.Fname.ToByteArray()) ?? throw new BackupPluginException(ErrorKind.NotFound,
                "data.unknown", $"FileOpen for {Encoding.UTF8.GetString(request.Fname.Span)}, which this job did not hand out as a streamed entry");
            var driver = session.Driver!;
            token = data.Register(session.Id, async (sink, ct) =>
            {
                await driver.WriteDataAsync(item, sink, ct);
                session.AddBytes(sink.Written);
            }, request.Fname.ToStringUtf8());
        }
        var reply = new V1.FileOpenResponse { DataSocket = data.Path, Token = ByteString.CopyFrom(token) };
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return Task.FromResult(reply);
    }

    public override async Task<V1.FileCloseResponse> FileClose(V1.FileCloseRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var result = await data.CompleteAsync(request.Token.ToByteArray(), TimeSpan.FromSeconds(60), context.CancellationToken);
        if (result.Complete && settings.LongEntry > TimeSpan.Zero && result.Took >= settings.LongEntry)
        {
            // The only moment the python3 plugin can speak during a long entry: the file daemon's core reads the data
            // socket itself, with no callback until this FileClose.
            session.Messages.Add(JobSeverity.Info, ProgressText.Summary(result.Name, result.Bytes, result.Took));
        }
        var reply = new V1.FileCloseResponse { Bytes = result.Bytes, Complete = result.Complete, Error = result.Error };
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return reply;
    }

    public override async Task<V1.CreateFileResponse> CreateFile(V1.CreateFileRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var item = ProtoMapping.ToDomain(request);
        var result = await session.CreateFileAsync(request.Cmd.ToStringUtf8(), item, request.Where, request.RegexWhere,
            context.CancellationToken, request.WhereUnset);
        var reply = new V1.CreateFileResponse
        {
            Status = ProtoMapping.ToProto(result.Outcome),
            DataPath = result.Data switch
            {
                DataDelivery.Path => V1.DataPath.Path,
                DataDelivery.Socket => V1.DataPath.Socket,
                _ => V1.DataPath.None,
            },
        };
        if (result.OpenPath is not null)
        {
            reply.OpenPath = ByteString.CopyFrom(result.OpenPath);
        }
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return reply;
    }

    public override Task<V1.PluginReply> EndRestoreFile(V1.EndRestoreFileRequest request, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var target = ProtoMapping.DecodeTarget(request.Ofname.Span);
        var acl = request.Acl.IsEmpty ? null : request.Acl.ToByteArray();
        session.EndRestoreFile(target, new RestoreMetadata(ProtoMapping.ToDomain(request.Xattrs), acl, request.DataOk));
        return Task.FromResult(Reply(session));
    }

    public override async Task ReadFile(V1.ReadFileRequest request, IServerStreamWriter<V1.DataChunk> responseStream, ServerCallContext context)
    {
        var session = sessions.Get(request.Session);
        var item = session.TakeStreamed(request.Fname.ToByteArray()) ?? throw new BackupPluginException(ErrorKind.NotFound,
            "data.unknown", $"ReadFile for {Encoding.UTF8.GetString(request.Fname.Span)}, which this job did not hand out as a streamed entry");
        var chunk = (int)Math.Clamp(request.ChunkSize == 0 ? 64u << 10 : request.ChunkSize, 4096u, 4u << 20);
        await using var writer = new ChunkWriter(responseStream, chunk);
        await session.Driver!.WriteDataAsync(item, new ChunkWriter.Sink(writer), context.CancellationToken);
        await writer.FlushAsync(context.CancellationToken);
        session.AddBytes(writer.Position);
    }

    public override async Task<V1.WriteFileResponse> WriteFile(IAsyncStreamReader<V1.WriteFileRequest> requestStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            throw new BackupPluginException(ErrorKind.BadInput, "data.empty", "WriteFile needs a first message naming the session and file");
        }
        var first = requestStream.Current;
        var session = sessions.Get(first.Session);
        var target = session.OpenRestoreTarget(ProtoMapping.DecodeTarget(first.Ofname.Span)).Target;
        using var handle = Core.Posix.FileSystem.OpenWrite(target);
        var writer = new BlockFileWriter(handle);
        var message = first;
        while (true)
        {
            writer.Append(message.Data.Span);
            if (!await requestStream.MoveNext(context.CancellationToken))
            {
                break;
            }
            message = requestStream.Current;
        }
        writer.Flush();
        var written = writer.Length;
        session.AddBytes(written);
        return new V1.WriteFileResponse { Bytes = written };
    }

    private static V1.PluginReply Reply(Session session)
    {
        var reply = new V1.PluginReply();
        reply.Messages.AddRange(ProtoMapping.ToProto(session.Messages.Drain()));
        return reply;
    }
}
