// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos;

/// <summary>
/// Which Bareos file daemon runs on this machine, as on a real client: <c>$BAREOS_PREFIX</c> if it names an install,
/// else Debian's packages if installed (<c>/usr/sbin/bareos-fd</c>, <c>/usr/lib/bareos/plugins</c>), else the shared
/// Bareos 25.1.0 tarball unpacked once under <c>.run/bareos-25.1.0/</c>.
/// </summary>
public sealed record FileDaemonInstall(string Daemon, string Bconsole, string PluginDirectory, string Origin)
{
    public static async Task<FileDaemonInstall> FindAsync()
    {
        if (Environment.GetEnvironmentVariable("BAREOS_PREFIX") is { Length: > 0 } prefix)
        {
            return At(prefix, $"BAREOS_PREFIX={prefix}");
        }
        if (File.Exists("/usr/sbin/bareos-fd") && File.Exists("/usr/lib/bareos/plugins/python3-fd.so"))
        {
            return new FileDaemonInstall("/usr/sbin/bareos-fd", "/usr/sbin/bconsole", "/usr/lib/bareos/plugins", "installed packages");
        }
        var tree = Path.Combine(Machine.Root, ".run", "bareos-25.1.0");
        if (!File.Exists(Path.Combine(tree, "bareos", "sbin", "bareos-fd")))
        {
            Directory.CreateDirectory(tree);
            var (code, output) = await Machine.RunAsync("tar", ["-I", "zstd", "-xf", Machine.Tarball, "-C", tree]);
            if (code != 0)
            {
                throw new InvalidOperationException($"cannot unpack {Machine.Tarball}: {output}");
            }
        }
        return At(Path.Combine(tree, "bareos"), Machine.Tarball);
    }

    private static FileDaemonInstall At(string prefix, string origin) =>
        new(Path.Combine(prefix, "sbin", "bareos-fd"), Path.Combine(prefix, "sbin", "bconsole"),
            Path.Combine(prefix, "lib", "bareos", "plugins"), origin);
}
