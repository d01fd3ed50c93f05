// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.RealBareos.Bench;

/// <summary>How a row's bridge figure is held against its native one.</summary>
public enum Goal
{
    /// <summary>Nothing to meet: shown for reading.</summary>
    None,
    /// <summary>bridge / native at least the target (a rate).</summary>
    RatioAtLeast,
    /// <summary>bridge / native at most the target (a cost).</summary>
    RatioAtMost,
    /// <summary>bridge − native at most the target (seconds).</summary>
    ExtraAtMost,
}

/// <summary>One line of the table: medians over the rounds. NaN where a side has no figure.</summary>
public sealed record Row(string Name, double Native, double Bridge, Goal Goal = Goal.None, double Target = 0, string Format = "F2")
{
    public string Comparison => Goal == Goal.ExtraAtMost
        ? Show(Bridge - Native, "+0.00;-0.00") + " s"
        : double.IsNaN(Native) || Native == 0 ? "" : Show(Bridge / Native, "F2");

    public string TargetText => Goal switch
    {
        Goal.RatioAtLeast => $">= {Target:F2}",
        Goal.RatioAtMost => $"<= {Target:F2}",
        Goal.ExtraAtMost => $"<= +{Target:0.##} s",
        _ => "",
    };

    /// <summary>"ok", "MISS", or empty when there is no target (or no figure to judge).</summary>
    public string Verdict
    {
        get
        {
            var value = Goal == Goal.ExtraAtMost ? Bridge - Native : Bridge / Native;
            return Goal == Goal.None || double.IsNaN(value)
                ? ""
                : (Goal == Goal.RatioAtLeast ? value >= Target : value <= Target) ? "ok" : "MISS";
        }
    }

    public static string Show(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>The table printed at the end, with the lines that say how it was measured.</summary>
public sealed class Report(string title)
{
    public List<Row> Rows { get; } = [];
    public List<string> Notes { get; } = [];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public void Print(TextWriter output)
    {
        var width = Math.Max(40, Rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
        output.WriteLine(title);
        output.WriteLine($"{"".PadRight(width)}  {"native",9}  {"plugin",9}  {"vs native",13}  {"target",10}");
        foreach (var r in Rows)
        {
            output.WriteLine($"{r.Name.PadRight(width)}  {Row.Show(r.Native, r.Format),9}  {Row.Show(r.Bridge, r.Format),9}  " +
                             $"{r.Comparison,13}  {r.TargetText,10}  {r.Verdict}".TrimEnd());
        }
        foreach (var n in Notes)
        {
            output.WriteLine(n);
        }
    }
}
