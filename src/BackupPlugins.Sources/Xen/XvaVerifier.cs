// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Formats.Tar;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace BackupPlugins.Sources.Xen;

/// <summary>What a verified XVA held: its disks (<c>Ref:n</c> directories) and data chunks.</summary>
public sealed record XvaSummary(int Disks, int Chunks);

/// <summary>
/// Checks an XVA as it streams by: a tar whose first member is <c>ova.xml</c>, then per disk <c>Ref:n/%08d</c> chunks,
/// each followed by its checksum — <c>.xxhash</c> (<c>%016X</c> of XXH64, what current XAPI writes) or <c>.checksum</c>
/// (SHA-1, older XAPI) — which must match the chunk (xen-api <c>stream_vdi.ml</c>). A chunk without its checksum, a
/// checksum that does not match, or a tar that ends early is an <see cref="InvalidDataException"/> naming the member.
/// </summary>
public static class XvaVerifier
{
    public static async Task<XvaSummary> VerifyAsync(Stream xva, CancellationToken cancellationToken)
    {
        var tar = new TarReader(xva, leaveOpen: true);
        var first = await tar.GetNextEntryAsync(copyData: false, cancellationToken)
                    ?? throw new InvalidDataException("the export is not a tar: no ova.xml");
        if (first.Name != "ova.xml")
        {
            throw new InvalidDataException($"the export's first member is {first.Name}, not ova.xml: it is not an XVA");
        }
        await Drain(first, cancellationToken);
        var disks = new HashSet<string>();
        var chunks = 0;
        string? chunk = null;
        (string Xxhash, string Sha1)? sums = null;
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = entry.Name;
            if (name.EndsWith(".xxhash", StringComparison.Ordinal) || name.EndsWith(".checksum", StringComparison.Ordinal))
            {
                var of = name[..name.LastIndexOf('.')];
                if (chunk != of || sums is null)
                {
                    throw new InvalidDataException($"{name} follows no chunk {of}");
                }
                var expected = (await ReadText(entry, cancellationToken)).Trim();
                var actual = name.EndsWith(".xxhash", StringComparison.Ordinal) ? sums.Value.Xxhash : sums.Value.Sha1;
                if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidDataException($"chunk {of} does not match its checksum ({name} says {expected}, the data is {actual})");
                }
                chunk = null;
                sums = null;
                continue;
            }
            if (chunk is not null)
            {
                throw new InvalidDataException($"chunk {chunk} has no checksum member");
            }
            var slash = name.IndexOf('/');
            if (!name.StartsWith("Ref:", StringComparison.Ordinal) || slash < 0)
            {
                throw new InvalidDataException($"unexpected member {name} in the XVA");
            }
            disks.Add(name[..slash]);
            chunk = name;
            sums = await HashAsync(entry, cancellationToken);
            chunks++;
        }
        if (chunk is not null)
        {
            throw new InvalidDataException($"the export ends after chunk {chunk}, without its checksum");
        }
        return new XvaSummary(disks.Count, chunks);
    }

    private static async Task<(string, string)> HashAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        var xx = new XxHash64();
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        if (entry.DataStream is { } data)
        {
            var buffer = new byte[1 << 16];
            int n;
            while ((n = await data.ReadAsync(buffer, cancellationToken)) > 0)
            {
                xx.Append(buffer.AsSpan(0, n));
                sha1.AppendData(buffer, 0, n);
            }
        }
        return (Convert.ToHexString(xx.GetCurrentHash()), Convert.ToHexStringLower(sha1.GetHashAndReset()));
    }

    private static async Task<string> ReadText(TarEntry entry, CancellationToken cancellationToken)
    {
        if (entry.DataStream is null)
        {
            return "";
        }
        using var reader = new StreamReader(entry.DataStream, Encoding.ASCII, leaveOpen: true);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    private static async Task Drain(TarEntry entry, CancellationToken cancellationToken)
    {
        if (entry.DataStream is { } data)
        {
            await data.CopyToAsync(Stream.Null, cancellationToken);
        }
    }
}
