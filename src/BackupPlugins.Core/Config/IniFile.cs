// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Core.Config;

/// <summary>
/// An .ini file read the way Python's <c>configparser.ConfigParser()</c> reads it (the seed scripts' format):
/// <c>[section]</c> headers, <c>key = value</c> or <c>key: value</c>, keys case-insensitive, values continued on
/// lines indented deeper than their key (empty lines between continuation lines kept), full-line <c>#</c>/<c>;</c>
/// comments, <c>[DEFAULT]</c> keys inherited by every section, and
/// BasicInterpolation (<c>%(key)s</c>, <c>%%</c>). Duplicate sections or keys are errors, as in configparser.
/// </summary>
public sealed class IniFile
{
    public const string Default = "DEFAULT";
    private readonly Dictionary<string, Dictionary<string, string>> _sections = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    public string Path { get; }

    /// <summary>Section names in file order, without DEFAULT.</summary>
    public IReadOnlyList<string> Sections => _order;

    private IniFile(string path) => Path = path;

    public static IniFile Load(string path) => Parse(File.ReadAllText(path), path);

    public static IniFile Parse(string text, string path)
    {
        var ini = new IniFile(path);
        ini._sections[Default] = new(StringComparer.Ordinal);
        Dictionary<string, string>? section = null;
        string? sectionName = null;
        string? key = null;
        var keyIndent = 0;
        var blanks = 0; // empty lines inside a value are kept if an indented line follows (empty_lines_in_values)
        var number = 0;
        foreach (var raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            number++;
            var line = raw.TrimEnd();
            var trimmed = line.TrimStart();
            var indent = line.Length - trimmed.Length;
            if (trimmed.StartsWith('#') || trimmed.StartsWith(';'))
            {
                continue;
            }
            if (trimmed.Length == 0)
            {
                blanks++;
                continue;
            }
            if (key is not null && section is not null && indent > keyIndent)
            {
                section[key] += new string('\n', blanks + 1) + trimmed; // continuation of a multi-line value
                blanks = 0;
                continue;
            }
            blanks = 0;
            if (trimmed.StartsWith('[') && trimmed.EndsWith(']'))
            {
                sectionName = trimmed[1..^1];
                if (sectionName != Default && !ini._sections.TryAdd(sectionName, new(StringComparer.Ordinal)))
                {
                    throw ini.Error(number, $"section [{sectionName}] appears twice");
                }
                if (sectionName != Default)
                {
                    ini._order.Add(sectionName);
                }
                section = ini._sections[sectionName];
                key = null;
                continue;
            }
            if (section is null)
            {
                throw ini.Error(number, "a key before the first [section] header");
            }
            var split = trimmed.IndexOfAny(['=', ':']);
            if (split <= 0)
            {
                throw ini.Error(number, $"\"{trimmed}\" is neither [section] nor key = value");
            }
            key = trimmed[..split].Trim().ToLowerInvariant();
            keyIndent = indent;
            if (!section.TryAdd(key, trimmed[(split + 1)..].Trim()))
            {
                throw ini.Error(number, $"key \"{key}\" appears twice in [{sectionName}]");
            }
        }
        return ini;
    }

    public bool HasSection(string name) => _sections.ContainsKey(name) && name != Default;

    /// <summary>The value of <paramref name="key"/> in <paramref name="section"/> (or inherited from DEFAULT), interpolated.</summary>
    public string? Get(string section, string key)
    {
        key = key.ToLowerInvariant();
        var raw = Raw(section, key);
        return raw is null ? null : Interpolate(section, key, raw, 0);
    }

    private string? Raw(string section, string key) =>
        _sections.TryGetValue(section, out var s) && s.TryGetValue(key, out var v) ? v
        : _sections[Default].TryGetValue(key, out var d) ? d : null;

    private string Interpolate(string section, string key, string value, int depth)
    {
        if (depth > 10)
        {
            throw new FormatException($"{Path}: [{section}] {key}: interpolation is nested too deeply (a loop?)");
        }
        var result = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                result.Append(value[i]);
            }
            else if (i + 1 < value.Length && value[i + 1] == '%')
            {
                result.Append('%');
                i++;
            }
            else if (i + 1 < value.Length && value[i + 1] == '(' && value.IndexOf(")s", i, StringComparison.Ordinal) is var end and > 0)
            {
                var name = value[(i + 2)..end].ToLowerInvariant();
                var referenced = Raw(section, name) ?? throw new FormatException(
                    $"{Path}: [{section}] {key}: %({name})s refers to a key that does not exist");
                result.Append(Interpolate(section, name, referenced, depth + 1));
                i = end + 1;
            }
            else
            {
                throw new FormatException($"{Path}: [{section}] {key}: a lone '%' must be written '%%'");
            }
        }
        return result.ToString();
    }

    private FormatException Error(int line, string what) => new($"{Path}, line {line}: {what}");
}
