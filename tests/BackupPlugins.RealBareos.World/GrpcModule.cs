// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos;

/// <summary>Which of BackupPlugins' two plugins a FileSet's string names.</summary>
public enum PluginKind
{
    /// <summary><c>python3:module_path=…:module_name=bareos-fd-backupplugins:…</c>: the shim inside python3-fd.</summary>
    Python3,
    /// <summary><c>grpc:backupplugins:…</c>: the grpc-fd module, a process per job.</summary>
    Grpc,
}

/// <summary>
/// The grpc-fd module as the file daemon finds it: <c>&lt;Plugin Directory&gt;/grpc/backupplugins</c>, here a link to
/// the checkout's build, or to <c>$BP_GRPC_MODULE</c> (the benchmark's NativeAOT publish): the ordinary build starts
/// slower (about 0.4 s a job) and behaves the same.
/// </summary>
public static class GrpcModule
{
    public const string Name = "backupplugins";

    public static string Built => Path.Combine(Machine.Root, "src", "BackupPlugins.GrpcModule", "bin", "Release", "net10.0", Name);

    /// <summary>Links the module into the daemon's plugin directory (a link of ours is replaced; anything else there is left alone).</summary>
    public static string Install(FileDaemonInstall fd)
    {
        var directory = Path.Combine(fd.PluginDirectory, "grpc");
        Directory.CreateDirectory(directory);
        var link = Path.Combine(directory, Name);
        var target = Environment.GetEnvironmentVariable("BP_GRPC_MODULE") is { Length: > 0 } given ? Path.GetFullPath(given) : Built;
        var existing = new FileInfo(link);
        if (existing.Exists && existing.LinkTarget is null)
        {
            return link; // an installed module (the package's): not ours to replace
        }
        if (existing.LinkTarget is not null)
        {
            File.Delete(link);
        }
        File.CreateSymbolicLink(link, target);
        return link;
    }
}
