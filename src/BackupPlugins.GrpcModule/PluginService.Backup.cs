// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Host;
using BackupPlugins.GrpcModule.Mapping;
using BackupPlugins.Protocol.Bareos;
using BackupPlugins.Protocol.Bareos.Core;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule;

/// <summary>Backup: entries come from the host in batches, the next one asked for while the current one is handed out.</summary>
internal sealed partial class PluginService
{
    private const int Batch = 2048; // entries per StartBackupFile call,
    private const int BatchBytes = 1 << 20; // and about this many bytes of them at most (xattrs and ACLs can be large)
    private const int Ahead = Batch / 2; // the next batch is asked for when this many entries are left

    private readonly Queue<V1.BackupItem> _queue = new();
    private AsyncUnaryCall<V1.StartBackupFileResponse>? _pending;
    private bool _more = true;
    private bool _started;
    private V1.BackupFile? _item;
    private readonly Dictionary<Google.Protobuf.ByteString, Google.Protobuf.ByteString> _linkSources = []; // name -> where its data is read (files with more than one link)
    private long _aliveCheck; // when startBackupFile next looks at the host's connection (Environment.TickCount64)

    public override async Task<StartBackupFileResponse> startBackupFile(StartBackupFileRequest request, ServerCallContext context)
    {
        if (!_session.Open)
        {
            throw Failed("the job has no session on the host (reported when it loaded)");
        }
        if (!_started && await StartAsync(V1.EventType.EventEstimateCommand) != ReturnCode.Ok)
        {
            throw Failed("the estimate could not start"); // an estimate: no StartBackupJob comes before the entries
        }
        while (true)
        {
            if (_queue.Count == 0)
            {
                if (_pending is null)
                {
                    if (!_more)
                    {
                        _item = null;
                        return new StartBackupFileResponse { Result = StartBackupFileResult.StartBackupFileStop };
                    }
                    Ask(request);
                }
                await NextBatchAsync();
                continue;
            }
            if (Environment.TickCount64 >= _aliveCheck) // a host killed while entries already here are handed out: noticed within a second
            {
                _aliveCheck = Environment.TickCount64 + 1000;
                if (_session.Lost() is { } lost)
                {
                    await _session.FatalAsync(lost);
                    throw Failed(lost);
                }
            }
            var next = _queue.Dequeue();
            if (next.ItemCase == V1.BackupItem.ItemOneofCase.Error)
            {
                await _session.ErrorAsync($"{next.Error.Fname.ToStringUtf8()} not saved: {next.Error.Reason}");
                continue;
            }
            if (next.ItemCase != V1.BackupItem.ItemOneofCase.File)
            {
                await _session.FatalAsync("the host sent an entry that is neither a file nor an error");
                throw Failed("unexpected entry");
            }
            _item = next.File;
            if (_item.Type == V1.FileType.FtReg && _item.DataPath == V1.DataPath.Path && Nlink(_item) > 1)
            {
                _linkSources[_item.Fname] = _item.OpenPath.IsEmpty ? _item.Fname : _item.OpenPath;
            }
            else if (_item.Type == V1.FileType.FtLnksaved && NoHardLinks(request.Flags))
            {
                _item = await AsCopyAsync(_item);
            }
            if (_pending is null && _more && _queue.Count <= Ahead)
            {
                Ask(request);
            }
            var file = EntryMapping.ToBareos(_item);
            if (_session.Job.Level is "I" or "D" && !await ChangedAsync(file))
            {
                file.Type = file.Type == FileType.Directory ? FileType.UnchangedDirectory : FileType.UnchangedFile;
            }
            return new StartBackupFileResponse { Result = StartBackupFileResult.StartBackupFileOk, File = file };
        }
    }

    /// <summary>
    /// Incremental and Differential: whether the core would back the entry up (its Accurate list, or the since time), as
    /// python3-fd asks it for every entry a python plugin gives; an unchanged one is sent as such (no data, no attributes).
    /// </summary>
    private async Task<bool> ChangedAsync(PluginFile file)
    {
        var request = new CheckChangesRequest { Type = file.Type, File = file.File, Stats = file.Stats };
        if (_session.Job.SinceTime > 0)
        {
            request.SinceTime = new Google.Protobuf.WellKnownTypes.Timestamp { Seconds = _session.Job.SinceTime };
        }
        var reply = await _session.Core.Bareos_checkChangesAsync(request);
        return !reply.Old;
    }

    /// <summary>
    /// A hard link on a FileSet with HardLinks = no (Bareos's default), where the file daemon keeps no table of hard links
    /// and the grpc-fd plugin passes no link name: the name is sent as a copy of the file (its data read through the
    /// first name), as Bareos itself saves hard links then, with the pseudo xattr <c>backupplugins.link</c> (the first
    /// name, NUL, this name), from which the host's restore makes the link again where the first name was restored.
    /// </summary>
    private async Task<V1.BackupFile> AsCopyAsync(V1.BackupFile link)
    {
        if (!_linkSources.TryGetValue(link.Link, out var source))
        {
            var text = $"{link.Fname.ToStringUtf8()} is a hard link of {link.Link.ToStringUtf8()}, which this job did not send: " +
                       "add `HardLinks = yes` to the FileSet's Options (the file daemon then records hard links itself)";
            await _session.FatalAsync(text);
            throw Failed(text);
        }
        var copy = link.Clone();
        copy.Type = V1.FileType.FtReg;
        copy.NoRead = false;
        copy.DataPath = V1.DataPath.Path;
        copy.OpenPath = source;
        copy.Link = Google.Protobuf.ByteString.Empty;
        copy.Xattrs.Add(new V1.Xattr
        {
            Name = Google.Protobuf.ByteString.CopyFromUtf8(LinkXattr),
            Value = Google.Protobuf.ByteString.CopyFrom([.. link.Link.Span, 0, .. link.Fname.Span]),
        });
        return copy;
    }

    /// <summary>The pseudo xattr that carries a hard link saved as a copy (TreeRestorer reads it).</summary>
    public const string LinkXattr = "backupplugins.link";

    private static uint Nlink(V1.BackupFile file) => file.Stat.Length >= 24 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file.Stat.Span[20..]) : 1;

    /// <summary>The FileSet's options say HardLinks = no (FO_NO_HARDLINK, bit 15 of the core's option bitmap).</summary>
    private static bool NoHardLinks(Google.Protobuf.ByteString flags) => flags.Length > 1 && (flags[1] & 0x80) != 0;

    /// <summary>Starts the StartBackupFile call for the next batch.</summary>
    private void Ask(StartBackupFileRequest request) =>
        _pending = _session.Start((c, o) => c.StartBackupFileAsync(new V1.StartBackupFileRequest
        {
            Session = _session.Id, MaxFiles = Batch, MaxBytes = BatchBytes, Flags = request.Flags,
        }, o));

    private async Task NextBatchAsync()
    {
        var pending = _pending!;
        _pending = null;
        V1.StartBackupFileResponse reply;
        try
        {
            reply = await _session.CallAsync((_, _) => pending, r => r.Messages);
        }
        catch (RpcException ex)
        {
            await _session.FatalAsync(HostSession.Detail(ex));
            throw Failed(HostSession.Detail(ex));
        }
        foreach (var item in reply.Items)
        {
            _queue.Enqueue(item);
        }
        _more = reply.More;
    }

    public override Task<EndBackupFileResponse> endBackupFile(EndBackupFileRequest request, ServerCallContext context)
    {
        _item = null;
        return Task.FromResult(new EndBackupFileResponse
        {
            Result = _queue.Count > 0 || _more ? EndBackupFileResult.EndBackupFileMore : EndBackupFileResult.EndBackupFileDone,
        });
    }

    public override Task<GetXattrResponse> getXattr(GetXattrRequest request, ServerCallContext context)
    {
        var reply = new GetXattrResponse();
        reply.Attributes.AddRange(_item is null ? [new Xattribute()] : EntryMapping.Xattrs(_item));
        return Task.FromResult(reply);
    }

    public override Task<GetAclResponse> getAcl(GetAclRequest request, ServerCallContext context) =>
        Task.FromResult(new GetAclResponse { Content = new Acl { Data = _item?.Acl ?? Google.Protobuf.ByteString.Empty } });

    /// <summary>Accurate: a name of the previous job not seen in this one; the host keeps names the job could not read.</summary>
    public override async Task<CheckFileResponse> checkFile(CheckFileRequest request, ServerCallContext context)
    {
        try
        {
            var reply = await _session.CallAsync((c, o) => c.CheckFileAsync(new V1.CheckFileRequest { Session = _session.Id, Fname = request.File }, o),
                r => r.Messages);
            return new CheckFileResponse { Seen = reply.Seen };
        }
        catch (RpcException ex)
        {
            await _session.ErrorAsync($"check_file {request.File.ToStringUtf8()}: {HostSession.Detail(ex)}");
            return new CheckFileResponse { Seen = true }; // never record a deletion we are not sure of
        }
    }
}
