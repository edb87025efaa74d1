using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Outrigger.Coordination.Etcd;

/// <summary>TLS settings for <c>https</c> endpoints: a private CA to trust and a client certificate, from PEM files.</summary>
internal static class EtcdTls
{
    public static SslClientAuthenticationOptions ClientOptions(EtcdStoreOptions options)
    {
        var ssl = new SslClientAuthenticationOptions { ApplicationProtocols = [SslApplicationProtocol.Http2] };
        if (options.CertFile is not null)
        {
            using var pem = X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);
            // Re-import so the private key is usable by SslStream on every platform.
            ssl.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }

        if (options.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.CaFile);
            ssl.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            ssl.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        return ssl;
    }
}
