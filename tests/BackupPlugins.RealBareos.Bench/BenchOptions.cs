// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary><c>[--quick] [--rounds N]</c>: full scale (1 GiB, 100,000 files, 3 rounds) or a quick one for development.</summary>
public sealed record BenchOptions(bool Quick, int Rounds)
{
    public const string Usage = "usage: real-bareos [--quick] [--rounds N]   (--quick: 128 MiB, 10,000 files, 1 round)";

    public long LargeBytes => Quick ? 128L << 20 : 1L << 30;
    public string LargeName => Quick ? "128 MiB" : "1 GiB";
    public int SmallFiles => Quick ? 10_000 : 100_000;

    public static BenchOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var rounds = quick ? 1 : 3;
        var rest = args.Where(a => a != "--quick").ToList();
        if (rest is ["--rounds", var n] && int.TryParse(n, out rounds) && rounds >= 1 || rest.Count == 0)
        {
            return new BenchOptions(quick, rounds);
        }
        throw new ArgumentException(Usage);
    }
}
