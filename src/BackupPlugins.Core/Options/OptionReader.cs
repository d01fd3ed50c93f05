// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using BackupPlugins.Core.Errors;

namespace BackupPlugins.Core.Options;

/// <summary>
/// Reads typed values out of a <see cref="PluginDefinition"/> against a source's option list and collects
/// every problem, so a job with three bad options is told about all three at once.
/// </summary>
public sealed class OptionReader(PluginDefinition definition, string source, IReadOnlyList<OptionSpec> specs)
{
    /// <summary>Options every job accepts whatever its source (consumed by the shim or the host).</summary>
    public static readonly IReadOnlyList<OptionSpec> Common =
    [
        new("source", "which source drives this job", Required: true),
        new("socket", "the host's Unix socket (read by the shim)", Default: "/run/backup-plugins/host.sock"),
        new("timeout", "seconds the shim waits for one host call", Default: "300"),
    ];

    private readonly List<string> _problems = [];

    public string? String(string name)
    {
        var spec = Spec(name);
        var value = definition[name] ?? spec.Default;
        if (value is null && spec.Required)
        {
            _problems.Add($"option \"{name}\" is required for source={source}: {spec.Description}");
        }
        return value;
    }

    public string AbsolutePath(string name)
    {
        var value = String(name);
        if (value is not null && !value.StartsWith('/'))
        {
            _problems.Add($"option \"{name}\" must be an absolute path, got \"{value}\"");
        }
        return value ?? "";
    }

    public string? OptionalAbsolutePath(string name)
    {
        var value = String(name);
        if (value is not null && !value.StartsWith('/'))
        {
            _problems.Add($"option \"{name}\" must be an absolute path, got \"{value}\"");
        }
        return value;
    }

    public int Int(string name, int min, int max)
    {
        var text = String(name);
        if (text is null)
        {
            return min;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            _problems.Add($"option \"{name}\" must be a whole number from {min} to {max}, got \"{text}\"");
            return min;
        }
        return value;
    }

    public IReadOnlyList<string> List(string name) =>
        (String(name) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.Trim('\''))
            .Where(s => s.Length > 0)
            .ToList();

    public T Choice<T>(string name, IReadOnlyDictionary<string, T> choices)
    {
        var text = String(name) ?? "";
        if (choices.TryGetValue(text.ToLowerInvariant(), out var value))
        {
            return value;
        }
        _problems.Add($"option \"{name}\" must be one of {string.Join(", ", choices.Keys)}, got \"{text}\"");
        return choices.Values.First();
    }

    /// <summary>Adds a problem found by the caller (a check across options, a format).</summary>
    public void Problem(string text) => _problems.Add(text);

    /// <summary>Throws one error listing every problem, including keys no one knows.</summary>
    public void ThrowIfInvalid()
    {
        foreach (var key in definition.Keys)
        {
            if (!specs.Any(s => s.Name == key) && !Common.Any(s => s.Name == key))
            {
                var known = string.Join(", ", specs.Select(s => s.Name).Concat(Common.Select(s => s.Name)));
                _problems.Add($"unknown option \"{key}\" for source={source} (known: {known})");
            }
        }
        if (_problems.Count > 0)
        {
            throw BackupPluginException.BadOption("options.invalid", string.Join("; ", _problems));
        }
    }

    private OptionSpec Spec(string name) =>
        specs.FirstOrDefault(s => s.Name == name) ?? Common.FirstOrDefault(s => s.Name == name)
        ?? throw new InvalidOperationException($"option {name} is not declared for source {source}");
}
