using Microsoft.Extensions.Logging;
using Outrigger.Coordination.Embedded;

namespace Outrigger.Coordination;

/// <summary>Opens the configured coordination backend.</summary>
public static class CoordinationStore
{
    /// <summary>Opens the store named by <paramref name="options"/>; the embedded store recovers from disk before this returns.</summary>
    public static Task<ICoordinationStore> OpenAsync(CoordinationOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default) =>
        Task.FromResult<ICoordinationStore>(OpenEmbedded(options.Embedded, timeProvider, loggerFactory));

    /// <summary>Opens (or creates) an embedded store.</summary>
    public static ICoordinationStore OpenEmbedded(EmbeddedStoreOptions options, TimeProvider timeProvider, ILoggerFactory loggerFactory) =>
        EmbeddedStore.Open(options, timeProvider, loggerFactory);
}
