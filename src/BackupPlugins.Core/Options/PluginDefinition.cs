// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Errors;

namespace BackupPlugins.Core.Options;

/// <summary>
/// The option string python3-fd hands over ("key=value:key=value:"), merged the way Bareos does:
/// the first value given for a key wins across calls; a ':' preceded by '\' does not end a value.
/// </summary>
public sealed class PluginDefinition
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Keys => _order;
    public IReadOnlyList<string> Warnings => _warnings;

    public string? this[string key] => _values.GetValueOrDefault(key);

    public bool Contains(string key) => _values.ContainsKey(key);

    /// <summary>Adds a definition string; keys already set keep their first value.</summary>
    public void Merge(string definition)
    {
        foreach (var token in Split(definition))
        {
            if (token.Length == 0)
            {
                continue;
            }
            var eq = token.IndexOf('=');
            if (eq < 0)
            {
                throw BackupPluginException.BadOption("options.malformed",
                    $"plugin option \"{token}\" has no value: write key=value, separated by ':' (a ':' inside a value is written '\\:')");
            }
            var key = token[..eq].Trim().ToLowerInvariant();
            var value = token[(eq + 1)..];
            if (key.Length == 0)
            {
                throw BackupPluginException.BadOption("options.malformed", $"plugin option \"{token}\" has no name before '='");
            }
            if (value.Length == 0)
            {
                _warnings.Add($"plugin option \"{key}\" has an empty value and is ignored");
                continue;
            }
            if (_values.TryAdd(key, value))
            {
                _order.Add(key);
            }
        }
    }

    /// <summary>Parses a single definition string (convenience for tests and tools).</summary>
    public static PluginDefinition Parse(string definition)
    {
        var d = new PluginDefinition();
        d.Merge(definition);
        return d;
    }

    /// <summary>Removes the "python3:" prefix and module_path/module_name of a full plugin command.</summary>
    public static string StripCommand(string command)
    {
        var colon = command.IndexOf(':');
        var rest = colon < 0 ? "" : command[(colon + 1)..];
        var kept = Split(rest).Where(t => !t.StartsWith("module_path=", StringComparison.OrdinalIgnoreCase)
                                          && !t.StartsWith("module_name=", StringComparison.OrdinalIgnoreCase));
        return string.Join(':', kept.Select(Escape));
    }

    private static string Escape(string token) => token.Replace(":", "\\:", StringComparison.Ordinal);

    private static List<string> Split(string definition)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < definition.Length; i++)
        {
            var c = definition[i];
            if (c == '\\' && i + 1 < definition.Length && definition[i + 1] == ':')
            {
                current.Append(':');
                i++;
            }
            else if (c == ':')
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        tokens.Add(current.ToString());
        return tokens;
    }
}
