// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Errors;
using BackupPlugins.Core.Options;
using BackupPlugins.Core.Sessions;
using BackupPlugins.Core.Sources;
using BackupPlugins.Core.Tools;
using BackupPlugins.Sources.Lvm.Backup;
using BackupPlugins.Sources.Parallels;
using BackupPlugins.Sources.Xen.Backup;
using BackupPlugins.Sources.Zfs.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using V1 = BackupPlugins.Protocol.V1;

namespace BackupPlugins.Service.Services;

/// <summary>
/// <c>backup-plugins check</c>: a plugin string read as a job reads it (the options merged as Bareos merges them, the
/// source looked up, its options read by the driver's own reader) and a job's configuration file loaded by the job's
/// own loader — so the messages are the job's. Nothing runs: the driver is built with a tool runner that refuses every
/// command, and a driver's constructor runs none.
/// </summary>
internal sealed class Checker(SourceCatalog catalog, ILogger logger)
{
    public const string Module = "bareos-fd-backupplugins";
    public const string Vz7Alias = "bareos-fd-vz7_ct_fs";

    public V1.CheckResponse Plugin(string text)
    {
        var reply = new V1.CheckResponse();
        var colon = text.IndexOf(':');
        var plugin = colon < 0 ? text : text[..colon];
        if (plugin != "python3")
        {
            reply.Problems.Add($"\"{text}\" does not start with python3: — a FileSet says Plugin = \"python3:module_path=…:module_name={Module}:source=…\"");
            return reply;
        }
        try
        {
            var all = PluginDefinition.Parse(text[(colon + 1)..]);
            var module = all["module_name"];
            if (module == Vz7Alias)
            {
                reply.Warnings.Add($"module_name={Vz7Alias}: the seed plugin's options are mapped to source=vz7 by the shim when it loads; " +
                                   "this checks the string as written after that mapping only for its syntax");
                reply.Summary = $"module {Vz7Alias} (the vz7 alias)";
                return reply;
            }
            if (module != Module)
            {
                reply.Problems.Add(module is null
                    ? $"module_name is missing: add module_name={Module} (and module_path=, the shim's directory)"
                    : $"module_name={module} is not BackupPlugins' module: give module_name={Module} (or {Vz7Alias})");
            }
            if (all["module_path"] is null)
            {
                reply.Warnings.Add("module_path is missing: python3-fd then finds the module only on its own Plugin Directory");
            }
            Definition(PluginDefinition.StripCommand(text), reply);
        }
        catch (BackupPluginException ex)
        {
            reply.Problems.AddRange(ex.Message.Split("; "));
        }
        return reply;
    }

    /// <summary>Plugin options without the module (what a bpipe-reader line gives): <c>source=…:key=value…</c>.</summary>
    public V1.CheckResponse Options(string text)
    {
        var reply = new V1.CheckResponse();
        try
        {
            Definition(text, reply);
        }
        catch (BackupPluginException ex)
        {
            reply.Problems.AddRange(ex.Message.Split("; "));
        }
        return reply;
    }

    private void Definition(string text, V1.CheckResponse reply)
    {
        var definition = PluginDefinition.Parse(text);
        reply.Warnings.AddRange(definition.Warnings);
        var factory = catalog.Get(definition["source"]);
        factory.Create(definition, Context());
        reply.Summary = $"source={factory.Name}: " + string.Join(", ", definition.Keys.Where(k => k != "source").Select(k => $"{k}={definition[k]}"));
    }

    /// <summary>A host configuration as the host reads it: JSON, and each source's section bound strictly (a misspelt key is an error).</summary>
    public static V1.CheckResponse HostConfig(string path)
    {
        var reply = new V1.CheckResponse();
        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false).Build();
        }
        catch (Exception ex) when (ex is FormatException or IOException or InvalidDataException or UnauthorizedAccessException)
        {
            reply.Problems.Add($"{path}: {ex.Message.Split('\n')[0]}");
            return reply;
        }
        var (problems, warnings) = Sources.SourceRegistration.Check(configuration);
        reply.Problems.AddRange(problems);
        reply.Warnings.AddRange(warnings);
        reply.Summary = $"{path}: sources {string.Join(", ", configuration.GetSection("Sources").GetChildren().Select(c => c.Key))}" +
                        $", state in {configuration["StateDirectory"] ?? EffectJournal.DefaultDirectory}";
        return reply;
    }

    public static V1.CheckResponse Config(V1.ConfigFile file)
    {
        var reply = new V1.CheckResponse();
        try
        {
            reply.Summary = file.Kind switch
            {
                "zfs-sync" => ZbackupConfig.Load(file.Path) is var z ? $"USB pool {z.UsbPool} (partition {z.PartUuid}), {z.Hosts.Count} host section(s)" : "",
                "parallels" => ParallelsConfig.Load(file.Path, file.Home.Length > 0 ? file.Home : "/root") is var p
                    ? $"{p.Destinations.Count} destination(s), {p.BackupRotations} rotation(s), status in {p.StatusDirectory}" : "",
                "xen" => VmBackupConfig.Load(file.Path, ignoreExtraKeys: false) is var x
                    ? $"backup_dir={x.BackupDir}, max_backups={x.MaxBackups}, {x.Selectors.Count} selector line(s)" : "",
                "lvm" => LvmBackupConfig.Load(file.Path) is var l
                    ? (l.SourceType == "lvm" ? $"{l.Vg}/{l.Lv} (snapshot {l.SnapshotName}, {l.SnapshotSize})" : $"directory {l.SourceRoot}")
                      + $" into {l.Target}/YYYY-MM as {l.ArchivePrefix}…" : "",
                _ => throw new FormatException($"unknown kind {file.Kind}: give zfs-sync, parallels, xen or lvm"),
            };
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException or BackupPluginException)
        {
            reply.Problems.AddRange(ex.Message.Split('\n'));
        }
        return reply;
    }

    private JobContext Context() => new("check", new JobFacts(0, "check", JobLevel.Full, 'B', 0, false, "", "", ""),
        new CleanupLedger(logger), new RefusingRunner(), new JobMessageQueue(), logger, CancellationToken.None);

    /// <summary>A check runs nothing: a driver that would is a bug, said as such.</summary>
    private sealed class RefusingRunner : IToolRunner
    {
        public Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Func<Stream, CancellationToken, Task>? consumeOutput,
            CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"check runs no command, and a driver asked for {command}");

        public IReadOnlyList<RunningCommand> Running => [];
    }
}
