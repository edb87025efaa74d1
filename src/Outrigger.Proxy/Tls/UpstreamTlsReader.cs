using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Tls;

/// <summary>Reads the pinning and client-certificate keys of a cluster's <c>tls</c> section.</summary>
internal static class UpstreamTlsReader
{
    public static UpstreamTlsPinning Read(ConfigReader tls)
    {
        var ca = tls.OptionalString("ca_file", "PEM CA certificate(s) the upstream's certificate must chain to (pinning: the system roots are not trusted then).");
        var cert = tls.OptionalString("cert_file", "PEM client certificate presented to the upstream (mTLS).");
        var key = tls.OptionalString("key_file", "PEM private key of cert_file.");
        foreach (var (name, file) in new[] { ("ca_file", ca), ("cert_file", cert), ("key_file", key) })
        {
            if (file is not null && !File.Exists(file))
            {
                tls.Error(name, $"file '{file}' does not exist");
            }
        }

        if ((cert is null) != (key is null))
        {
            tls.Error(cert is null ? "cert_file" : "key_file", "cert_file and key_file go together");
        }

        return new UpstreamTlsPinning(ca, cert, key);
    }
}
