using System.Runtime.CompilerServices;

namespace Outrigger.Discovery.Static;

/// <summary>Endpoints written in configuration: yielded once, never changing.</summary>
public sealed class StaticDiscovery(IReadOnlyList<DiscoveredEndpoint> endpoints) : IServiceDiscovery
{
    public string Description => "static";

    public async IAsyncEnumerable<IReadOnlyList<DiscoveredEndpoint>> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return endpoints;
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
