using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Outrigger.Interop;

/// <summary>The test certificates in <c>certs/</c> (copied next to the executable).</summary>
public static class InteropCertificates
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "certs");

    public static string CaPath => Path.Combine(Directory, "ca.pem");

    public static X509Certificate2 LoadServer() => Load("server");

    public static X509Certificate2 LoadClient() => Load("client");

    public static X509Certificate2 LoadCa() => X509CertificateLoader.LoadCertificateFromFile(CaPath);

    /// <summary>Accepts a certificate that chains to the test CA (and nothing else).</summary>
    public static bool ValidateWithTestCa(X509Certificate2? certificate)
    {
        if (certificate is null)
        {
            return false;
        }

        using var ca = LoadCa();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>TLS client options trusting only the test CA, optionally presenting the client certificate.</summary>
    public static SslClientAuthenticationOptions ClientOptions(string? targetHost, bool presentClientCertificate) => new()
    {
        TargetHost = targetHost,
        RemoteCertificateValidationCallback = (_, cert, _, errors) =>
            errors == SslPolicyErrors.None || ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == 0 && cert is X509Certificate2 c && ValidateWithTestCa(c)),
        ClientCertificates = presentClientCertificate ? [LoadClient()] : null,
    };

    private static X509Certificate2 Load(string name)
    {
        using var pem = X509Certificate2.CreateFromPemFile(Path.Combine(Directory, name + ".pem"), Path.Combine(Directory, name + ".key"));
        // Re-import so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
