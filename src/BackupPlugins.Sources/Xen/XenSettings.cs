// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Xen;

/// <summary>Where <c>source=xen</c> finds XAPI on this host (host configuration section <c>Sources:Xen</c>).</summary>
public sealed record XenSettings
{
    /// <summary><c>unix:/var/lib/xcp/xapi</c> (the file daemon in dom0: no password), <c>https://HOST</c> or <c>http://HOST:PORT</c>.</summary>
    public string Endpoint { get; init; } = "unix:" + XapiEndpoint.LocalSocket;
    /// <summary>A 0600 file with <c>password=…</c> (or the seed's base64 file); needed unless the endpoint is the local socket.</summary>
    public string? PasswordFile { get; init; }
    /// <summary>A PEM file of the CA (or the host's self-signed certificate) an https endpoint's certificate must chain to, besides the system's.</summary>
    public string? CaFile { get; init; }
    /// <summary>Seconds one XenAPI call may take (an export's data may take as long as it takes).</summary>
    public int CallTimeoutSeconds { get; init; } = 300;
    /// <summary>Where a job writes a VM's metadata files before the file daemon reads them (one directory per job, removed at its end).</summary>
    public string WorkDirectory { get; init; } = "/run/backup-plugins/xen";
}
