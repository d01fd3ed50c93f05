// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.RegularExpressions;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>A VM that can be selected: not a snapshot, a template or the control domain.</summary>
public sealed record XenVm(string Uuid, string Name);

/// <summary>A selected VM and the number of its backups to keep.</summary>
public sealed record SelectedVm(string Uuid, string Name, int MaxBackups)
{
    public override string ToString() => Name;
}

/// <summary>The resolved lists (each in the pool's order of VMs), the kinds in the seed's order of processing (metadata, vdi, vm), and what resolving them found.</summary>
public sealed record Selection(
    IReadOnlyList<SelectedVm> MetadataExport, IReadOnlyList<SelectedVm> VdiExport, IReadOnlyList<SelectedVm> VmExport,
    IReadOnlyList<XenVm> Excluded, IReadOnlyList<string> Warnings, IReadOnlyList<string> Errors);

/// <summary>
/// The seed's selection rules, kept: a simple name (letters, digits, <c>_</c>, whitespace, <c>-</c>) is compared
/// exactly, anything else is a regex anchored at the start only (Python's <c>re.match</c>); <c>:N</c> overrides
/// max_backups; excludes apply to every export line wherever they stand (the README's promise; the seed applied them
/// only to the lines after them and skipped runs of matches, issue #36); within one kind the last line that selects a
/// VM wins (V3.24); vdi-export wins over vm-export; a simple name that matches no VM is an error, a regex that matches
/// none a warning, a missing exclude a warning. Fixed: a UUID selects that VM (names are not unique in a pool); a name
/// shared by several VMs, or by two selected VMs, is an error naming their UUIDs (their exports would share a
/// directory), and those VMs are not backed up.
/// </summary>
public static partial class VmSelection
{
    public static Selection Resolve(IReadOnlyList<SelectorLine> lines, IReadOnlyList<XenVm> vms, int defaultMax)
    {
        var warnings = new List<string>();
        var errors = new List<string>();
        var excluded = new List<XenVm>();
        foreach (var line in lines.Where(l => l.Key == "exclude"))
        {
            if (Match(line, vms, errors) is not { } matches)
            {
                continue;
            }
            if (matches is [])
            {
                warnings.Add($"***WARNING - vm(s) Exclude does not exist: {line.Selector}");
            }
            excluded.AddRange(matches.Where(m => !excluded.Contains(m)));
        }
        var kinds = new Dictionary<string, Dictionary<string, SelectedVm>>
        {
            ["metadata-export"] = [], ["vdi-export"] = [], ["vm-export"] = [],
        };
        foreach (var line in lines.Where(l => l.Key != "exclude"))
        {
            if (Match(line, vms, errors) is not { } matches)
            {
                continue;
            }
            if (matches is [])
            {
                if (IsSimpleName(line.Selector) || IsUuid(line.Selector))
                {
                    errors.Add($"ERROR - vm(s) List does not exist: {line.Selector}");
                }
                else
                {
                    warnings.Add($"***WARNING - vm not found: {line.Key}={line.Selector}");
                }
                continue;
            }
            var byName = IsSimpleName(line.Selector) && !IsUuid(line.Selector);
            if (byName && matches.Count > 1)
            {
                errors.Add($"ERROR - duplicate VM name found: {line.Selector} ({string.Join(", ", matches.Select(m => m.Uuid))}): select one by its UUID");
                continue;
            }
            foreach (var vm in matches.Where(m => !excluded.Contains(m)))
            {
                kinds[line.Key].Remove(vm.Uuid); // the last definition wins, and goes to the end
                kinds[line.Key][vm.Uuid] = new SelectedVm(vm.Uuid, vm.Name, line.MaxBackups ?? defaultMax);
            }
        }
        foreach (var uuid in kinds["vdi-export"].Keys.Where(kinds["vm-export"].ContainsKey).ToList())
        {
            warnings.Add($"***WARNING vdi-export dup - remove vm-export={kinds["vm-export"][uuid].Name}");
            kinds["vm-export"].Remove(uuid);
        }
        var selected = kinds.Values.SelectMany(k => k.Values).ToList();
        var clashes = selected.GroupBy(s => s.Name).Where(g => g.Select(s => s.Uuid).Distinct().Count() > 1).ToList();
        foreach (var clash in clashes)
        {
            errors.Add($"ERROR - duplicate VM name found: {clash.Key} ({string.Join(", ", clash.Select(s => s.Uuid).Distinct())}): " +
                       "their backups would share one directory; select one of them by its UUID or rename one");
        }
        var refused = clashes.SelectMany(c => c).Select(s => s.Uuid).ToHashSet();
        var order = vms.Select((v, i) => (v.Uuid, i)).ToDictionary(p => p.Uuid, p => p.i);
        IReadOnlyList<SelectedVm> Of(string key) => kinds[key].Values.Where(s => !refused.Contains(s.Uuid)).OrderBy(s => order[s.Uuid]).ToList();
        return new Selection(Of("metadata-export"), Of("vdi-export"), Of("vm-export"), excluded, warnings, errors);
    }

    /// <summary>The VMs a line selects; null when its regex is invalid (an error said).</summary>
    private static List<XenVm>? Match(SelectorLine line, IReadOnlyList<XenVm> vms, List<string> errors)
    {
        var selector = line.Selector;
        if (IsUuid(selector))
        {
            return vms.Where(v => v.Uuid.Equals(selector, StringComparison.OrdinalIgnoreCase)).ToList();
        }
        if (IsSimpleName(selector))
        {
            return vms.Where(v => v.Name == selector).ToList();
        }
        Regex regex;
        try
        {
            regex = new Regex(@"\A(?:" + selector + ")", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            errors.Add($"***ERROR - invalid regex: {line.Key}={selector}");
            return null;
        }
        return vms.Where(v => regex.IsMatch(v.Name)).ToList();
    }

    /// <summary>The seed's <c>isNormalVmName</c>: <c>^[\w\s\-\_]+$</c>.</summary>
    public static bool IsSimpleName(string selector) => SimpleName().IsMatch(selector);

    private static bool IsUuid(string selector) => UuidPattern().IsMatch(selector);

    [GeneratedRegex(@"^[\w\s\-_]+$")]
    private static partial Regex SimpleName();

    [GeneratedRegex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    private static partial Regex UuidPattern();
}
