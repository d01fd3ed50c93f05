// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.GrpcModule.Transport;
using BackupPlugins.Protocol.Bareos.Core;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Grpc.Core;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.GrpcModule.Host;

/// <summary>
/// The job's session on the host, as the python3-fd shim holds one: opened with the job's first plugin string
/// (<c>LoadPlugin</c>), every host call under a deadline (<c>timeout=</c>), the job messages of every reply passed to
/// the file daemon (<c>Bareos_JobMessage</c>). The host binds the session to this connection.
/// </summary>
internal sealed class HostSession(CoreConnection core)
{
    /// <summary>How long the host may take to answer LoadPlugin (it is local, and answers at once).</summary>
    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(8);

    private readonly CancellationTokenSource _cancel = new();
    private HostConnection? _host;
    private Dictionary<string, string> _options = [];
    private string? _lastDefinition;
    private TimeSpan _timeout = PluginOptions.DefaultTimeout;

    public string Id { get; private set; } = "";
    public bool Open => _host is not null;
    /// <summary>The job was cancelled, or the host's connection is gone: the host has cleaned up on its side.</summary>
    public bool Ended { get; private set; }
    /// <summary>A fatal message was sent: the job's end is reported to the host as failed ('f').</summary>
    public bool HadFatal { get; private set; }
    public Core.CoreClient Core => core.Client;
    /// <summary>The job's facts as last read from the daemon (at load and at each event).</summary>
    public V1.JobInfo Job { get; private set; } = new();

    /// <summary>Opens the session with the job's plugin string; false (a fatal message sent) when it cannot.</summary>
    public async Task<bool> OpenAsync(string definition, CancellationToken cancellationToken)
    {
        PluginOptions.Parse(definition, _options);
        _timeout = PluginOptions.Timeout(_options);
        var path = PluginOptions.Socket(_options);
        var job = Job = await JobFacts.ReadAsync(core.Client, HadFatal, cancellationToken);
        _host = new HostConnection(path, LoadTimeout);
        try
        {
            var reply = await CallAsync((c, o) => c.LoadPluginAsync(new V1.LoadPluginRequest
            {
                Job = job,
                PluginDefinition = ByteString.CopyFromUtf8(definition),
                ShimVersion = "grpc-fd module " + (typeof(HostSession).Assembly.GetName().Version?.ToString(3) ?? "?"),
                IoInCore = true,
                Protocol = Enum.GetValues<V1.Revision>().Max(),
                NamesAsBytes = true,
                SeparateProcess = true,
            }, o), r => r.Messages, LoadTimeout);
            Id = reply.Session;
            _lastDefinition = definition;
            return true;
        }
        catch (RpcException ex)
        {
            _host.Dispose();
            _host = null;
            await FatalAsync($"cannot start: {(ex.StatusCode == StatusCode.Unavailable ? Unreachable(path, ex) : Detail(ex))} (socket={path})");
            return false;
        }
    }

    /// <summary>Why the host's socket did not answer, in the shim's words.</summary>
    private static string Unreachable(string path, RpcException ex)
    {
        var why = !File.Exists(path) ? "No such file or directory" : Cause(ex);
        return $"cannot connect to the BackupPlugins host at {path}: {why}";
    }

    /// <summary>The socket error under a failed call, or its status.</summary>
    private static string Cause(RpcException ex)
    {
        for (var inner = ex.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException socket)
            {
                return socket.Message;
            }
            if (inner is IOException && inner.InnerException is null)
            {
                return inner.Message;
            }
        }
        return Detail(ex);
    }

    /// <summary>A later plugin string of the job (a restore's next file, the backup's second time): merged by the host.</summary>
    public async Task DefineAsync(string definition)
    {
        if (definition == _lastDefinition)
        {
            return; // first value wins: the same string again changes nothing
        }
        _lastDefinition = definition;
        PluginOptions.Parse(definition, _options);
        await CallAsync((c, o) => c.ParsePluginDefinitionAsync(new V1.ParsePluginDefinitionRequest
        {
            Session = Id, PluginDefinition = ByteString.CopyFromUtf8(definition),
        }, o), r => r.Messages);
    }

    /// <summary>An event of the job, with the job's facts as the daemon has them now.</summary>
    public async Task EventAsync(V1.EventType type)
    {
        var job = Job = await JobFacts.ReadAsync(core.Client, HadFatal, CancellationToken.None);
        await CallAsync((c, o) => c.HandlePluginEventAsync(new V1.HandlePluginEventRequest { Session = Id, Event = type, Job = job }, o),
            r => r.Messages);
    }

    /// <summary>A host call under the job's deadline; its job messages go to the daemon; a lost connection ends the session.</summary>
    public async Task<T> CallAsync<T>(Func<V1.FdPlugin.FdPluginClient, CallOptions, AsyncUnaryCall<T>> call,
        Func<T, RepeatedField<V1.JobMessage>> messages, TimeSpan? timeout = null)
    {
        var host = Connected();
        try
        {
            var reply = await call(host.Client, Options(timeout));
            foreach (var m in messages(reply))
            {
                await MessageAsync(m.Severity == V1.Severity.Unspecified ? JobMessageType.JobMessageInfo : (JobMessageType)(int)m.Severity, m.Text);
            }
            return reply;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal && ex.Status.DebugException is not null && !Ended && timeout is null)
        {
            // The connection broke in the middle of the job: the host stopped, was killed or restarted; its sessions died
            // with it, and a new host's start-up sweep undoes what they left.
            Ended = true;
            throw new RpcException(new Status(StatusCode.Unavailable, $"lost the connection to the BackupPlugins host at {host.Path} " +
                $"({Cause(ex)}): the host stopped during the job; it undoes what the job left behind when it starts again"));
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Cancelled or StatusCode.DeadlineExceeded or StatusCode.Unavailable)
        {
            Ended = true; // the connection is gone or cut: the host cleans up on its side
            throw;
        }
    }

    /// <summary>The host closed the connection (stopped, killed): the message to end the job with, or null while it is there.</summary>
    public string? Lost()
    {
        if (_host is not { Closed: true } host || Ended)
        {
            return null;
        }
        Ended = true;
        return $"lost the connection to the BackupPlugins host at {host.Path} (the host closed it): the host stopped during the job; " +
               "it undoes what the job left behind when it starts again";
    }

    /// <summary>Starts a host call without waiting (the next batch of entries, asked for ahead).</summary>
    public AsyncUnaryCall<T> Start<T>(Func<V1.FdPlugin.FdPluginClient, CallOptions, AsyncUnaryCall<T>> call)
    {
        return call(Connected().Client, Options());
    }

    private HostConnection Connected() =>
        _host ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "the job has no session on the host"));

    /// <summary>A call's options: the job's deadline per call (or <paramref name="timeout"/>), cut short by a cancel.</summary>
    private CallOptions Options(TimeSpan? timeout = null) =>
        new(deadline: DateTime.UtcNow + (timeout ?? _timeout), cancellationToken: _cancel.Token);

    public Task MessageAsync(JobMessageType type, string text) =>
        core.Client.Bareos_JobMessageAsync(new JobMessageRequest
        {
            Type = type, Msg = ByteString.CopyFrom(Encoding.UTF8.GetBytes(text.EndsWith('\n') ? text : text + "\n")),
        }).ResponseAsync;

    public Task ErrorAsync(string text) => MessageAsync(JobMessageType.JobMessageError, "backupplugins: " + text);

    public Task FatalAsync(string text)
    {
        HadFatal = true;
        return MessageAsync(JobMessageType.JobMessageFatal, "backupplugins: " + text);
    }

    /// <summary>
    /// Cancel from the director: the host is told first (it stops the job's work and cleans up, and knows that this
    /// job's end was asked for, not a module that died), then calls under way fail and the connection closes. The
    /// director's thread waits for this call: at most 2 s, since the host marks the job cancelled before its cleanup,
    /// which goes on whatever the module does.
    /// </summary>
    public async Task CancelAsync()
    {
        if (_host is { } host && Id is { Length: > 0 } id && !Ended)
        {
            try
            {
                await host.Client.HandlePluginEventAsync(new V1.HandlePluginEventRequest { Session = id, Event = V1.EventType.EventCancelCommand },
                    new CallOptions(deadline: DateTime.UtcNow.AddSeconds(2)));
            }
            catch (RpcException)
            {
                // the host is gone or slow: cutting the connection below ends the session all the same
            }
        }
        Abort();
    }

    /// <summary>Calls under way fail, and the connection closes, which the host takes as the end.</summary>
    public void Abort()
    {
        Ended = true;
        _cancel.Cancel();
        _host?.Dispose();
    }

    /// <summary>The job is over: the connection closes.</summary>
    public void Close()
    {
        _host?.Dispose();
        _host = null;
    }

    public static string Detail(RpcException ex) => ex.Status.Detail is { Length: > 0 } detail ? detail : ex.StatusCode.ToString();
}
