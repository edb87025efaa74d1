using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Outrigger.Coordination.Tests.Infrastructure;

/// <summary>A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.</summary>
internal sealed class EtcdTlsFiles : IDisposable
{
    private readonly TempDirectory _directory = new("etcd-tls");

    public EtcdTlsFiles()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Outrigger Test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.Now.AddDays(-1), DateTimeOffset.Now.AddDays(30));
        CaFile = Write("ca.pem", ca.ExportCertificatePem());
        (ServerCertFile, ServerKeyFile) = Issue(ca, caKey, "server", serverAuth: true);
        (ClientCertFile, ClientKeyFile) = Issue(ca, caKey, "client", serverAuth: false);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = new CertificateRequest("CN=Untrusted CA", otherKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.Now.AddDays(-1), DateTimeOffset.Now.AddDays(30));
        UntrustedCaFile = Write("untrusted-ca.pem", other.ExportCertificatePem());
    }

    public string CaFile { get; }

    /// <summary>A CA that signed nothing here: trusting only it must fail the handshake.</summary>
    public string UntrustedCaFile { get; }

    public string ServerCertFile { get; }

    public string ServerKeyFile { get; }

    public string ClientCertFile { get; }

    public string ClientKeyFile { get; }

    /// <summary>What a client uses: this CA and the client certificate.</summary>
    public EtcdTlsFilesView View => new(CaFile, ClientCertFile, ClientKeyFile);

    public void Dispose() => _directory.Dispose();

    private (string Cert, string Key) Issue(X509Certificate2 ca, ECDsa caKey, string name, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.Now.AddDays(-1), DateTimeOffset.Now.AddDays(29), serial);
        return (Write($"{name}.pem", cert.ExportCertificatePem()), Write($"{name}-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, pem);
        return path;
    }
}

/// <summary>The TLS files a client is given (any may be missing, to test refusals).</summary>
internal sealed record EtcdTlsFilesView(string? CaFile, string? CertFile, string? KeyFile);
