using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Etcd;
using Outrigger.Core.Configuration;

namespace Outrigger.Coordination;

/// <summary>Which coordination backend a module uses and its settings (a <c>coordination:</c> section).</summary>
public sealed record CoordinationOptions
{
    public const string EmbeddedBackend = "embedded";
    public const string EtcdBackend = "etcd";

    /// <summary><c>embedded</c> (default) or <c>etcd</c>.</summary>
    public string Backend { get; init; } = EmbeddedBackend;

    public required EmbeddedStoreOptions Embedded { get; init; }

    public required EtcdStoreOptions Etcd { get; init; }

    /// <summary>Reads a <c>coordination:</c> section; the embedded store defaults to <c>{dataDirectory}/coordination</c>.</summary>
    public static CoordinationOptions Read(ConfigReader section, string dataDirectory)
    {
        var backend = section.Choice("backend", EmbeddedBackend, "Where coordination state lives: an embedded on-disk store (one node) or an etcd v3 cluster.", EmbeddedBackend, EtcdBackend);
        return new CoordinationOptions
        {
            Backend = backend,
            Embedded = ReadEmbedded(section.Section("embedded", "The embedded store (single node, write-ahead log + snapshots)."), dataDirectory),
            Etcd = ReadEtcd(section.Section("etcd", "The etcd backend (used when backend is etcd).")),
        };
    }

    private static EmbeddedStoreOptions ReadEmbedded(ConfigReader embedded, string dataDirectory)
    {
        var defaults = new EmbeddedStoreOptions { Directory = Path.Combine(dataDirectory, "coordination") };
        return defaults with
        {
            Directory = embedded.String("dir", defaults.Directory, "Store directory; one process at a time."),
            SnapshotEvery = embedded.Int("snapshot_every", defaults.SnapshotEvery, "Log records between snapshots.", min: 1),
            HistoryRetention = embedded.Long("history_retention", defaults.HistoryRetention, "Revisions of history kept for watches and old reads (0 = keep all).", min: 0),
        };
    }

    private static EtcdStoreOptions ReadEtcd(ConfigReader etcd)
    {
        var endpoints = new List<Uri>();
        foreach (var text in etcd.StringList("endpoints", "Client URLs of the members (http:// for h2c, https:// for TLS).", ["http://127.0.0.1:2379"]))
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0)
            {
                endpoints.Add(uri);
            }
            else
            {
                etcd.Error("endpoints", $"'{text}' is not an http:// or https:// URL (e.g. http://10.0.0.5:2379)");
            }
        }

        var tls = etcd.Section("tls", "TLS for https endpoints: CA to trust and client certificate (PEM files).");
        var options = new EtcdStoreOptions
        {
            Endpoints = endpoints,
            CaFile = tls.OptionalString("ca_file", "PEM bundle of the CA that signed the members' certificates (default: system trust)."),
            CertFile = tls.OptionalString("cert_file", "PEM client certificate, for members started with --client-cert-auth."),
            KeyFile = tls.OptionalString("key_file", "PEM private key of cert_file."),
            DialTimeout = TimeSpan.FromMilliseconds(etcd.Int("dial_timeout_ms", 5000, "Time to connect to one member.", min: 1)),
            RequestTimeout = TimeSpan.FromMilliseconds(etcd.Int("request_timeout_ms", 10_000, "Budget of one call, failovers included.", min: 1)),
        };
        if ((options.CertFile is null) != (options.KeyFile is null))
        {
            tls.Error(options.CertFile is null ? "key_file" : "cert_file", "cert_file and key_file must be given together");
        }

        return options;
    }
}
