namespace Outrigger.Proxy.Tls;

/// <summary>Whether the listener asks clients for a certificate: not at all, optionally (verified when sent), or always.</summary>
internal enum ClientCertificateMode
{
    None,
    Optional,
    Require,
}

/// <summary>
/// What the listener's TLS does beyond serving a certificate: reload the certificate and key when their files change
/// (checked every <see cref="ReloadInterval"/>; zero disables), and mTLS — verify client certificates against the CA in
/// <see cref="ClientCaFile"/> (chain, validity period on the injected clock).
/// </summary>
internal sealed record TlsTerminationOptions(ClientCertificateMode ClientCertificates, string? ClientCaFile, TimeSpan ReloadInterval)
{
    public static TlsTerminationOptions Default { get; } = new(ClientCertificateMode.None, null, TimeSpan.FromSeconds(10));
}
