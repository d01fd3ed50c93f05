// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Security.Cryptography;
using BackupPlugins.Core.Tools;
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>
/// Copies to a real sshd (<see cref="SshServerFixture"/>) through the real runner: both destinations at once, awkward
/// VM names, a refusing destination, a verification that fails, the previous copy kept.
/// </summary>
public sealed class RemoteCopyTests : IClassFixture<SshServerFixture>, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(37);
    private readonly SshServerFixture _ssh;
    private readonly string _local = Directory.CreateTempSubdirectory("bp-prlcopy-").FullName;

    public RemoteCopyTests(SshServerFixture ssh)
    {
        _ssh = ssh;
        foreach (var directory in new[] { ssh.DirectoryA, ssh.DirectoryB })
        {
            foreach (var file in Directory.GetFiles(directory))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public async Task OneFile_GoesToBothDestinationsAtOnce_ByteIdentical_AsTheCommandsSaid()
    {
        var content = RandomNumberGenerator.GetBytes(3 << 20);
        var local = Source("Windows 10.tar.xz", content);
        var runner = new ObservingToolRunner(_ssh.Runner);

        var outcomes = await new RemoteCopy(runner, Timeout, _ssh.ClientConfig, "prl-test")
            .CopyAsync(local, "Windows 10", 1, "xz", [_ssh.DestinationA, _ssh.DestinationB], CancellationToken.None);

        const string name = "Windows 10.1.tar.xz";
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal([_ssh.DestinationA, _ssh.DestinationB], outcomes.Select(o => o.Destination));
        Assert.Equal([$"{_ssh.DirectoryA}/{name}", $"{_ssh.DirectoryB}/{name}"], outcomes.Select(o => o.RemotePath));
        Assert.All(outcomes, o => Assert.Equal((true, (long?)content.Length, sha, (string?)null), (o.Success, o.Bytes, o.Sha256, o.Error)));
        foreach (var directory in new[] { _ssh.DirectoryA, _ssh.DirectoryB })
        {
            Assert.Equal([name], Listing(directory));
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(directory, name)));
        }
        Assert.Equal(2, runner.MostAtOnce("scp"));
        Assert.All(runner.Commands, c => Assert.Equal((Timeout, "prl-test"), (c.Timeout, c.Session)));
        string[] options = ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-F", _ssh.ClientConfig];
        Assert.Equal(6, runner.Commands.Count);
        Assert.Contains(runner.Commands, c => c.Argv.SequenceEqual(
            ["scp", "-s", .. options, "--", local, $"{_ssh.User}@dest-a:{_ssh.DirectoryA}/.{name}.partial"]));
        Assert.Contains(runner.Commands, c => c.Argv.SequenceEqual(
            ["ssh", .. options, $"{_ssh.User}@dest-b", "--", $"wc -c <'{_ssh.DirectoryB}/.{name}.partial' && sha256sum <'{_ssh.DirectoryB}/.{name}.partial'"]));
        Assert.Contains(runner.Commands, c => c.Argv.SequenceEqual(
            ["ssh", .. options, $"{_ssh.User}@dest-b", "--", $"mv -f -- '{_ssh.DirectoryB}/.{name}.partial' '{_ssh.DirectoryB}/{name}'"]));
    }

    [Theory]
    [InlineData("with space")]
    [InlineData("it's")]
    [InlineData("say \"hi\"")]
    [InlineData("cost $x")]
    [InlineData("back`touch bp-pwned`tick")]
    [InlineData("all 'of' \"them\" $HOME `touch bp-pwned` \\ * ? [a] ~ -x")]
    public async Task AwkwardVmNames_ArriveAsTheyAre(string vm)
    {
        var content = RandomNumberGenerator.GetBytes(4096);
        var local = Source("vm.tar.gz", content);

        var outcomes = await new RemoteCopy(_ssh.Runner, Timeout, _ssh.ClientConfig)
            .CopyAsync(local, vm, 3, "gz", [_ssh.DestinationA, _ssh.DestinationB], CancellationToken.None);

        Assert.All(outcomes, o => Assert.Null(o.Error));
        foreach (var directory in new[] { _ssh.DirectoryA, _ssh.DirectoryB })
        {
            Assert.Equal([$"{vm}.3.tar.gz"], Listing(directory));
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(directory, $"{vm}.3.tar.gz")));
        }
        Assert.False(File.Exists(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "bp-pwned")));
    }

    [Fact]
    public async Task ARefusingDestination_FailsInSshsWords_WhileTheOtherSucceeds()
    {
        var content = RandomNumberGenerator.GetBytes(10_000);
        var local = Source("vm.tar.gz", content);

        var outcomes = await new RemoteCopy(_ssh.Runner, Timeout, _ssh.ClientConfig)
            .CopyAsync(local, "vm", 0, "gz", [_ssh.DestinationRefused, _ssh.DestinationA], CancellationToken.None);

        Assert.Equal(new CopyOutcome(_ssh.DestinationRefused, $"{_ssh.DirectoryA}/vm.0.tar.gz", false, null, null, outcomes[0].Elapsed,
            $"{_ssh.DestinationRefused}: scp failed: exit code 255: ssh: connect to host 127.0.0.1 port {_ssh.RefusedPort}: Connection refused; " +
            "scp: Connection closed"), outcomes[0]);
        Assert.True(outcomes[1].Success);
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(_ssh.DirectoryA, "vm.0.tar.gz")));
        Assert.Equal(["vm.0.tar.gz"], Listing(_ssh.DirectoryA));
    }

    [Fact]
    public async Task AMismatch_IsCaught_AndThePreviousCopyInTheSlotStays_WithoutAPartialLeft()
    {
        const string name = "Ubuntu 24.04.2.tar.xz";
        var previous = RandomNumberGenerator.GetBytes(5000);
        var first = await new RemoteCopy(_ssh.Runner, Timeout, _ssh.ClientConfig)
            .CopyAsync(Source("old.tar.xz", previous), "Ubuntu 24.04", 2, "xz", [_ssh.DestinationA], CancellationToken.None);
        Assert.True(first[0].Success);

        // Between the copy and its check, one byte more arrives in the remote partial file.
        var partial = Path.Combine(_ssh.DirectoryA, $".{name}.partial");
        var tampering = new ObservingToolRunner(_ssh.Runner, command =>
        {
            if (command.Argv[0] == "ssh" && command.Argv[^1].Contains("sha256sum", StringComparison.Ordinal))
            {
                File.AppendAllText(partial, "!");
            }
        });
        var content = RandomNumberGenerator.GetBytes(6000);
        var outcomes = await new RemoteCopy(tampering, Timeout, _ssh.ClientConfig)
            .CopyAsync(Source("new.tar.xz", content), "Ubuntu 24.04", 2, "xz", [_ssh.DestinationA], CancellationToken.None);

        var local = Convert.ToHexStringLower(SHA256.HashData(content));
        var remote = Convert.ToHexStringLower(SHA256.HashData([.. content, (byte)'!']));
        Assert.Equal(new CopyOutcome(_ssh.DestinationA, $"{_ssh.DirectoryA}/{name}", false, 6001, remote, outcomes[0].Elapsed,
            $"{_ssh.DestinationA}: verification failed: the remote copy has 6001 bytes with SHA-256 {remote}, " +
            $"the local file 6000 bytes with SHA-256 {local}"), outcomes[0]);
        Assert.Equal(previous, File.ReadAllBytes(Path.Combine(_ssh.DirectoryA, name)));
        Assert.Equal([name], Listing(_ssh.DirectoryA));
        Assert.Contains(tampering.Commands, c => c.Argv[^1] == $"rm -f -- '{partial}'");
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("say \"hi\" $HOME `id` \\ * ~ -n")]
    [InlineData("two\nlines")]
    public async Task PosixShellQuote_ComesBackUnchanged_ThroughTheRemoteShell(string word)
    {
        var result = await _ssh.Runner.RunAsync(new ToolCommand(["ssh", "-o", "BatchMode=yes", "-F", _ssh.ClientConfig,
            $"{_ssh.User}@dest-a", "--", $"printf %s {PosixShellQuote.Quote(word)}"]) { Timeout = Timeout }, CancellationToken.None);
        Assert.Equal(word, result.StandardOutput);
    }

    [Fact]
    public void RemoteName_IsTheSeeds_AndRefusesWhatCannotBeAFileName()
    {
        Assert.Equal("Windows 10.0.tar.xz", RemoteCopy.RemoteName("Windows 10", 0, "xz"));
        Assert.Equal("the VM name \"a/b\" cannot be a file name (empty, or with '/' or NUL) (Parameter 'vm')",
            Assert.Throws<ArgumentException>(() => RemoteCopy.RemoteName("a/b", 1, "gz")).Message);
    }

    private string Source(string name, byte[] content)
    {
        var path = Path.Combine(_local, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static string[] Listing(string directory) =>
        [.. Directory.GetFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    public void Dispose() => Directory.Delete(_local, recursive: true);
}
