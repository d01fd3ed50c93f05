// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// Words of a config value as Python's <c>shlex.split</c> makes them (POSIX mode): blanks separate words; single quotes
/// keep everything; double quotes keep everything but a backslash before <c>"</c>, <c>\</c>, <c>$</c> or a backquote;
/// a backslash outside quotes keeps the next character; <c>#</c> is not a comment (shlex.split's default).
/// Only splits: nothing is ever run through a shell.
/// </summary>
public static class ShellWords
{
    public static IReadOnlyList<string> Split(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        throw new FormatException($"no closing quotation in {text}");
                    }
                    word.Append(text, i + 1, close - i - 1);
                    i = close;
                    inWord = true;
                    break;
                case '"':
                    i++;
                    while (i < text.Length && text[i] != '"')
                    {
                        if (text[i] == '\\' && i + 1 < text.Length && "\"\\$`".Contains(text[i + 1]))
                        {
                            i++;
                        }
                        word.Append(text[i++]);
                    }
                    if (i >= text.Length)
                    {
                        throw new FormatException($"no closing quotation in {text}");
                    }
                    inWord = true;
                    break;
                case '\\':
                    if (++i >= text.Length)
                    {
                        throw new FormatException($"no escaped character at the end of {text}");
                    }
                    word.Append(text[i]);
                    inWord = true;
                    break;
                default:
                    if (char.IsWhiteSpace(c))
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
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }
}
