// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Text.Json;

namespace BackupPlugins.Sources.Tests.Xen;

/// <summary>
/// A pool of the XAPI fake (tests/fakes/xapi) made by <c>tests/realbareos/xen_cli.py make</c> in a temp directory: its
/// master on a Unix socket and 127.0.0.1, a slave on 127.0.0.2 at the same port, VMs "web" (running, two disks, a VIF),
/// "db" (halted) and one with an odd name. Each test class gets its own pool.
/// </summary>
public sealed class XapiFixture : IAsyncLifetime
{
    public string Work { get; } = Directory.CreateTempSubdirectory("bp-xapi-").FullName;
    public string Url { get; private set; } = "";
    public string SlaveUrl { get; private set; } = "";
    public string UnixSocket { get; private set; } = "";
    public string Password { get; private set; } = "";
    public IReadOnlyDictionary<string, string> Vms { get; private set; } = new Dictionary<string, string>();

    private static string Cli
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var cli = Path.Combine(dir.FullName, "tests", "realbareos", "xen_cli.py");
                if (File.Exists(cli))
                {
                    return cli;
                }
            }
            throw new FileNotFoundException("tests/realbareos/xen_cli.py above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        var made = await RunAsync("make");
        using var json = JsonDocument.Parse(made);
        var r = json.RootElement;
        (Url, SlaveUrl, UnixSocket, Password) = (r.GetProperty("url").GetString()!, r.GetProperty("slave_url").GetString()!,
            r.GetProperty("unix_socket").GetString()!, r.GetProperty("password").GetString()!);
        Vms = r.GetProperty("vms").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>Every VM of the pool as the fake holds it (uuid, name, snapshot, snapshot_of, power_state, blocked), and the number of VDIs.</summary>
    public async Task<(JsonElement Vms, int Vdis)> StateAsync()
    {
        var lines = (await RunAsync("vms")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var vms = JsonDocument.Parse(lines[0]);
        using var vdis = JsonDocument.Parse(lines[1]);
        return (vms.RootElement.Clone(), vdis.RootElement.GetProperty("vdis").GetInt32());
    }

    private async Task<string> RunAsync(string verb)
    {
        using var process = Process.Start(new ProcessStartInfo("/usr/bin/python3", [Cli, verb, Work])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"xen_cli.py {verb}: {await error}");
    }

    public async Task DisposeAsync()
    {
        await RunAsync("teardown");
        Directory.Delete(Work, recursive: true);
    }
}
