// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

/// <summary>The seed ini's compressors: in a pipe after tar where their arguments allow it, in place otherwise.</summary>
public sealed class CompressorTests
{
    private static Compressor Of(string program, string arguments) =>
        new(new Compression(program, "x", arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromMinutes(5)));

    [Theory]
    [InlineData("/usr/bin/gzip", "-f", "/usr/bin/gzip -c")]
    [InlineData("/usr/bin/xz", "-4 -T0 -f", "/usr/bin/xz -c -4 -T0")]
    [InlineData("/usr/bin/lz4", "-rm -q -z -1 -f", "/usr/bin/lz4 -c -q -1")]
    [InlineData("/usr/bin/bzip2", "-1 -f", "/usr/bin/bzip2 -c -1")]
    [InlineData("/usr/bin/pbzip2", "-f -k -9", "/usr/bin/pbzip2 -c -9")]
    [InlineData("/usr/bin/zstd", "-19 --rm", "/usr/bin/zstd -c -19")]
    public void TheSeedIniCompressors_RunInAPipe(string program, string arguments, string pipe)
    {
        var compressor = Of(program, arguments);
        Assert.True(compressor.Pipes);
        Assert.Equal(pipe, compressor.PipeCommand(null).ToString());
    }

    [Theory]
    [InlineData("/usr/local/bin/mycompress", "-f")]
    [InlineData("/usr/bin/gzip", "--suffix .gzip")]
    [InlineData("/usr/bin/xz", "--format=lzma")]
    public void AnUnknownProgramOrArgument_RunsInPlaceOnTheTarFile(string program, string arguments)
    {
        var compressor = Of(program, arguments);
        Assert.False(compressor.Pipes);
        Assert.Equal([program, .. arguments.Split(' '), "/var/tmp/vm.tar"], compressor.InPlaceCommand("/var/tmp/vm.tar", null).Argv);
    }
}
