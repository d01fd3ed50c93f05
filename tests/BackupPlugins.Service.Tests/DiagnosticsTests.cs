// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Tools;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.DependencyInjection;

namespace BackupPlugins.Service.Tests;

/// <summary>What grpcurl does against the loopback port: list, describe, health, status — spoken as the reflection protocol.</summary>
public class DiagnosticsTests(HostFixture host) : IClassFixture<HostFixture>
{
    private async Task<ServerReflectionResponse> ReflectAsync(ServerReflectionRequest request)
    {
        using var channel = host.TcpChannel();
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current;
    }

    [Fact]
    public async Task Reflection_List_NamesEveryService()
    {
        var reply = await ReflectAsync(new ServerReflectionRequest { ListServices = "" });
        var names = reply.ListServicesResponse.Service.Select(s => s.Name).Order().ToList();
        Assert.Equal(["backupplugins.v1.Control", "backupplugins.v1.FdPlugin", "backupplugins.v1.Jobs", "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"], names);
    }

    [Fact]
    public async Task Reflection_Describe_GivesTheServiceDefinition()
    {
        var reply = await ReflectAsync(new ServerReflectionRequest { FileContainingSymbol = "backupplugins.v1.Control" });
        var files = reply.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom).ToList();
        var control = files.Single(f => f.Name == "backupplugins/v1/control.proto");
        var service = Assert.Single(control.Service);
        Assert.Equal(["GetVersion", "GetStatus", "ListSources", "Sweep", "Check"], service.Method.Select(m => m.Name));
    }

    [Fact]
    public async Task Health_Check_IsServing()
    {
        using var channel = host.TcpChannel();
        var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Status_ShowsOpenSessionsAndRunningCommands()
    {
        using var unix = host.UnixChannel();
        var plugin = new FdPlugin.FdPluginClient(unix);
        var loaded = await plugin.LoadPluginAsync(new LoadPluginRequest
        {
            Protocol = Revision.PackedStat,
            Job = new JobInfo { JobId = 42, JobName = "nightly", Level = "F", Type = "I" },
            PluginDefinition = ByteString.CopyFromUtf8("source=dir:path=/srv:"),
        });
        var runner = host.App.Services.GetRequiredService<IToolRunner>();
        using var cts = new CancellationTokenSource();
        var sleeping = runner.RunAsync(new ToolCommand(["sleep", "20"]) { Session = loaded.Session }, cts.Token);
        try
        {
            using var tcp = host.TcpChannel();
            var control = new Control.ControlClient(tcp);
            GetStatusResponse status;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            do
            {
                status = await control.GetStatusAsync(new GetStatusRequest());
            }
            while (status.Commands.Count == 0 && DateTime.UtcNow < deadline);

            var session = Assert.Single(status.Sessions, s => s.Id == loaded.Session);
            Assert.Equal((42u, "nightly", "dir", "loaded"), (session.JobId, session.JobName, session.Source, session.Phase));
            var command = Assert.Single(status.Commands);
            Assert.Equal(["sleep", "20"], command.Argv);
            Assert.Equal(loaded.Session, command.Session);
            Assert.Contains($"unix:{host.Socket}", status.Listening);
        }
        finally
        {
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sleeping);
            await plugin.HandlePluginEventAsync(new HandlePluginEventRequest { Session = loaded.Session, Event = EventType.EventJobEnd });
        }
    }

    [Fact]
    public async Task PluginService_OverTcp_IsRefused()
    {
        using var tcp = host.TcpChannel();
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            new FdPlugin.FdPluginClient(tcp).LoadPluginAsync(new LoadPluginRequest()).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("the plugin service is served on the Unix socket only", ex.Status.Detail);
    }

    [Fact]
    public async Task JobsService_OverTcp_IsRefused()
    {
        using var tcp = host.TcpChannel();
        using var call = new Jobs.JobsClient(tcp).Run();
        // The refusal comes on the call's headers, before any message: read it without writing first. (Writing first
        // raced the refusal: a write that meets the already-ended stream fails with the transport's status instead.)
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal("the jobs service is served on the Unix socket only", ex.Status.Detail);
        await Assert.ThrowsAnyAsync<Exception>(() => call.RequestStream.WriteAsync(new JobInput
        {
            Start = new JobRequest { ZfsSync = new ZfsSyncRequest { Config = "/etc/zbackup.ini" } },
        })); // and no job can be started on it
    }

    [Fact]
    public async Task BadOptions_AtStartBackupJob_AreInvalidArgumentWithTheMessage()
    {
        using var unix = host.UnixChannel();
        var plugin = new FdPlugin.FdPluginClient(unix);
        var loaded = await plugin.LoadPluginAsync(new LoadPluginRequest
        {
            Protocol = Revision.PackedStat,
            Job = new JobInfo { JobId = 7, Level = "F" },
            PluginDefinition = ByteString.CopyFromUtf8("source=dir:path=relative:"),
        });
        var ex = await Assert.ThrowsAsync<RpcException>(() => plugin.HandlePluginEventAsync(
            new HandlePluginEventRequest { Session = loaded.Session, Event = EventType.EventStartBackupJob }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("option \"path\" must be an absolute path, got \"relative\"", ex.Status.Detail);
    }

    [Fact]
    public async Task UnknownSession_IsNotFound()
    {
        using var unix = host.UnixChannel();
        var ex = await Assert.ThrowsAsync<RpcException>(() => new FdPlugin.FdPluginClient(unix)
            .StartBackupFileAsync(new StartBackupFileRequest { Session = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("session \"nope\" is not open on this host (the host restarted, or the job timed out)", ex.Status.Detail);
    }

    [Fact]
    public async Task Sweep_WhileAJobRuns_IsRefusedButADryRunAnswers()
    {
        using var unix = host.UnixChannel();
        await new FdPlugin.FdPluginClient(unix).LoadPluginAsync(new LoadPluginRequest
        {
            Protocol = Revision.PackedStat,
            Job = new JobInfo { JobId = 8, Level = "F" },
            PluginDefinition = ByteString.CopyFromUtf8("source=dir:path=/srv:"),
        });
        var control = new Control.ControlClient(unix);

        var ex = await Assert.ThrowsAsync<RpcException>(() => control.SweepAsync(new SweepRequest()).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Matches(@"^\d+ job\(s\) are running on this host; sweep when none runs \(--dry-run shows what would be removed\)$", ex.Status.Detail);
        Assert.NotNull(await control.SweepAsync(new SweepRequest { DryRun = true }));
    }
}
