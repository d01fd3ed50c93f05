// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Security.Cryptography;
using BackupPlugins.Core.Tls;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace BackupPlugins.Service.Hosting;

/// <summary>
/// HTTPS on the TCP listener (HTTP/2 by ALPN): the host's certificate from PEM files, and a client certificate required
/// of every connection, trusted only when it chains to the configured CA (the system's store is not asked: the CA
/// decides who may connect).
/// </summary>
internal static class TcpTlsListener
{
    /// <summary>The certificate and the clients' CA, read now: a bad file stops the host before it starts, with its name.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection ClientCa) Load(TcpTls tls)
    {
        try
        {
            var clientCa = CaTrust.Load(tls.ClientCa, "--tls-client-ca");
            return (X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key), clientCa);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException)
        {
            throw new ArgumentException($"the TCP listener's TLS files cannot be read ({tls.Certificate}, {tls.Key}, {tls.ClientCa}): {ex.Message}", ex);
        }
    }

    public static void Use(ListenOptions listen, X509Certificate2 certificate, X509Certificate2Collection clientCa)
    {
        listen.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (client, _, _) => CaTrust.ChainsTo(client, clientCa);
        });
    }
}
