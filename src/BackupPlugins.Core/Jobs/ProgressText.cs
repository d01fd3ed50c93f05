// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;

namespace BackupPlugins.Core.Jobs;

/// <summary>
/// The words of a transfer's progress, the same in the bars and in the lines: binary sizes with one decimal
/// (<c>1.2 GiB</c>), rates (<c>85.0 MiB/s</c>), durations (<c>34 s</c>, <c>12 min 5 s</c>, <c>3 h 12 min</c>), and
/// the two lines a standalone command writes when not on a terminal, and the job message of a long Bareos entry.
/// </summary>
public static class ProgressText
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Seconds beyond which a time left is not worth showing (a transfer that nearly stopped).</summary>
    private const double MaxLeft = 100 * 86400;

    public static string Size(double bytes)
    {
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, Math.Round(bytes)):0} B");
        }
        var unit = -1;
        var value = bytes;
        while (unit < Units.Length - 1 && Math.Round(value, 1) >= 1024)
        {
            value /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {Units[unit]}");
    }

    public static string Rate(double bytesPerSecond) => Size(bytesPerSecond) + "/s";

    public static string Duration(TimeSpan time)
    {
        var seconds = (long)Math.Round(Math.Max(0, time.TotalSeconds));
        return seconds switch
        {
            < 60 => $"{seconds} s",
            < 3600 => $"{seconds / 60} min {seconds % 60} s",
            _ => $"{seconds / 3600} h {seconds % 3600 / 60} min",
        };
    }

    /// <summary>The total as shown: <c>~</c> before an estimate; null when not known.</summary>
    public static string? Total(long totalBytes, bool estimated) => totalBytes > 0 ? (estimated ? "~" : "") + Size(totalBytes) : null;

    /// <summary>Whole percent done, never 100 before the end; null when the total is not known or already passed (an estimate).</summary>
    public static int? Percent(long bytes, long totalBytes) =>
        totalBytes > 0 && bytes < totalBytes ? (int)Math.Floor(bytes * 100.0 / totalBytes) : null;

    /// <summary>
    /// <c>progress: NAME: 1.2 GiB of 4.0 GiB (30%), 85.0 MiB/s, 34 s left</c>; without a known total
    /// <c>progress: NAME: 1.2 GiB, 85.0 MiB/s</c>. <paramref name="rate"/> is the recent one, in bytes a second.
    /// </summary>
    public static string Progress(string name, long bytes, long totalBytes, bool estimated, double rate)
    {
        var text = $"progress: {name}: {Size(bytes)}";
        if (Total(totalBytes, estimated) is { } total)
        {
            text += $" of {total}";
        }
        var percent = Percent(bytes, totalBytes);
        if (percent is not null)
        {
            text += $" ({percent}%)";
        }
        text += $", {Rate(rate)}";
        if (percent is not null && rate > 0 && (totalBytes - bytes) / rate is var left && left < MaxLeft)
        {
            text += $", {Duration(TimeSpan.FromSeconds(left))} left";
        }
        return text;
    }

    /// <summary><c>done: NAME: 4.0 GiB in 48 s, 85.3 MiB/s</c>.</summary>
    public static string Done(string name, long bytes, TimeSpan took) => "done: " + Summary(name, bytes, took);

    /// <summary><c>NAME: 4.0 GiB in 48 s, 85.3 MiB/s</c>.</summary>
    public static string Summary(string name, long bytes, TimeSpan took) =>
        $"{name}: {Size(bytes)} in {Duration(took)}, {Rate(took > TimeSpan.Zero ? bytes / took.TotalSeconds : 0)}";
}
