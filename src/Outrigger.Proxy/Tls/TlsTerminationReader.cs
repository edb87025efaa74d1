using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Tls;

/// <summary>Reads the reload and mTLS keys of the listener's <c>tls</c> section.</summary>
internal static class TlsTerminationReader
{
    public static TlsTerminationOptions Read(ConfigReader tls)
    {
        var mode = tls.Choice("client_auth", "none", "Client certificates (mTLS): none, optional (verified when sent) or require.", "none", "optional", "require") switch
        {
            "optional" => ClientCertificateMode.Optional,
            "require" => ClientCertificateMode.Require,
            _ => ClientCertificateMode.None,
        };
        var ca = tls.OptionalString("client_ca_file", "PEM CA certificate(s) that client certificates must chain to.");
        var reload = TimeSpan.FromMilliseconds(tls.Long("reload_interval_ms", 10_000, "How often cert_file and key_file are checked for changes (new connections get the new certificate); 0 disables.", 0));
        if (mode != ClientCertificateMode.None && ca is null)
        {
            tls.Error("client_ca_file", "client_auth needs the CA that signs client certificates");
        }
        else if (ca is not null && !File.Exists(ca))
        {
            tls.Error("client_ca_file", $"file '{ca}' does not exist");
        }

        return new TlsTerminationOptions(mode, ca, reload);
    }
}
