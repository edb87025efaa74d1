using System.Diagnostics.Metrics;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Listener;
using Outrigger.Proxy.Metrics;

namespace Outrigger.Proxy.Tls;

/// <summary>
/// The listener's TLS server options: the current certificate (see <see cref="CertificateReloader"/>) and, with mTLS, client
/// certificate verification against the configured CA. The options object is rebuilt when the certificate changes, and
/// handed out per handshake, so established connections keep theirs and new ones get the new certificate.
/// </summary>
internal sealed partial class TlsTermination : IDisposable
{
    private static readonly Counter<long> Rejected = ProxyMetrics.Meter.CreateCounter<long>("proxy_tls_client_certificate_rejected_total", description: "TLS handshakes refused because the client certificate was missing or did not verify, by reason.");

    private readonly TlsTerminationOptions _options;
    private readonly List<SslApplicationProtocol> _alpn;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly X509Certificate2Collection _trusted = [];
    private readonly CertificateReloader _certificates;
    private SslServerAuthenticationOptions _current;

    public TlsTermination(TlsListenerOptions tls, HttpProtocols protocols, TimeProvider time, ILogger logger)
    {
        _options = tls.Termination;
        _alpn = TlsListener.Alpn(protocols);
        _time = time;
        _logger = logger;
        if (_options.ClientCaFile is { } ca)
        {
            _trusted.ImportFromPemFile(ca);
        }

        _certificates = new CertificateReloader(tls.CertificateFile, tls.KeyFile, _options.ReloadInterval, time, logger);
        _current = Build();
        _certificates.Reloaded += () => _current = Build();
    }

    public CertificateReloader Certificates => _certificates;

    /// <summary>The options for the next handshake.</summary>
    public SslServerAuthenticationOptions Options() => _current;

    public void Dispose() => _certificates.Dispose();

    private SslServerAuthenticationOptions Build()
    {
        var (leaf, chain) = _certificates.Current;
        var mtls = _options.ClientCertificates != ClientCertificateMode.None;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(leaf, chain, offline: true),
            ApplicationProtocols = _alpn,
            ClientCertificateRequired = mtls,
            RemoteCertificateValidationCallback = mtls ? ValidateClientCertificate : null,
        };
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return _options.ClientCertificates == ClientCertificateMode.Optional || Reject("missing", "no client certificate");
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var client = new X509Certificate2(certificate);
        if (chain.Build(client))
        {
            return true;
        }

        var status = chain.ChainStatus.Length > 0 ? chain.ChainStatus[0].Status : X509ChainStatusFlags.NoError;
        var reason = (status & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0 ? "expired"
            : (status & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0 ? "untrusted"
            : "invalid";
        return Reject(reason, $"{client.Subject}: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}");
    }

    private bool Reject(string reason, string detail)
    {
        Rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Log.ClientCertificateRejected(_logger, reason, detail);
        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "TLS client certificate rejected ({Reason}): {Detail}")]
        public static partial void ClientCertificateRejected(ILogger logger, string reason, string detail);
    }
}
