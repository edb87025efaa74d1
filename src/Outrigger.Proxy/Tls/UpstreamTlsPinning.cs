using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Outrigger.Proxy.Tls;

/// <summary>
/// Upstream TLS beyond the system trust store: <see cref="CaFile"/> pins the CA(s) an upstream's certificate must chain to
/// (the system roots are then not trusted for this cluster; the name must still match), and
/// <see cref="ClientCertFile"/>/<see cref="ClientKeyFile"/> present a client certificate (mTLS to the upstream).
/// </summary>
internal sealed record UpstreamTlsPinning(string? CaFile, string? ClientCertFile, string? ClientKeyFile)
{
    public static UpstreamTlsPinning None { get; } = new(null, null, null);

    /// <summary>A validation callback trusting only the pinned CA; null (system trust) when none is pinned.</summary>
    public RemoteCertificateValidationCallback? Validator()
    {
        if (CaFile is null)
        {
            return null;
        }

        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPemFile(CaFile);
        return (_, certificate, presented, errors) => IsTrusted(trusted, certificate, presented, errors);
    }

    public X509CertificateCollection? ClientCertificates() => ClientCertFile is not null && ClientKeyFile is not null
        ? [X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile)]
        : null;

    private static bool IsTrusted(X509Certificate2Collection trusted, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
