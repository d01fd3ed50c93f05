// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using BackupPlugins.RealBareos;

namespace BackupPlugins.RealBareos.Tests;

/// <summary>
/// A node of faked tools (tests/fakes) made by one of the tests/realbareos <c>*_cli.py</c> commands under a work
/// directory: what <c>make</c> printed, a host of its own configured for it, and the command's other verbs
/// (<c>compare</c>, <c>leftovers</c>, …). Disposing tears the node down (unmounts).
/// </summary>
public sealed class FakeNode : IAsyncDisposable
{
    private readonly string _cli;
    private readonly JsonDocument _made;
    private HostProcess? _host;

    private FakeNode(string cli, string work, JsonDocument made) => (_cli, Work, _made) = (cli, work, made);

    public string Work { get; }

    public HostProcess Host => _host ?? throw new InvalidOperationException("no host started");

    /// <summary>Runs <c>&lt;cli&gt; make WORK</c> and starts a host on the configuration it made, logging under <paramref name="logs"/>.</summary>
    public static async Task<FakeNode> MakeAsync(string cliName, string work, string logs)
    {
        var cli = Path.Combine(Machine.Root, "tests", "realbareos", cliName);
        var (code, made) = await Machine.RunAsync(Machine.Python, [cli, "make", work]);
        if (code != 0)
        {
            await Machine.RunAsync(Machine.Python, [cli, "teardown", work]);
            throw new InvalidOperationException($"{cliName} make failed: {made}");
        }
        var node = new FakeNode(cli, work, JsonDocument.Parse(made));
        var environment = node._made.RootElement.GetProperty("env").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var name = Path.GetFileName(work);
        try
        {
            node._host = await HostProcess.StartAsync(Path.Combine(logs, $"{name}.sock"), node.Get("config"),
                Path.Combine(logs, $"{name}-host.log"), environment);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>A string that <c>make</c> printed.</summary>
    public string Get(string key) => _made.RootElement.GetProperty(key).GetString()!;

    /// <summary>Runs <c>&lt;cli&gt; VERB WORK ARGS…</c>: its exit code and output.</summary>
    public Task<(int Code, string Output)> RunAsync(string verb, params string[] args) =>
        Machine.RunAsync(Machine.Python, [_cli, verb, Work, .. args]);

    /// <summary>Fails with what a job left behind (the cli's <c>leftovers</c>).</summary>
    public async Task AssertNothingLeftAsync()
    {
        var (code, leftovers) = await RunAsync("leftovers");
        Xunit.Assert.True(code == 0, leftovers);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        await RunAsync("teardown");
        _made.Dispose();
    }
}
