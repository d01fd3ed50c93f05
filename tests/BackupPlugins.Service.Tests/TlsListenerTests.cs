// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BackupPlugins.Service.Hosting;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace BackupPlugins.Service.Tests;

/// <summary>
/// The TCP listener beyond loopback: refused without TLS, with the reason; with TLS, a client with a certificate of
/// the configured CA is served and one without (or with a certificate of another CA) is not.
/// </summary>
public sealed class TlsListenerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AnAddressOtherThanLoopback_WithoutTls_IsRefusedWithTheReason()
    {
        var ex = Assert.Throws<ArgumentException>(() => HostFactory.Build(new HostSettings
        {
            SocketPath = Path.Combine(_dir, "h.sock"), Tcp = new IPEndPoint(IPAddress.Any, FreePort()),
        }));
        Assert.StartsWith("--tcp 0.0.0.0:", ex.Message);
        Assert.EndsWith(" is not a loopback address: another address is served only with TLS and client certificates " +
                        "(--tls-cert, --tls-key, --tls-client-ca)", ex.Message);
    }

    [Fact]
    public async Task WithTls_AClientOfTheCa_IsServed_AndOthersAreNot()
    {
        var (ca, caKey) = Authority("BackupPlugins test CA");
        var server = Issue(ca, caKey, "localhost", server: true);
        var client = Issue(ca, caKey, "backup-admin", server: false);
        var (stranger, strangerKey) = Authority("Another CA");
        var foreign = Issue(stranger, strangerKey, "intruder", server: false);
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "host.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "host-key.pem"), server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var tcp = new IPEndPoint(IPAddress.Loopback, FreePort());
        var app = HostFactory.Build(new HostSettings
        {
            SocketPath = Path.Combine(_dir, "h.sock"), Tcp = tcp,
            Tls = new TcpTls(Path.Combine(_dir, "host.pem"), Path.Combine(_dir, "host-key.pem"), Path.Combine(_dir, "ca.pem")),
        });
        await app.StartAsync();
        try
        {
            using (var channel = Channel(tcp, ca, client))
            {
                var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
            }
            foreach (var other in new[] { null, foreign })
            {
                using var channel = Channel(tcp, ca, other);
                await Assert.ThrowsAsync<RpcException>(async () => await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()));
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static GrpcChannel Channel(IPEndPoint tcp, X509Certificate2 ca, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return certificate is not null && chain.Build(new X509Certificate2(certificate));
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
        }
        return GrpcChannel.ForAddress($"https://localhost:{tcp.Port}", new GrpcChannelOptions { HttpHandler = handler });
    }

    private static (X509Certificate2 Certificate, ECDsa Key) Authority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)), key);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, ECDsa caKey, string name, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(name);
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey),
            DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
