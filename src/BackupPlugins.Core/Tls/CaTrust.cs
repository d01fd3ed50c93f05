// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BackupPlugins.Core.Tls;

/// <summary>
/// Trust in a TLS server that the system's store does not vouch for: certificates from a PEM file the operator gives
/// (a CA, a bundle, or a server's own self-signed certificate), to which the server's certificate must chain — with
/// its name still checked (<see cref="Validate"/>: XAPI over https, the SMTP server of the xen status mail); or a
/// client's certificate that must chain to the CA and nowhere else (<see cref="ChainsTo"/>: the host's TCP listener).
/// </summary>
public static class CaTrust
{
    /// <summary>The certificates of a PEM file; <paramref name="what"/> names the setting in the error.</summary>
    public static X509Certificate2Collection Load(string path, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{what} {path} cannot be read as PEM certificates: {ex.Message}", ex);
        }
        return certificates.Count > 0 ? certificates : throw new IOException($"{what} {path} holds no certificate (BEGIN CERTIFICATE)");
    }

    /// <summary>A certificate the system trusts, or one that chains to <paramref name="trusted"/> and names the server.</summary>
    public static bool Validate(X509Certificate2Collection trusted, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var server = new X509Certificate2(certificate);
        return ChainsTo(server, trusted);
    }

    /// <summary>Does <paramref name="certificate"/> chain to one of <paramref name="trusted"/> (and only those: the system's store is not asked)?</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
