// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BackupPlugins.RealBareos;

/// <summary>Facts and small helpers about this machine and checkout that the real-Bareos world needs.</summary>
public static class Machine
{
    /// <summary>Testcontainers 4.17 speaks Docker API 1.44, Debian's engine 1.41; no reaper image can be pulled here.</summary>
    public static void DockerEnvironment()
    {
        Environment.SetEnvironmentVariable("DOCKER_API_VERSION", "1.41");
        Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
        Environment.SetEnvironmentVariable("DOCKER_HOST", Environment.GetEnvironmentVariable("DOCKER_HOST") ?? "unix:///var/run/docker.sock");
    }

    public static string Root { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string Tarball => Path.Combine(Shared, "bareos", "bareos-25.1.0-debian12-amd64.tar.zst");

    public static string HostBinary => Path.Combine(Root, "src", "BackupPlugins.Cli", "bin", "Release", "net10.0", "backup-plugins");

    public static string Python => "/usr/bin/python3";

    /// <summary>A loopback TCP port nobody listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until something listens on the loopback port; gives up at once when <paramref name="gone"/> says the server ended.</summary>
    public static async Task WaitForPortAsync(int port, Func<string> whyNot, TimeSpan timeout, Func<bool>? gone = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (gone?.Invoke() == true)
            {
                throw new InvalidOperationException($"the server for 127.0.0.1:{port} ended before it listened: {whyNot()}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (SocketException)
            {
                throw new TimeoutException($"nothing listens on 127.0.0.1:{port} after {timeout.TotalSeconds:0} s: {whyNot()}");
            }
        }
    }

    /// <summary>The one process of this machine whose program is named <paramref name="program"/> and whose arguments include <paramref name="argument"/>.</summary>
    public static int ProcessIdOf(string program, string argument)
    {
        var found = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid) is [var argv0, .. var rest] && Path.GetFileName(argv0) == program && rest.Contains(argument))
            .ToList();
        return found.Count == 1
            ? found[0]
            : throw new InvalidOperationException($"{found.Count} processes of {program} with argument {argument}, expected one");
    }

    /// <summary>The one child process of <paramref name="parent"/> whose program is named <paramref name="program"/>.</summary>
    public static int ProcessIdOfChild(int parent, string program)
    {
        var found = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ParentOf(pid) == parent && CommandLine(pid) is [var argv0, ..] && Path.GetFileName(argv0) == program)
            .ToList();
        return found.Count == 1
            ? found[0]
            : throw new InvalidOperationException($"{found.Count} child processes of {parent} named {program}, expected one");
    }

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so read after the last ')'
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    private static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return []; // ended meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Runs a program (argv, no shell) to its end; returns exit code and output (stdout then stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> args,
        IDictionary<string, string>? environment = null, string? input = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not end in time: {await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Starts a daemon of this machine in the foreground; its standard output and error go to <paramref name="log"/>.</summary>
    public static Process StartDaemon(string program, string[] args, string log, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }
        var process = Process.Start(start)!;
        var file = new StreamWriter(log, append: true) { AutoFlush = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    file.WriteLine(line);
                }
            }
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "BackupPlugins.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException("not inside the BackupPlugins checkout");
    }
}
