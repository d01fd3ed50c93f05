// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace BackupPlugins.RealBareos;

/// <summary>
/// One real Bareos for the whole run: PostgreSQL 15 (catalog), director and storage daemon in containers from images
/// built on this machine (<c>tests/realbareos/build-images</c>), on host networking bound to loopback; the file daemon
/// and the BackupPlugins host on this machine, as on a client. Everything is stopped at the end.
/// </summary>
public class BareosWorld
{
    private readonly List<IContainer> _containers = [];
    private Process? _fileDaemon;
    private Process? _grpcFileDaemon;
    private HostProcess? _host;

    public BareosConfig Config { get; } = new(Machine.FreePort(), Machine.FreePort(), Machine.FreePort(), Machine.FreePort());
    public string Work { get; } = Directory.CreateTempSubdirectory("bp-realbareos-").FullName;
    public string ConfigRoot => Path.Combine(Work, "etc");
    public string HostSocket => Path.Combine(Work, "host.sock");
    public string Shim => Path.Combine(Machine.Root, "bareos-shim");
    public Bconsole Console { get; private set; } = null!;
    public int FileDaemonProcessId => _fileDaemon!.Id;
    public int HostProcessId => _host!.ProcessId;
    /// <summary>
    /// The storage daemon as this machine sees it (a container's processes are visible here): the <c>bareos-sd</c>
    /// whose command line names this world's configuration, since other worlds may run beside this one.
    /// </summary>
    public int StorageDaemonProcessId => Machine.ProcessIdOf("bareos-sd", ConfigRoot);
    /// <summary>The director's message log: every job's messages, its report last.</summary>
    public string DirectorMessages => Path.Combine(Work, "dir", "messages.log");
    public bool FileDaemonAlive => _fileDaemon is { HasExited: false };
    public FileDaemonInstall FileDaemon { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Machine.DockerEnvironment();
        var images = await BuildImagesAsync();
        FileDaemon = await FileDaemonInstall.FindAsync();
        GrpcModule.Install(FileDaemon);
        var fdWork = Path.Combine(Work, "fd");
        Directory.CreateDirectory(TraceDirectory);
        Config.Write(ConfigRoot, FileDaemon, fdWork, Path.Combine(Work, "dir"), Path.Combine(Work, "sd"));
        Console = new Bconsole(FileDaemon.Bconsole, Path.Combine(ConfigRoot, "bconsole.conf"));

        var catalog = await StartAsync(new ContainerBuilder(images["postgres"])
            .WithEnvironment("PGPORT", Config.CatalogPort.ToString()), "postgres", Config.CatalogPort);
        var storage = await StartAsync(Server(images["bareos"], "sd"), "bareos-sd", Config.StoragePort);
        await CreateCatalogAsync(storage);
        await StartAsync(Server(images["bareos"], "dir"), "bareos-dir", Config.DirectorPort);
        _ = catalog;

        await StartHostAsync();
        _fileDaemon = Machine.StartDaemon(FileDaemon.Daemon, ["-f", "-c", ConfigRoot], Path.Combine(fdWork, "stdout.log"),
            new Dictionary<string, string> { ["PYTHONPATH"] = FileDaemon.PluginDirectory, ["BP_TRACE_DIR"] = TraceDirectory });
        await Machine.WaitForPortAsync(Config.FileDaemonPort, () => Logs(), TimeSpan.FromSeconds(30), () => _fileDaemon.HasExited);
    }

    /// <summary>Starts the BackupPlugins host on <see cref="HostSocket"/> (its start-up sweep runs before it listens).</summary>
    public async Task StartHostAsync()
    {
        if (_host is { Alive: true })
        {
            throw new InvalidOperationException("the BackupPlugins host is running already");
        }
        _host = await HostProcess.StartAsync(HostSocket, WriteHostConfig(), HostLog);
    }

    /// <summary>
    /// Starts (once) the second file daemon, Client <see cref="BareosConfig.GrpcClient"/>: grpc-fd only, with
    /// <c>GrpcModule = backupplugins</c>; a job names it with <c>Client = bp-fd-grpc</c>.
    /// </summary>
    public async Task StartGrpcOnlyFileDaemonAsync()
    {
        if (_grpcFileDaemon is { HasExited: false })
        {
            return;
        }
        var port = Machine.FreePort();
        var work = Path.Combine(Work, "fd-grpc");
        var root = Path.Combine(Work, "etc-fd-grpc");
        Config.WriteGrpcOnlyClient(ConfigRoot, root, FileDaemon, work, port);
        _grpcFileDaemon = Machine.StartDaemon(FileDaemon.Daemon, ["-f", "-c", root], Path.Combine(work, "stdout.log"));
        await Machine.WaitForPortAsync(port, () => Logs(), TimeSpan.FromSeconds(30), () => _grpcFileDaemon.HasExited);
        var output = await Console.RunAsync("reload");
        if (output.Contains("Error", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("reload failed: " + output);
        }
    }

    /// <summary>Kills the host with SIGKILL, as a crash or the OOM killer would.</summary>
    public Task KillHostAsync() => (_host ?? throw new InvalidOperationException("no BackupPlugins host was started")).KillAsync();

    /// <summary>Where the tracing module tests/realbareos/bareos-fd-bptrace.py writes the calls of each job (&lt;jobid&gt;.jsonl).</summary>
    public string TraceDirectory => Path.Combine(Work, "traces");

    public string HostLog => Path.Combine(Work, "host.log");

    /// <summary>The host's state directory (its effect journal is under journal/).</summary>
    public string HostState => Path.Combine(Work, "state");

    /// <summary>Adds a FileSet and a backup Job for it and reloads the director.</summary>
    public async Task AddBackupJobAsync(string name, string fileSetBody, string extraJobLines = "", string client = BareosConfig.Client)
    {
        BareosConfig.AddDirectorResource(ConfigRoot, "fileset", name, $"FileSet {{\n  Name = {name}\n{fileSetBody}\n}}");
        BareosConfig.AddDirectorResource(ConfigRoot, "job", name, $$"""
            Job {
              Name = {{name}}
              Type = Backup
              Level = Full
              Client = {{client}}
              FileSet = {{name}}
              Storage = File
              Pool = Full
              Messages = Standard
            {{extraJobLines}}
            }
            """);
        var output = await Console.RunAsync("reload");
        if (output.Contains("Error", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("reload failed: " + output);
        }
    }

    /// <summary>
    /// The restore-truth corpus made under <c>Work/&lt;name&gt;</c>, recorded, and backed up in full by a job of that name
    /// (sparse, xattrs, ACLs on; Bareos's own hard-link table only with <paramref name="hardLinks"/>); returns the source,
    /// the record and the finished job.
    /// </summary>
    public async Task<(string Source, string Expected, JobResult Backup)> BackUpCorpusAsync(string name, string? socket = null,
        PluginKind kind = PluginKind.Python3, bool hardLinks = false)
    {
        var source = Path.Combine(Work, name);
        await Trees.MakeAsync(source);
        var expected = await Trees.SnapshotAsync(source);
        await AddBackupJobAsync(name, $$"""
              Include {
                Options { Signature = XXH128; Sparse = yes; Xattr Support = yes; ACL Support = yes{{(hardLinks ? "; HardLinks = yes" : "")}} }
                Plugin = "{{Plugin($"source=dir:path={source}", socket, kind)}}"
              }
            """);
        var backup = await Console.RunJobAsync($"run job={name} level=Full yes");
        return backup.Status == "T" ? (source, expected, backup) : throw new JobFailedException(backup, Logs());
    }

    /// <summary>Runs a restore command line; throws when the job did not end well.</summary>
    public async Task<JobResult> RestoreAsync(string command)
    {
        var restore = await Console.RunJobAsync(command);
        return restore.Status == "T" ? restore : throw new JobFailedException(restore, Logs());
    }

    /// <summary>The plugin string (python3 by default, or the grpc-fd module's) that routes to this world's host (or to <paramref name="socket"/>).</summary>
    public string Plugin(string options, string? socket = null, PluginKind kind = PluginKind.Python3) => kind == PluginKind.Grpc
        ? $"grpc:{GrpcModule.Name}:{options}:socket={socket ?? HostSocket}"
        : $"python3:module_path={Shim}:module_name=bareos-fd-backupplugins:{options}:socket={socket ?? HostSocket}";

    public string Logs()
    {
        var parts = new List<string>();
        foreach (var file in new[] { "host.log", "fd/stdout.log", "fd/fd.log", "fd-grpc/stdout.log", "dir/daemon.log", "dir/messages.log" }.Select(f => Path.Combine(Work, f)))
        {
            if (File.Exists(file))
            {
                parts.Add($"---- {file}\n{File.ReadAllText(file)}");
            }
        }
        foreach (var c in _containers)
        {
            var (stdout, stderr) = c.GetLogsAsync().GetAwaiter().GetResult();
            parts.Add($"---- container {c.Name}\n{stdout}{stderr}");
        }
        return string.Join('\n', parts);
    }

    public async Task DisposeAsync()
    {
        foreach (var daemon in new[] { _fileDaemon, _grpcFileDaemon })
        {
            if (daemon is { HasExited: false })
            {
                daemon.Kill(entireProcessTree: true);
                await daemon.WaitForExitAsync();
            }
        }
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        foreach (var c in Enumerable.Reverse(_containers))
        {
            await c.DisposeAsync();
        }
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException ex)
        {
            await System.Console.Error.WriteLineAsync($"real-Bareos world: could not remove {Work}: {ex.Message}");
        }
    }

    /// <summary>A director or storage daemon (bp-run dir|sd) with the world's directory at the same path inside.</summary>
    private ContainerBuilder Server(string image, string daemon) => new ContainerBuilder(image)
        .WithBindMount(Work, Work)
        .WithEntrypoint("/usr/local/bin/bp-run")
        .WithCommand(daemon, ConfigRoot);

    private async Task<IContainer> StartAsync(ContainerBuilder builder, string what, int port)
    {
        var container = builder
            .WithCreateParameterModifier(p => p.HostConfig!.NetworkMode = "host") // WithNetwork("host") is not host networking
            .WithWaitStrategy(Wait.ForUnixContainer())
            .Build();
        _containers.Add(container);
        await container.StartAsync();
        await Machine.WaitForPortAsync(port, () => $"{what}: {Logs()}", TimeSpan.FromSeconds(60),
            () => container.State is TestcontainersStates.Exited or TestcontainersStates.Dead);
        return container;
    }

    /// <summary>Bareos's own catalog scripts (bp-run catalog), run in a server container against the catalog container.</summary>
    private async Task CreateCatalogAsync(IContainer server)
    {
        var result = await server.ExecAsync(["env", "PGHOST=127.0.0.1", $"PGPORT={Config.CatalogPort}", "PGUSER=postgres",
            "/usr/local/bin/bp-run", "catalog", ConfigRoot]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"creating the catalog failed ({result.ExitCode}): {result.Stdout}{result.Stderr}");
        }
    }

    private string WriteHostConfig()
    {
        var path = Path.Combine(Work, "host.json");
        File.WriteAllText(path, $$"""{ "StateDirectory": "{{HostState}}" }""");
        return path;
    }

    private static async Task<Dictionary<string, string>> BuildImagesAsync()
    {
        var (code, output) = await Machine.RunAsync("bash", [Path.Combine(Machine.Root, "tests", "realbareos", "build-images")],
            timeout: TimeSpan.FromMinutes(20));
        if (code != 0)
        {
            throw new InvalidOperationException($"building the images failed: {output}");
        }
        return output.Split('\n').Select(l => l.Split('=', 2)).Where(f => f.Length == 2 && f[0] is "base" or "postgres" or "bareos")
            .ToDictionary(f => f[0], f => f[1].Trim());
    }
}
