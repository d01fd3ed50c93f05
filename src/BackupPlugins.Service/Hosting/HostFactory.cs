// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Jobs;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using BackupPlugins.Service.Data;
using BackupPlugins.Service.Services;
using BackupPlugins.Sources;
using BackupPlugins.Tools;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Prometheus;
using Serilog;

namespace BackupPlugins.Service.Hosting;

/// <summary>Builds the host: Kestrel with HTTP/2 (no TLS) on the Unix socket and optionally loopback TCP, gRPC services, health, reflection.</summary>
public static class HostFactory
{
    public const string PluginServicePrefix = "/backupplugins.v1.FdPlugin/";
    public const string JobsServicePrefix = "/backupplugins.v1.Jobs/";

    public static WebApplication Build(HostSettings settings, Action<IServiceCollection>? configure = null)
    {
        if (settings.Tcp is not null && !System.Net.IPAddress.IsLoopback(settings.Tcp.Address) && settings.Tls is null)
        {
            throw new ArgumentException($"--tcp {settings.Tcp} is not a loopback address: another address is served only with TLS and " +
                                        "client certificates (--tls-cert, --tls-key, --tls-client-ca)");
        }
        if (settings.Metrics is not null && !System.Net.IPAddress.IsLoopback(settings.Metrics.Address))
        {
            throw new ArgumentException($"--metrics {settings.Metrics} is not a loopback address; metrics are served to a local Prometheus only");
        }
        var tls = settings.Tls is { } files ? TcpTlsListener.Load(files) : default;
        var builder = WebApplication.CreateSlimBuilder();
        if (settings.ConfigFile is not null)
        {
            builder.Configuration.AddJsonFile(settings.ConfigFile, optional: false, reloadOnChange: false);
        }
        builder.Services.AddSerilog((_, log) => log
            .MinimumLevel.Is(settings.Embedded ? Serilog.Events.LogEventLevel.Error : Serilog.Events.LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", Serilog.Events.LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose,
                // the journal stamps each line itself: no second time stamp there
                outputTemplate: (SystemdNotify.UnderJournal ? "" : "{Timestamp:HH:mm:ss.fff} ") + "{Level:u3} {SourceContext}: {Message:lj}{NewLine}{Exception}"));

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.SocketPath))!);
        File.Delete(settings.SocketPath);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Inbound windows for WriteFile streams: the defaults throttle a fast client; 16/32 MiB were no faster
            // than 4/8 MiB and cost the host 25 MB more memory (what a client may push ahead is held in its buffers).
            kestrel.Limits.Http2.InitialStreamWindowSize = 4 << 20;
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 << 20;
            kestrel.ListenUnixSocket(settings.SocketPath, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.Use(next => async connection =>
                {
                    var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
                    var check = kestrel.ApplicationServices.GetRequiredService<PeerCheck>();
                    if (socket is not null && !check.IsAllowed(socket, out var who))
                    {
                        kestrel.ApplicationServices.GetRequiredService<ILogger<PeerCheck>>().LogWarning("Refused connection from {Peer}", who);
                        connection.Abort();
                        return;
                    }
                    if (socket is not null)
                    {
                        // A batch of entries (StartBackupFile, about 1 MiB at most) goes into the socket whole while the
                        // file daemon still works through the one before (the shim asks ahead); with the default
                        // 208 KiB the shim would wait for the rest when it takes the batch.
                        socket.SendBufferSize = 2 << 20;
                    }
                    try
                    {
                        await next(connection);
                    }
                    finally
                    {
                        await kestrel.ApplicationServices.GetRequiredService<SessionRegistry>().ConnectionClosedAsync(connection.ConnectionId);
                    }
                });
            });
            if (settings.Tcp is not null)
            {
                kestrel.Listen(settings.Tcp, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    if (tls.Certificate is not null)
                    {
                        TcpTlsListener.Use(listen, tls.Certificate, tls.ClientCa);
                    }
                });
            }
            if (settings.Metrics is not null)
            {
                kestrel.Listen(settings.Metrics, listen => listen.Protocols = HttpProtocols.Http1);
            }
        });

        var services = builder.Services;
        if (settings.Embedded)
        {
            // the command that embeds the host handles termination signals; the host stops when it is disposed
            services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        }
        services.AddSingleton(settings);
        // Kestrel takes its connection buffers from this factory (see LargeBlockMemoryPool).
        services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>, LargeBlockMemoryPool.Factory>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<HostClock>();
        services.AddSingleton<PeerCheck>();
        services.AddSingleton<IToolRunner, ToolRunner>();
        services.AddSourceDrivers(builder.Configuration);
        services.AddSingleton(sp => new SourceCatalog(sp.GetServices<ISourceFactory>()));
        var state = builder.Configuration["StateDirectory"] is { Length: > 0 } configured ? configured : null;
        services.AddSingleton(new EffectJournal(state is null ? EffectJournal.DefaultDirectory : Path.Combine(state, "journal")));
        services.AddSingleton(new InterruptedJobs(state is null ? InterruptedJobs.DefaultDirectory : Path.Combine(state, "interrupted")));
        services.AddSingleton(sp => new SessionRegistry(sp.GetRequiredService<SourceCatalog>(), sp.GetRequiredService<IToolRunner>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<EffectJournal>())
            {
                IdleTimeout = settings.IdleTimeout, Observer = sp.GetRequiredService<Metrics.HostMetrics>(),
                Interrupted = sp.GetRequiredService<InterruptedJobs>(),
            });
        services.AddSingleton(sp => new Metrics.HostMetrics(() => Held(sp), ControlService.Version));
        services.AddSingleton(sp => new StandaloneJobRegistry(sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<EffectJournal>()));
        services.AddSingleton<DataSocketServer>();
        services.AddHostedService(sp => sp.GetRequiredService<DataSocketServer>());
        services.AddHostedService<SessionHousekeeping>();
        if (!settings.Embedded)
        {
            services.AddHostedService<ConfigReload>(); // SIGHUP; an embedded host's command takes SIGHUP as stop
        }
        services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<ErrorMapping>();
            grpc.MaxReceiveMessageSize = 16 << 20;
        });
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false)
            .AddCheck("sockets", () => File.Exists(settings.SocketPath) && File.Exists(settings.SocketPath + ".data")
                ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy()
                : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("socket file missing"));
        configure?.Invoke(services);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // Only the Unix socket (peer-checked) may drive jobs; TCP serves control, health and reflection.
            if (context.Connection.LocalPort != 0 && (context.Request.Path.StartsWithSegments(PluginServicePrefix.TrimEnd('/')) ||
                                                      context.Request.Path.StartsWithSegments(JobsServicePrefix.TrimEnd('/'))))
            {
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "7";
                context.Response.Headers["grpc-message"] = context.Request.Path.StartsWithSegments(JobsServicePrefix.TrimEnd('/'))
                    ? "the jobs service is served on the Unix socket only"
                    : "the plugin service is served on the Unix socket only";
                return;
            }
            await next(context);
        });
        app.MapGrpcService<FdPluginService>();
        app.MapGrpcService<ControlService>();
        app.MapGrpcService<JobsService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        if (settings.Metrics is not null)
        {
            app.MapMetrics("/metrics").RequireHost($"*:{settings.Metrics.Port}");
        }
        if (!settings.Embedded)
        {
            app.Lifetime.ApplicationStopping.Register(() => SystemdNotify.Send("STOPPING=1\nSTATUS=stopping: cleaning up running jobs"));
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            File.SetUnixFileMode(settings.SocketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            if (!settings.Embedded)
            {
                SystemdNotify.Send($"READY=1\nSTATUS=listening on unix:{settings.SocketPath}\nMAINPID={Environment.ProcessId}");
                Console.Error.WriteLine($"backup-plugins {ControlService.Version} listening on unix:{settings.SocketPath}" +
                (settings.Tcp is null ? "" : $" and tcp:{settings.Tcp}{(settings.Tls is null ? "" : " (TLS, client certificates)")} (control, health, reflection)") +
                (settings.Metrics is null ? "" : $", metrics on http://{settings.Metrics}/metrics"));
            }
        });
        return app;
    }

    /// <summary>What each running job holds now (its pending undo steps), by source: Bareos sessions and standalone jobs.</summary>
    private static IEnumerable<(string Source, int Held)> Held(IServiceProvider services) =>
        services.GetRequiredService<SessionRegistry>().All.Select(s => (s.Source ?? "none", s.Ledger.Pending.Count))
            .Concat(services.GetRequiredService<StandaloneJobRegistry>().All.Select(j => (j.Name, j.Ledger.Pending.Count)));
}
