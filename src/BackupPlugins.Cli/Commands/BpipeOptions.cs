// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using System.Text;

namespace BackupPlugins.Cli.Commands;

/// <summary>What bpipe-reader and bpipe-writer share: their options and how plugin options become a plugin definition.</summary>
internal static class BpipeOptions
{
    internal static Option<string?> Format() => new("--format")
    {
        Description = "pax (every source) or raw (the one stream of zfs mode=stream); default: raw for zfs mode=stream, else pax",
        Validators = { r => { if (r.GetValueOrDefault<string?>() is { } f && f is not ("pax" or "raw")) r.AddError($"--format {f}: use pax or raw"); } },
    };

    internal static Option<uint?> JobId() => new("--jobid") { Description = "the job id the host records (default: $BareosJobId, else the start time)" };

    internal static Option<string?> Config() => new("--config") { Description = "host settings JSON, for an embedded host (see serve --config)" };

    internal static Argument<string[]> Options() => new("options")
    {
        Description = "more of the source's plugin options, each as key=value (e.g. uuid=... mode=files)",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The plugin definition the host parses: source=…, then the options, a ':' inside a value escaped.</summary>
    internal static string Definition(string source, IEnumerable<string> options)
    {
        var text = new StringBuilder("source=").Append(source).Append(':');
        foreach (var option in options)
        {
            var equals = option.IndexOf('=');
            if (equals <= 0)
            {
                throw new ArgumentException($"\"{option}\" is not a plugin option: write key=value (e.g. path=/srv/data)");
            }
            if (option[..equals] == "source")
            {
                throw new ArgumentException($"\"{option}\": give the source with --source only");
            }
            text.Append(option[..equals]).Append('=').Append(option[(equals + 1)..].Replace(":", "\\:")).Append(':');
        }
        return text.ToString();
    }

    internal static string DefaultFormat(string source, IEnumerable<string> options) =>
        source == "zfs" && !options.Contains("mode=files") ? "raw" : "pax";
}
