using Microsoft.Extensions.Logging;
using Outrigger.Coordination.Embedded;
using Outrigger.Coordination.Etcd;

namespace Outrigger.Coordination;

/// <summary>Opens the configured coordination backend.</summary>
public static class CoordinationStore
{
    /// <summary>
    /// Opens the store named by <paramref name="options"/>: the embedded store recovers from disk before this returns;
    /// the etcd client connects lazily (its first call finds a member).
    /// </summary>
    public static ICoordinationStore Open(CoordinationOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory) =>
        options.Backend == CoordinationOptions.EtcdBackend
            ? OpenEtcd(options.Etcd, timeProvider, loggerFactory)
            : OpenEmbedded(options.Embedded, timeProvider, loggerFactory);

    /// <summary>Opens (or creates) an embedded store.</summary>
    public static ICoordinationStore OpenEmbedded(EmbeddedStoreOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory) =>
        EmbeddedStore.Open(options, timeProvider, loggerFactory);

    /// <summary>Creates a client of an etcd v3 cluster.</summary>
    public static ICoordinationStore OpenEtcd(EtcdStoreOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory) =>
        new EtcdStore(options, timeProvider, loggerFactory);
}
