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
        var tlsCert = new Option<string?>("--tls-cert") { Description = "TLS for --tcp: the host's certificate (PEM); needed for an address other than loopback" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "TLS for --tcp: the host's private key (PEM)" };
        var tlsClientCa = new Option<string?>("--tls-client-ca") { Description = "TLS for --tcp: the CA (PEM) every client's certificate must chain to" };
        var allowGroup = new Option<string[]>("--allow-group") { Description = "groups allowed on the socket besides root (default: bareos)", DefaultValueFactory = _ => ["bareos"] };
        var stall = new Option<int>("--stall-timeout") { Description = "seconds without progress before a data stream is cut", DefaultValueFactory = _ => 120 };
        var longEntry = new Option<int>("--long-entry-seconds") { Description = "a streamed entry that takes this long gets a job message with its size and rate (0: never)", DefaultValueFactory = _ => 30 };
        var config = new Option<string?>("--config") { Description = "JSON file with source settings (tool paths, VZ7 directories); embedded defaults without it" };
        var command = new Command("serve", "run the host") { socket, tcp, metrics, tlsCert, tlsKey, tlsClientCa, allowGroup, stall, longEntry, config };
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
            TcpTls? tls = null;
            if (parse.GetValue(tlsCert) is { } cert || parse.GetValue(tlsKey) is not null || parse.GetValue(tlsClientCa) is not null)
            {
                if (parse.GetValue(tlsCert) is not { } c || parse.GetValue(tlsKey) is not { } k || parse.GetValue(tlsClientCa) is not { } ca)
                {
                    await Console.Error.WriteLineAsync("backup-plugins: TLS for --tcp needs all three of --tls-cert, --tls-key and --tls-client-ca");
                    return 2;
                }
                tls = new TcpTls(Path.GetFullPath(c), Path.GetFullPath(k), Path.GetFullPath(ca));
            }
            var settings = new HostSettings
            {
                SocketPath = Path.GetFullPath(parse.GetValue(socket)!),
                Tcp = endpoint,
                Metrics = metricsEndpoint,
                Tls = tls,
                AllowedGroups = parse.GetValue(allowGroup) ?? [],
                StallTimeout = TimeSpan.FromSeconds(parse.GetValue(stall)),
                LongEntry = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(longEntry))),
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
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"backup-plugins: {ex.Message}");
                return 2;
            }
            await app.StartAsync(cancellationToken);
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
