// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BackupPlugins.Sources.Xen.Backup;

/// <summary>One export of a run: what the status log says of it, and what was written.</summary>
public sealed record VmResult(
    string Kind, string Vm, string? Uuid, string Outcome, string? Directory, string? File, long Bytes, string? Sha256, double Seconds, string? Message);

/// <summary>
/// The run report <c>report=FILE</c> asks for, in place of the itsdave fork's report posted to an HTTP API: one JSON
/// document per run (schema <c>backup-plugins-xen-backup/1</c>), written whole or not at all (a temporary file renamed
/// over the last run's), so monitoring that reads it never sees half a report.
/// </summary>
public sealed record RunReport(
    string Schema, string Host, DateTimeOffset Started, DateTimeOffset Ended, string Outcome, int ExitCode,
    int Success, int Warnings, int Errors, string BackupDir, IReadOnlyList<VmResult> Vms, IReadOnlyList<string> Problems)
{
    public const string SchemaName = "backup-plugins-xen-backup/1";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(path);
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, full, overwrite: true);
    }
}
