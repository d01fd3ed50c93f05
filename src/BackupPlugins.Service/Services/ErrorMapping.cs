// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Posix;
using BackupPlugins.Core.Tools;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace BackupPlugins.Service.Services;

/// <summary>
/// The one place exceptions become gRPC statuses. User-facing errors keep their message (the shim shows it as
/// the job's fatal message); anything else is a host bug, logged with its stack and reported as INTERNAL.
/// </summary>
internal sealed class ErrorMapping(ILogger<ErrorMapping> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context.Method);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context.Method);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context,
        ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context.Method);
        }
    }

    private RpcException Map(Exception ex, string method)
    {
        var status = ex switch
        {
            BackupPluginException { Kind: ErrorKind.BadInput } => StatusCode.InvalidArgument,
            BackupPluginException { Kind: ErrorKind.Precondition } => StatusCode.FailedPrecondition,
            BackupPluginException { Kind: ErrorKind.NotFound } => StatusCode.NotFound,
            BackupPluginException { Kind: ErrorKind.Cancelled } or OperationCanceledException => StatusCode.Cancelled,
            BackupPluginException or ToolFailedException or PosixException => StatusCode.Aborted,
            _ => StatusCode.Internal,
        };
        if (status == StatusCode.Internal)
        {
            logger.LogError(ex, "Host bug in {Method}", method);
            return new RpcException(new Status(status, $"host error (a bug; see the host log): {ex.Message}"));
        }
        logger.LogWarning("{Method} failed: {Message}", method, ex.Message);
        return new RpcException(new Status(status, ex.Message));
    }
}
