// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>Words for the remote shell ssh always goes through: single quotes, with ' written '\''.</summary>
public sealed class PosixShellQuoteTests
{
    [Theory]
    [InlineData("", "''")]
    [InlineData("plain", "'plain'")]
    [InlineData("with space", "'with space'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("''", "''\\'''\\'''")]
    [InlineData("say \"hi\" $x `id` \\ * ~ -n", "'say \"hi\" $x `id` \\ * ~ -n'")]
    [InlineData("two\nlines", "'two\nlines'")]
    public void Quote_SingleQuotes_AndWritesAQuoteAsQuoteBackslashQuoteQuote(string word, string quoted) =>
        Assert.Equal(quoted, PosixShellQuote.Quote(word));

    [Fact]
    public void Quote_RefusesNul() =>
        Assert.Equal("a shell word cannot contain a NUL character (Parameter 'word')",
            Assert.Throws<ArgumentException>(() => PosixShellQuote.Quote("a\0b")).Message);
}
