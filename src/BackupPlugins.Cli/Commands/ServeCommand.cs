// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using System.Net;
using BackupPlugins.Service.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace BackupPlugins.Cli.Commands;

/// <summary><c>serve --socket PATH [--tcp 127.0.0.1:PORT]</c>: runs the host until stopped.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var socket = CommonOptions.Socket();
        var tcp = new Option<string?>("--tcp") { Description = "also listen on this loopback address:port (control, health and reflection only)" };
        var metrics = new Option<string?>("--metrics") { Description = "serve /metrics for Prometheus on this loopback address:port (HTTP/1.1)" };
        var allowGroup = new Option<string[]>("--allow-group") { Description = "groups allowed on the socket besides root (default: bareos)", DefaultValueFactory = _ => ["bareos"] };
        var stall = new Option<int>("--stall-timeout") { Description = "seconds without progress before a data stream is cut", DefaultValueFactory = _ => 120 };
        var config = new Option<string?>("--config") { Description = "JSON file with source settings (tool paths, VZ7 directories); embedded defaults without it" };
        var command = new Command("serve", "run the host") { socket, tcp, metrics, allowGroup, stall, config };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IPEndPoint? endpoint = null;
            if (parse.GetValue(tcp) is { } text && !IPEndPoint.TryParse(text, out endpoint))
            {
                await Console.Error.WriteLineAsync($"backup-plugins: --tcp {text} is not an address:port such as 127.0.0.1:50051");
                return 2;
            }
            IPEndPoint? metricsEndpoint = null;
            if (parse.GetValue(metrics) is { } metricsText && !IPEndPoint.TryParse(metricsText, out metricsEndpoint))
            {
                await Console.Error.WriteLineAsync($"backup-plugins: --metrics {metricsText} is not an address:port such as 127.0.0.1:9464");
                return 2;
            }
            var settings = new HostSettings
            {
                SocketPath = Path.GetFullPath(parse.GetValue(socket)!),
                Tcp = endpoint,
                Metrics = metricsEndpoint,
                AllowedGroups = parse.GetValue(allowGroup) ?? [],
                StallTimeout = TimeSpan.FromSeconds(parse.GetValue(stall)),
                ConfigFile = parse.GetValue(config) is { } file ? Path.GetFullPath(file) : null,
            };
            WebApplication app;
            try
            {
                app = HostFactory.Build(settings);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or FormatException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"backup-plugins: --config {settings.ConfigFile}: {ex.Message}");
                return 2;
            }
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
