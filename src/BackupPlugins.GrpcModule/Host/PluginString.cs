// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.GrpcModule.Host;

/// <summary>
/// What the module makes of the string the grpc-fd plugin hands it (the FileSet's string without
/// <c>grpc:backupplugins:</c>). Either our own options (<c>source=…:key=value…</c>), or — when a Client says
/// <c>GrpcModule = backupplugins</c> and python3-fd is not loaded — a python3 string run through the module unchanged
/// (<c>python3:module_path=…:module_name=bareos-fd-backupplugins:…</c>, or the vz7 alias module, whose options mean
/// <c>source=vz7</c>), which the host reads as it reads the shim's.
/// </summary>
public static class PluginString
{
    public const string Module = "bareos-fd-backupplugins";
    public const string Vz7Alias = "bareos-fd-vz7_ct_fs";

    /// <summary>
    /// Options as given for a job or a restore (FD Plugin Options, pluginoptions): on a Client with
    /// <c>GrpcModule = backupplugins</c> they come with the plugin name they were written for (<c>python3:…</c>,
    /// <c>python:…</c>), which python3-fd would have taken off.
    /// </summary>
    public static string WithoutPluginName(string options)
    {
        var first = options.Split(':', 2);
        return first.Length == 2 && !first[0].Contains('=') ? first[1] : first[0].Contains('=') ? options : "";
    }

    /// <summary>A python3 plugin string as python3-fd hands it to its module: without the plugin name, module_path and module_name.</summary>
    public static string PythonOptions(string command) =>
        string.Join(':', PluginOptions.RawTokens(WithoutPluginName(command)).Where(t =>
            !t.StartsWith("module_path=", StringComparison.OrdinalIgnoreCase) && !t.StartsWith("module_name=", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The definition to give the host, or an error that says what to write instead.</summary>
    public static (string? Definition, string? Error) ForHost(string command)
    {
        var first = command.Split(':', 2)[0];
        if (first.Contains('='))
        {
            return (command, null);
        }
        if (first != "python3")
        {
            return (null, $"\"{first}:…\" is not a plugin string BackupPlugins reads: a FileSet says Plugin = \"grpc:backupplugins:source=…\" " +
                          $"(or, with GrpcModule = backupplugins in the Client, the python3:…:module_name={Module}:… string)");
        }
        var module = PluginOptions.Parse(command).GetValueOrDefault("module_name");
        var options = PythonOptions(command); // as python3-fd hands its module the string
        return module switch
        {
            Module => (options, null),
            Vz7Alias => (options + (options.EndsWith(':') ? "" : ":") + "source=vz7", null),
            _ => (null, $"module_name={module ?? "(none)"} is not BackupPlugins' python module, and this Client runs unknown plugin strings " +
                        $"through BackupPlugins (GrpcModule = backupplugins): load python3 in the Client's Plugin Names for that FileSet, " +
                        $"or give module_name={Module}"),
        };
    }
}
