namespace Outrigger.Coordination.Etcd;

/// <summary>Options of the etcd backend (a client of an etcd v3 cluster).</summary>
public sealed record EtcdStoreOptions
{
    /// <summary>
    /// The members' client URLs: <c>http://host:2379</c> (h2c) or <c>https://host:2379</c> (TLS). Calls go to one
    /// member and move to the next when it fails.
    /// </summary>
    public required IReadOnlyList<Uri> Endpoints { get; init; }

    /// <summary>PEM bundle of the CA(s) that signed the members' certificates; null trusts the system store.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM client certificate presented to the members (with <see cref="KeyFile"/>), for <c>--client-cert-auth</c>.</summary>
    public string? CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; init; }

    /// <summary>Time to open a connection to one member (default 5 s).</summary>
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Budget of one call, failovers included (default 10 s). Reads, read-only transactions, lease look-ups, status and
    /// keep-alives are retried on the next member within it; writes are not retried (their outcome is unknown).
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
