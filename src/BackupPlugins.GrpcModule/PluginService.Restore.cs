// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.GrpcModule.Host;
using BackupPlugins.GrpcModule.Mapping;
using BackupPlugins.Protocol.Bareos;
using Google.Protobuf;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule;

/// <summary>Restore: the host creates entries; xattrs and the ACL are collected and sent with EndRestoreFile, after the data.</summary>
internal sealed partial class PluginService
{
    private ByteString _command = ByteString.Empty;
    private RestoreState? _restore;

    private sealed class RestoreState
    {
        public required ByteString Name { get; init; }
        public required V1.CreateFileResponse Created { get; init; }
        public List<V1.Xattr> Xattrs { get; } = [];
        public ByteString Acl { get; set; } = ByteString.Empty;
        public bool DataOk { get; set; } = true;
    }

    public override Task<StartRestoreFileResponse> startRestoreFile(StartRestoreFileRequest request, ServerCallContext context)
    {
        _command = request.Command;
        return Task.FromResult(new StartRestoreFileResponse());
    }

    public override async Task<CreateFileResponse> createFile(CreateFileRequest request, ServerCallContext context)
    {
        V1.CreateFileResponse reply;
        try
        {
            reply = await _session.CallAsync((c, o) => c.CreateFileAsync(new V1.CreateFileRequest
            {
                Session = _session.Id,
                Cmd = _command,
                Ofname = request.OutputName,
                Olname = request.SoftLinkTo,
                Type = EntryMapping.ToHost(request.Type),
                Stat = ByteString.CopyFrom(NativeStat.ToPacked(request.Stats.Span)),
                Replace = EntryMapping.ToHost(request.Replace),
                Where = request.HasWhere ? request.Where.ToStringUtf8() : "",
                WhereUnset = !request.HasWhere, // a regexwhere restore (Bareos 25.1 passes neither where nor regexwhere)
            }, o), r => r.Messages);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.FailedPrecondition
                                          or StatusCode.Unavailable)
        {
            // cancelled, too slow, the restore could not be prepared, the host gone: the job cannot go on
            await _session.FatalAsync($"restoring {request.OutputName.ToStringUtf8()}: {HostSession.Detail(ex)}");
            throw Failed(HostSession.Detail(ex));
        }
        catch (RpcException ex)
        {
            await _session.ErrorAsync(HostSession.Detail(ex)); // this entry only; the others go on
            return new CreateFileResponse { Status = CreateFileStatus.CreateFileError };
        }
        _restore = new RestoreState { Name = request.OutputName, Created = reply };
        return new CreateFileResponse { Status = EntryMapping.ToBareos(reply.Status) };
    }

    /// <summary>Before the data is closed: the host applies attributes in EndRestoreFile.</summary>
    public override Task<SetFileAttributesResponse> setFileAttributes(SetFileAttributesRequest request, ServerCallContext context) =>
        Task.FromResult(new SetFileAttributesResponse { SetAttributesInCore = false });

    public override Task<SetXattrResponse> setXattr(SetXattrRequest request, ServerCallContext context)
    {
        _restore?.Xattrs.Add(new V1.Xattr { Name = request.Attribute.Key, Value = request.Attribute.Value });
        return Task.FromResult(new SetXattrResponse());
    }

    public override Task<SetAclResponse> setAcl(SetAclRequest request, ServerCallContext context)
    {
        if (_restore is not null)
        {
            _restore.Acl = request.Content?.Data ?? ByteString.Empty;
        }
        return Task.FromResult(new SetAclResponse());
    }

    public override async Task<EndRestoreFileResponse> endRestoreFile(EndRestoreFileRequest request, ServerCallContext context)
    {
        await EndRestoreAsync();
        return new EndRestoreFileResponse();
    }

    private async Task EndRestoreAsync()
    {
        var state = _restore;
        _restore = null;
        CloseEntry();
        if (state is null)
        {
            return;
        }
        var end = new V1.EndRestoreFileRequest { Session = _session.Id, Ofname = state.Name, Acl = state.Acl, DataOk = state.DataOk };
        end.Xattrs.AddRange(state.Xattrs);
        try
        {
            await _session.CallAsync((c, o) => c.EndRestoreFileAsync(end, o), r => r.Messages);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Unavailable)
        {
            await _session.FatalAsync(HostSession.Detail(ex));
            throw Failed(HostSession.Detail(ex));
        }
        catch (RpcException ex)
        {
            await _session.ErrorAsync(HostSession.Detail(ex));
        }
    }
}
