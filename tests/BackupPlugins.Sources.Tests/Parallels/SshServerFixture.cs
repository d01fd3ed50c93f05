// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net;
using System.Net.Sockets;
using BackupPlugins.Core.Tools;
using BackupPlugins.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>
/// A real OpenSSH sshd for the run, on 127.0.0.1 and a free port, started through the real <see cref="ToolRunner"/>
/// (<c>sshd -D -e -f &lt;config&gt;</c>) and stopped by cancelling that command. Everything lives in one temporary
/// directory: a host key and a user key made by ssh-keygen, authorized_keys, the sshd_config, and the client's
/// ssh_config with the aliases <c>dest-a</c> and <c>dest-b</c> (this sshd; remote directories <see cref="DirectoryA"/>
/// and <see cref="DirectoryB"/>) and <c>dest-refused</c> (a port where nothing listens). Needs openssh-server
/// (<c>/usr/sbin/sshd</c>); as root, sshd also needs its privilege-separation directory /run/sshd, created if missing.
/// </summary>
public sealed class SshServerFixture : IAsyncLifetime
{
    private const string Sshd = "/usr/sbin/sshd";
    private readonly CancellationTokenSource _stop = new();
    private Task<ToolResult>? _sshd;

    public IToolRunner Runner { get; } = new ToolRunner(NullLogger<ToolRunner>.Instance);
    public string Root { get; } = Directory.CreateTempSubdirectory("bp-sshd-").FullName;
    public string User { get; } = Environment.UserName;
    public string ClientConfig => Path.Combine(Root, "ssh_config");
    public string DirectoryA => Path.Combine(Root, "remote-a");
    /// <summary>With a space: destinations' directories are quoted too.</summary>
    public string DirectoryB => Path.Combine(Root, "remote b");
    public int Port { get; private set; }
    public int RefusedPort { get; private set; }
    public string DestinationA => $"{User}@dest-a:{DirectoryA}";
    public string DestinationB => $"{User}@dest-b:{DirectoryB}";
    public string DestinationRefused => $"{User}@dest-refused:{DirectoryA}";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Sshd))
        {
            throw new InvalidOperationException($"{Sshd} is missing: apt-get install --no-install-recommends openssh-server");
        }
        Directory.CreateDirectory(DirectoryA);
        Directory.CreateDirectory(DirectoryB);
        await KeyAsync("host_key");
        await KeyAsync("user_key");
        File.Copy(Path.Combine(Root, "user_key.pub"), Path.Combine(Root, "authorized_keys"));
        Port = FreePort();
        do
        {
            RefusedPort = FreePort();
        }
        while (RefusedPort == Port);
        File.WriteAllText(Path.Combine(Root, "known_hosts"), $"[127.0.0.1]:{Port} {File.ReadAllText(Path.Combine(Root, "host_key.pub")).Trim()}\n");
        File.WriteAllText(Path.Combine(Root, "sshd_config"), $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {Root}/host_key
            PidFile {Root}/sshd.pid
            AuthorizedKeysFile {Root}/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            StrictModes no
            UsePAM no
            Subsystem sftp internal-sftp

            """);
        File.WriteAllText(ClientConfig, $"""
            Host dest-a dest-b
              Port {Port}
            Host dest-refused
              Port {RefusedPort}
            Host *
              HostName 127.0.0.1
              IdentityFile {Root}/user_key
              IdentitiesOnly yes
              UserKnownHostsFile {Root}/known_hosts
              GlobalKnownHostsFile /dev/null
              StrictHostKeyChecking yes

            """);
        if (Environment.UserName == "root")
        {
            Directory.CreateDirectory("/run/sshd");
        }
        _sshd = Runner.RunAsync(new ToolCommand([Sshd, "-D", "-e", "-f", Path.Combine(Root, "sshd_config")])
        {
            Timeout = TimeSpan.FromHours(1),
            GracePeriod = TimeSpan.FromSeconds(5),
        }, _stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await ListensAsync(Port))
        {
            if (_sshd.IsCompleted)
            {
                await _sshd; // throws with sshd's own words
                throw new InvalidOperationException("sshd exited at once");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"sshd does not listen on 127.0.0.1:{Port} after 20 s");
            }
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_sshd is not null)
        {
            try
            {
                await _sshd;
            }
            catch (Exception ex) when (ex is OperationCanceledException or ToolFailedException)
            {
                // stopped, as asked
            }
        }
        _stop.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    private Task KeyAsync(string name) =>
        Runner.RunAsync(new ToolCommand(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", Path.Combine(Root, name)])
        {
            Timeout = TimeSpan.FromSeconds(30),
        }, CancellationToken.None);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
