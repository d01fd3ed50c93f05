// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Trees;

namespace BackupPlugins.Core.Tests;

public class BareosNamesTests
{
    [Theory]
    [InlineData("/srv/data/plain.txt")]
    [InlineData("/srv/café/naïve 名前.txt")]
    public void Encode_ValidUtf8_IsUnchanged(string name)
    {
        var raw = Encoding.UTF8.GetBytes(name);
        Assert.Equal(raw, BareosNames.Encode(raw));
    }

    [Fact]
    public void Encode_InvalidBytes_BecomePrivateUseCharacters()
    {
        byte[] raw = [(byte)'K', 0xDC, (byte)'B'];
        Assert.Equal("K\uF7DCB", Encoding.UTF8.GetString(BareosNames.Encode(raw)));
    }

    [Fact]
    public void Encode_NameAlreadyHoldingAnEscapeCharacter_IsEscapedItself()
    {
        var raw = Encoding.UTF8.GetBytes("a\uF700b");
        Assert.Equal("a\uF7EF\uF79C\uF780b", Encoding.UTF8.GetString(BareosNames.Encode(raw)));
    }

    public static TheoryData<byte[]> Names => new()
    {
        new byte[] { 0xFF, 0xFE, 0x00 + (byte)'x' },
        Encoding.UTF8.GetBytes("a\uF7FFz"),
        new byte[] { 0xE2, 0x82 },            // truncated sequence
        new byte[] { 0xED, 0xA0, 0x80 },      // encoded surrogate
        new byte[] { (byte)'/', 0xC0, 0xAF }, // overlong '/'
        Encoding.UTF8.GetBytes("ok/\uF7DC/ok"),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Decode_OfEncode_IsTheOriginalBytes(byte[] raw)
    {
        var encoded = BareosNames.Encode(raw);
        Assert.True(System.Text.Unicode.Utf8.IsValid(encoded));
        Assert.Equal(raw, BareosNames.Decode(encoded));
    }
}

/// <summary>Names as the grpc-fd module carries them (bytes), and the one decoding that reads both kinds.</summary>
public class BareosNamesAsBytesTests
{
    [Theory]
    [MemberData(nameof(BareosNamesTests.Names), MemberType = typeof(BareosNamesTests))]
    public void Decode_OfForBytes_IsTheOriginalBytes(byte[] raw) => Assert.Equal(raw, BareosNames.Decode(BareosNames.ForBytes(raw)));

    [Fact]
    public void ForBytes_NameNotUtf8_IsTheRawName()
    {
        byte[] raw = [(byte)'K', 0xDC, (byte)'B', (byte)'/', 0xFF];
        Assert.Equal(raw, BareosNames.ForBytes(raw));
        Assert.Equal(raw, BareosNames.Decode(raw));
    }

    [Fact]
    public void ForBytes_NameHoldingAnEscapeCharacter_IsEscapedAsThePythonPathRecordsIt()
    {
        var raw = Encoding.UTF8.GetBytes("a\uF700b");
        Assert.Equal(BareosNames.Encode(raw), BareosNames.ForBytes(raw));
    }

    [Fact]
    public void Decode_NameRecordedEscapedByThePythonPath_IsTheOriginalBytes()
    {
        byte[] raw = [(byte)'K', 0xDC, (byte)'B'];
        Assert.Equal(raw, BareosNames.Decode(Encoding.UTF8.GetBytes("K\uF7DCB")));
    }

    [Fact]
    public void Decode_RawBytesBesideAnEscape_KeepsTheRawBytes()
    {
        byte[] mixed = [0xFF, .. Encoding.UTF8.GetBytes("\uF7DC"), (byte)'x'];
        Assert.Equal(new byte[] { 0xFF, 0xDC, (byte)'x' }, BareosNames.Decode(mixed));
    }
}
