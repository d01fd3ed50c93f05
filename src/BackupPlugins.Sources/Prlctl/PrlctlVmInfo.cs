// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text.Json;

namespace BackupPlugins.Sources.Prlctl;

/// <summary>
/// A virtual machine as <c>prlctl list -i -j &lt;vm&gt;</c> describes it: UUID (without braces), name, state, cumulative
/// uptime in seconds, and its bundle directory (<c>Home</c>, without the trailing '/'). The JSON form, not the text
/// block the seed split on whitespace (which corrupted names and paths with double spaces).
/// </summary>
public sealed record PrlctlVmInfo(string Uuid, string Name, string State, long UptimeSeconds, string Home)
{
    /// <summary>
    /// The one object of the JSON array prlctl prints for one VM (prlctl's <c>PrlVm::append_configuration</c>: "ID"
    /// without braces, "Uptime" seconds as a string, "Home" ending in '/'). Anything else is a
    /// <see cref="FormatException"/> naming what is missing.
    /// </summary>
    public static PrlctlVmInfo Parse(string json) =>
        ParseAll(json) is [var one] ? one : throw new FormatException("not a JSON array of one virtual machine");

    /// <summary>Every object of the JSON array of <c>prlctl list -i -j</c> (one per VM).</summary>
    public static IReadOnlyList<PrlctlVmInfo> ParseAll(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.EnumerateArray().Select(One).ToList()
                : throw new FormatException("not a JSON array of virtual machines");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not JSON: {ex.Message}");
        }
    }

    private static PrlctlVmInfo One(JsonElement vm)
    {
        string Text(string key) => vm.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new FormatException($"no \"{key}\" in prlctl's description of the virtual machine");
        var type = Text("Type");
        if (type != "VM")
        {
            throw new FormatException($"\"Type\" is \"{type}\", not a virtual machine");
        }
        var (id, name, state, uptime, home) = (Text("ID"), Text("Name"), Text("State"), Text("Uptime"), Text("Home"));
        return new PrlctlVmInfo(id.Trim('{', '}').ToLowerInvariant(), name, state,
            long.TryParse(uptime, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? seconds : throw new FormatException($"\"Uptime\" is \"{uptime}\", not a number of seconds"),
            home.TrimEnd('/'));
    }
}
