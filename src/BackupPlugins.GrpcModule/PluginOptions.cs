// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.GrpcModule;

/// <summary>
/// The few options the module reads itself (<c>socket=</c>, <c>timeout=</c>), read as the python3-fd shim reads them
/// (bareos-shim/backupplugins_shim/options.py); everything else goes to the host untouched.
/// </summary>
public static class PluginOptions
{
    public const string DefaultSocket = "/run/backup-plugins/host.sock";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Bareos's rules: <c>key=value</c> pairs separated by <c>:</c>, <c>\:</c> a colon inside a value, keys without
    /// case, the first value of a key wins (also over those already in <paramref name="into"/>), empty values ignored.
    /// </summary>
    public static Dictionary<string, string> Parse(string definition, Dictionary<string, string>? into = null)
    {
        var values = into ?? new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in RawTokens(definition).Select(t => t.Replace("\\:", ":", StringComparison.Ordinal)))
        {
            var equals = t.IndexOf('=');
            if (equals < 0)
            {
                continue;
            }
            var key = t[..equals].Trim().ToLowerInvariant();
            var value = t[(equals + 1)..];
            if (key.Length > 0 && value.Length > 0)
            {
                values.TryAdd(key, value);
            }
        }
        return values;
    }

    /// <summary>The ':'-separated tokens as written (a '\:' stays inside its token, escape and all).</summary>
    public static List<string> RawTokens(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == ':')
            {
                i++;
            }
            else if (text[i] == ':')
            {
                tokens.Add(text[start..i]);
                start = i + 1;
            }
        }
        tokens.Add(text[start..]);
        return tokens;
    }

    /// <summary><c>timeout=</c> seconds per host call: at least 1; the default when missing or not a number.</summary>
    public static TimeSpan Timeout(IReadOnlyDictionary<string, string> values) =>
        values.TryGetValue("timeout", out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(Math.Max(1.0, seconds))
            : DefaultTimeout;

    public static string Socket(IReadOnlyDictionary<string, string> values) =>
        values.TryGetValue("socket", out var socket) ? socket : DefaultSocket;
}
