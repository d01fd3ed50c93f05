// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// <c>[--quick] [--rounds N] [--rows large,small,zfs] [--profile DIR]</c>: full scale (1 GiB, 100,000 files, 3 rounds)
/// or a quick one for development; every row group, or the ones named; with a perf profile of the file daemon per job.
/// </summary>
public sealed record BenchOptions(bool Quick, int Rounds, IReadOnlySet<string> Rows, string? Profile = null)
{
    public static readonly string[] AllRows = ["large", "small", "zfs"];

    public const string Usage = "usage: real-bareos [--quick] [--rounds N] [--rows large,small,zfs] [--profile DIR]   (--quick: 128 MiB, 10,000 files, 1 round)";

    public long LargeBytes => Quick ? 128L << 20 : 1L << 30;
    public string LargeName => Quick ? "128 MiB" : "1 GiB";
    public int SmallFiles => Quick ? 10_000 : 100_000;

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = quick ? 1 : 3;
        var rows = new HashSet<string>(AllRows);
        string? profile = null;
        var rest = args.Where(a => a != "--quick").ToList();
        for (var i = 0; i + 1 < rest.Count; i += 2)
        {
            switch (rest[i])
            {
                case "--rounds" when int.TryParse(rest[i + 1], out rounds) && rounds >= 1:
                    break;
                case "--rows" when rest[i + 1].Split(',') is var named && named.All(AllRows.Contains):
                    rows = [.. named];
                    break;
                case "--profile":
                    profile = Path.GetFullPath(rest[i + 1]);
                    break;
                default:
                    throw new ArgumentException(Usage);
            }
        }
        return rest.Count % 2 == 0 ? new BenchOptions(quick, rounds, rows, profile) : throw new ArgumentException(Usage);
    }
}
