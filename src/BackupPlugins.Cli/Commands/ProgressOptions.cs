// SPDX-License-Identifier: AGPL-3.0-or-later
using System.CommandLine;
using Spectre.Console;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// <c>--progress auto|bar|lines|none</c> and <c>--progress-interval SECONDS</c>, the options every standalone job command
/// has: how its transfers show their progress (<see cref="JobDisplay"/>).
/// </summary>
internal sealed class ProgressOptions
{
    public const int DefaultInterval = 30;

    private readonly Option<string> _mode = new("--progress")
    {
        Description = "how long transfers show their progress: auto (bars on a terminal, else lines), bar, lines, none",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<uint> _interval = new("--progress-interval")
    {
        Description = "seconds between a transfer's progress lines when not on a terminal (0: none)",
        HelpName = "seconds",
        DefaultValueFactory = _ => DefaultInterval,
    };

    public ProgressOptions() => _mode.AcceptOnlyFromAmong("auto", "bar", "lines", "none");

    public void AddTo(Command command)
    {
        command.Options.Add(_mode);
        command.Options.Add(_interval);
    }

    /// <summary>
    /// The display for this command line: bars when asked for, or with <c>auto</c> when <paramref name="output"/> is
    /// standard output on a terminal that draws them (Spectre.Console's profile: ANSI and interactive); otherwise lines.
    /// The job's lines go to <paramref name="output"/>, or to <paramref name="log"/> when given (a log file).
    /// </summary>
    public JobDisplay Display(ParseResult parse, TextWriter output, TextWriter? log = null)
    {
        var lines = log ?? output;
        return parse.GetValue(_mode) switch
        {
            "bar" => new ProgressView(AnsiConsole.Console, log),
            "auto" when ReferenceEquals(output, Console.Out) && OnTerminal() => new ProgressView(AnsiConsole.Console, log),
            "none" => new ProgressLines(lines, TimeSpan.Zero),
            _ => new ProgressLines(lines, TimeSpan.FromSeconds(parse.GetValue(_interval))),
        };
    }

    private static bool OnTerminal() =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities is { Ansi: true, Interactive: true };
}
