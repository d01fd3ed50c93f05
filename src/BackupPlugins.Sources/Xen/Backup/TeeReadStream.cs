// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Security.Cryptography;
using BackupPlugins.Core.Jobs;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>
/// A read-only stream over an export's body that writes everything read into a file and hashes it (SHA-256), so that
/// an export is saved, checked and hashed in one pass. <see cref="DrainAsync"/> saves what the reader left unread. A
/// source that gives nothing for <paramref name="stall"/> is a <see cref="TimeoutException"/>: a hung XAPI must not
/// hold the run (and its snapshot) forever. The bytes read are counted into <paramref name="progress"/> when given.
/// </summary>
public sealed class TeeReadStream(Stream source, Stream file, TimeSpan stall, JobTransfer? progress = null) : Stream
{
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long Length64 { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(stall);
            try
            {
                n = await source.ReadAsync(buffer, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the export sent nothing for {stall.TotalSeconds:0} s (after {Length64} bytes): given up");
            }
        }
        if (n > 0)
        {
            await file.WriteAsync(buffer[..n], cancellationToken);
            _sha256.AppendData(buffer.Span[..n]);
            Length64 += n;
            progress?.Add(n);
        }
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>Reads the rest of the source (saved and hashed too).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        while (await ReadAsync(buffer, cancellationToken) > 0)
        {
        }
    }

    /// <summary>The SHA-256 of everything read, lower-case hex.</summary>
    public string Sha256() => Convert.ToHexStringLower(_sha256.GetHashAndReset());

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Length64; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
        }
        base.Dispose(disposing);
    }
}
