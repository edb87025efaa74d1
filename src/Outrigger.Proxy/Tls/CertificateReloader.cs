using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Outrigger.Proxy.Tls;

/// <summary>
/// The listener's certificate (with its chain) from PEM files, checked for changes on a timer of the injected clock. A
/// changed pair that loads replaces the certificate for new handshakes; one that does not load (half-written, key not
/// matching) is logged and the previous certificate stays.
/// </summary>
internal sealed partial class CertificateReloader : IDisposable
{
    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly ILogger _logger;
    private readonly ITimer? _timer;
    private byte[] _certBytes;
    private byte[] _keyBytes;

    public CertificateReloader(string certFile, string keyFile, TimeSpan interval, TimeProvider time, ILogger logger)
    {
        _certFile = certFile;
        _keyFile = keyFile;
        _logger = logger;
        _certBytes = File.ReadAllBytes(certFile);
        _keyBytes = File.ReadAllBytes(keyFile);
        Current = Load(_certBytes, _keyBytes);
        _timer = interval > TimeSpan.Zero ? time.CreateTimer(static s => ((CertificateReloader)s!).Check(), this, interval, interval) : null;
    }

    /// <summary>The certificate and the rest of its chain.</summary>
    public (X509Certificate2 Leaf, X509Certificate2Collection Chain) Current { get; private set; }

    /// <summary>Raised after a new certificate was loaded.</summary>
    public event Action? Reloaded;

    /// <summary>Compares the files with what was loaded and reloads when they differ.</summary>
    public void Check()
    {
        byte[] cert, key;
        try
        {
            cert = File.ReadAllBytes(_certFile);
            key = File.ReadAllBytes(_keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ReloadFailed(_logger, _certFile, e.Message);
            return;
        }

        if (cert.AsSpan().SequenceEqual(_certBytes) && key.AsSpan().SequenceEqual(_keyBytes))
        {
            return;
        }

        try
        {
            Current = Load(cert, key);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            Log.ReloadFailed(_logger, _certFile, e.Message);
            return;
        }

        (_certBytes, _keyBytes) = (cert, key);
        Log.Reloaded(_logger, _certFile, Current.Leaf.Subject, Current.Leaf.NotAfter);
        Reloaded?.Invoke();
    }

    public void Dispose() => _timer?.Dispose();

    private static (X509Certificate2, X509Certificate2Collection) Load(byte[] cert, byte[] key)
    {
        var certPem = System.Text.Encoding.ASCII.GetString(cert);
        var leaf = X509Certificate2.CreateFromPem(certPem, System.Text.Encoding.ASCII.GetString(key));
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certPem);
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }

        return (leaf, chain);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "TLS certificate {File} reloaded: {Subject}, valid until {NotAfter:u}")]
        public static partial void Reloaded(ILogger logger, string file, string subject, DateTime notAfter);

        [LoggerMessage(2, LogLevel.Error, "TLS certificate {File} changed but could not be loaded ({Reason}); keeping the previous certificate")]
        public static partial void ReloadFailed(ILogger logger, string file, string reason);
    }
}
