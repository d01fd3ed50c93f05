// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BackupPlugins.Sources.Xen;

/// <summary>
/// Trust in a TLS server that the system's store does not vouch for: certificates from a PEM file the operator gives
/// (a CA, a bundle, or a server's own self-signed certificate), to which the server's certificate must chain — with
/// its name still checked. Used for XAPI over https and for the SMTP server of the status mail.
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
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }
}
