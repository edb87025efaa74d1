using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Outrigger.Core.Configuration;

namespace Outrigger.Gateway.Tls;

/// <summary>TLS for a listener: a PEM certificate and key; with <see cref="ClientCaFile"/>, clients must present a certificate it issued (mTLS).</summary>
internal sealed record ServerTlsOptions(string CertFile, string KeyFile, string? ClientCaFile);

/// <summary>TLS towards an upstream: extra trust roots, a client certificate (mTLS) and the name to check.</summary>
internal sealed record ClientTlsOptions(string? CaFile, string? CertFile, string? KeyFile, string? ServerName);

/// <summary>Reads TLS file options and turns them into listener and client settings.</summary>
internal static class TlsFiles
{
    /// <summary>Reads <c>cert_file</c>, <c>key_file</c> and <c>client_ca_file</c>; null when the section sets none.</summary>
    public static ServerTlsOptions? ReadServer(ConfigReader tls)
    {
        var cert = ExistingFile(tls, "cert_file", "PEM certificate (chain) the listener presents. Absent: cleartext h2c.");
        var key = ExistingFile(tls, "key_file", "PEM private key of cert_file.");
        var clientCa = ExistingFile(tls, "client_ca_file", "PEM CA certificate(s); when set, clients must present a certificate issued by one (mTLS).");
        if (cert is null && key is null)
        {
            if (clientCa is not null)
            {
                tls.Error("client_ca_file", "client_ca_file needs cert_file and key_file (mTLS is on top of TLS)");
            }

            return null;
        }

        if (cert is null || key is null)
        {
            tls.Error(cert is null ? "cert_file" : "key_file", "both cert_file and key_file are required for TLS");
            return null;
        }

        return new ServerTlsOptions(cert, key, clientCa);
    }

    /// <summary>Reads <c>ca_file</c>, <c>cert_file</c>, <c>key_file</c> and <c>server_name</c>.</summary>
    public static ClientTlsOptions ReadClient(ConfigReader tls)
    {
        var ca = ExistingFile(tls, "ca_file", "PEM CA certificate(s) trusted for the upstream's certificate, besides the system's.");
        var cert = ExistingFile(tls, "cert_file", "PEM client certificate presented to the upstream (mTLS).");
        var key = ExistingFile(tls, "key_file", "PEM private key of cert_file.");
        var serverName = tls.OptionalString("server_name", "Name expected in the upstream's certificate (and sent as SNI). Default: the endpoint's host.");
        if ((cert is null) != (key is null))
        {
            tls.Error(cert is null ? "cert_file" : "key_file", "a client certificate needs both cert_file and key_file");
        }

        return new ClientTlsOptions(ca, cert, key, serverName);
    }

    /// <summary>Listener setup for <paramref name="options"/>; loads the files now, so a bad file fails the start.</summary>
    public static Action<ListenOptions> Listener(ServerTlsOptions options)
    {
        var certificate = X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);
        var https = new HttpsConnectionAdapterOptions { ServerCertificate = certificate };
        if (options.ClientCaFile is { } caFile)
        {
            var roots = LoadRoots(caFile);
            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            https.ClientCertificateValidation = (cert, _, _) => ChainsTo(cert, roots);
        }

        return l => l.UseHttps(https);
    }

    /// <summary>Client settings for <paramref name="options"/>; null when it changes nothing (system trust, no client certificate).</summary>
    public static SslClientAuthenticationOptions? Client(ClientTlsOptions options)
    {
        if (options is { CaFile: null, CertFile: null, ServerName: null })
        {
            return null;
        }

        var ssl = new SslClientAuthenticationOptions { TargetHost = options.ServerName };
        if (options.CertFile is { } certFile && options.KeyFile is { } keyFile)
        {
            ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(certFile, keyFile)];
        }

        if (options.CaFile is { } caFile)
        {
            var roots = LoadRoots(caFile);
            ssl.RemoteCertificateValidationCallback = (_, cert, _, errors) =>
                cert is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                && (errors == SslPolicyErrors.None || ChainsTo(new X509Certificate2(cert), roots));
        }

        return ssl;
    }

    private static X509Certificate2Collection LoadRoots(string file)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(file);
        return roots;
    }

    private static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static string? ExistingFile(ConfigReader tls, string key, string doc)
    {
        var file = tls.OptionalString(key, doc);
        if (file is not null && !File.Exists(file))
        {
            tls.Error(key, $"file '{file}' does not exist");
        }

        return file;
    }
}
