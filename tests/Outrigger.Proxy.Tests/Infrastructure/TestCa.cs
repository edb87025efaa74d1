using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Outrigger.Proxy.Tests.Infrastructure;

/// <summary>A throwaway certificate authority that issues server and client certificates, and writes PEM files (deleted on dispose).</summary>
internal sealed class TestCa : IDisposable
{
    private readonly List<string> _files = [];
    private readonly RSA _key = RSA.Create(2048);

    public TestCa(string name = "Outrigger Test CA")
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(1));
        CertFile = Write(Certificate.ExportCertificatePem());
    }

    public X509Certificate2 Certificate { get; }

    public string CertFile { get; }

    /// <summary>A server certificate for localhost / 127.0.0.1, as PEM files.</summary>
    public (string CertFile, string KeyFile) IssueServer(string commonName = "localhost")
    {
        var (cert, key) = Issue(commonName, server: true, null, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return (Write(cert.ExportCertificatePem()), Write(key.ExportPkcs8PrivateKeyPem()));
    }

    /// <summary>A client certificate with a URI SAN (a SPIFFE id), usable as an <see cref="X509Certificate2"/> with its key.</summary>
    public X509Certificate2 IssueClient(string spiffeId, bool expired = false)
    {
        var notAfter = expired ? DateTimeOffset.UtcNow.AddDays(-1) : DateTimeOffset.UtcNow.AddDays(30);
        var (cert, key) = Issue("client", server: false, spiffeId, DateTimeOffset.UtcNow.AddDays(-10), notAfter);
        using var withKey = cert.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes <paramref name="pem"/> over <paramref name="path"/> (or a new temp file).</summary>
    public string Write(string pem, string? path = null)
    {
        path ??= Path.GetTempFileName();
        File.WriteAllText(path, pem);
        if (!_files.Contains(path))
        {
            _files.Add(path);
        }

        return path;
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            File.Delete(file);
        }

        _key.Dispose();
        Certificate.Dispose();
    }

    private (X509Certificate2 Cert, RSA Key) Issue(string commonName, bool server, string? uri, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        if (server)
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
        }

        if (uri is not null)
        {
            san.AddUri(new Uri(uri));
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        var cert = request.Create(Certificate, notBefore, notAfter, serial);
        return (cert, key);
    }
}
