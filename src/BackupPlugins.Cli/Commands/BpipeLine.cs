// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// A FileSet's bpipe line — Bareos's <c>bpipe:file=F:reader=R:writer=W</c> or Bacula's <c>bpipe:F:R:W</c> — read for
/// <c>check bpipe</c>: the reader must be <c>bpipe-reader</c>, whose <c>--source</c> and <c>key=value</c> words become
/// the options it would send (as <see cref="BpipeOptions.Definition"/> makes them). The commands are split into words
/// as bpipe splits them (blanks, single and double quotes; no shell).
/// </summary>
internal static class BpipeLine
{
    private static readonly string[] WithValue = ["--socket", "--config", "--format", "--jobid"];

    public static string ReaderOptions(string line)
    {
        if (!line.StartsWith("bpipe:", StringComparison.Ordinal))
        {
            throw new FormatException($"\"{line}\" is not a bpipe line: it starts with bpipe: (bpipe:file=PATH:reader=COMMAND:writer=COMMAND)");
        }
        var parts = line["bpipe:".Length..].Split(':');
        var keyed = parts.Where(p => p.Contains('=', StringComparison.Ordinal)).ToDictionary(p => p[..p.IndexOf('=')], p => p[(p.IndexOf('=') + 1)..]);
        var (reader, writer) = keyed.ContainsKey("reader")
            ? (keyed.GetValueOrDefault("reader"), keyed.GetValueOrDefault("writer"))
            : parts.Length == 3 ? (parts[1], parts[2]) : (null, null);
        if (reader is null)
        {
            throw new FormatException("the bpipe line has no reader: give reader=COMMAND (Bareos) or bpipe:FILE:READER:WRITER (Bacula)");
        }
        if (writer is null || !writer.Contains("bpipe-writer", StringComparison.Ordinal))
        {
            throw new FormatException($"the writer \"{writer}\" is not backup-plugins bpipe-writer: a restore would not go back through the host");
        }
        var words = Words(reader);
        var at = words.FindIndex(w => w == "bpipe-reader");
        if (at < 0)
        {
            throw new FormatException($"the reader \"{reader}\" is not backup-plugins bpipe-reader");
        }
        string? source = null;
        var options = new List<string>();
        for (var i = at + 1; i < words.Count; i++)
        {
            var word = words[i];
            if (word == "--source" && i + 1 < words.Count)
            {
                source = words[++i];
            }
            else if (word.StartsWith("--source=", StringComparison.Ordinal))
            {
                source = word["--source=".Length..];
            }
            else if (WithValue.Contains(word))
            {
                i++;
            }
            else if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                options.Add(word);
            }
        }
        if (source is null)
        {
            throw new FormatException("the reader gives no --source: bpipe-reader --source NAME key=value…");
        }
        try
        {
            return BpipeOptions.Definition(source, options);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException(ex.Message, ex);
        }
    }

    /// <summary>Words as bpipe's command splitting makes them: blanks separate, quotes group, no shell.</summary>
    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in command)
        {
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
