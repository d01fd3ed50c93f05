// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Xen;

/// <summary>
/// Where XAPI listens: its local socket in dom0 (<c>unix:/var/lib/xcp/xapi</c>, where root needs no password) or a
/// pool member's URL (<c>https://host</c>, or <c>http://host:port</c>). Requests over the socket go to
/// <c>http://localhost</c>.
/// </summary>
public sealed record XapiEndpoint(Uri BaseUri, string? UnixSocket)
{
    /// <summary>
    /// A PEM file of certificates that an https endpoint's certificate may chain to besides the system's: the pool's
    /// CA, or a host's own self-signed certificate (what XCP-ng makes at install).
    /// </summary>
    public string? CaFile { get; init; }

    public const string LocalSocket = "/var/lib/xcp/xapi";

    public static XapiEndpoint Local { get; } = new(new Uri("http://localhost/"), LocalSocket);

    public bool IsLocal => UnixSocket is not null;

    /// <summary><c>unix:PATH</c>, <c>http(s)://host[:port]</c> or a bare host name (https).</summary>
    public static XapiEndpoint Parse(string text)
    {
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            return path.StartsWith('/') ? new XapiEndpoint(new Uri("http://localhost/"), path)
                : throw new FormatException($"\"{text}\": unix: must be followed by the socket's absolute path");
        }
        var withScheme = text.Contains("://", StringComparison.Ordinal) ? text : "https://" + text;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
        {
            throw new FormatException($"\"{text}\" is not a XAPI address: give unix:/var/lib/xcp/xapi, https://HOST or http://HOST:PORT");
        }
        return new XapiEndpoint(uri, null);
    }

    /// <summary>The pool master a slave named in HOST_IS_SLAVE (an address), with this endpoint's scheme and port.</summary>
    public XapiEndpoint Master(string address) =>
        new(new UriBuilder(IsLocal ? "https" : BaseUri.Scheme, address, IsLocal ? -1 : BaseUri.Port).Uri, null) { CaFile = CaFile };

    public override string ToString() => UnixSocket is { } socket ? "unix:" + socket : BaseUri.GetLeftPart(UriPartial.Authority);
}
