namespace Outrigger.Proxy.Reload;

/// <summary>
/// Hot reload (<c>proxy.hot_reload</c>): the file the sidecar was started with is checked every <see cref="Interval"/>; a
/// valid change replaces routes, clusters, endpoints, policies and the listener's certificate for new requests, while
/// in-flight requests finish on what they started with. What the old configuration held alone (clusters that changed or
/// went away, rate limiters, key caches) is released <see cref="DrainDelay"/> later; a removed endpoint's connections are
/// closed when its last request ends.
/// </summary>
internal sealed record ReloadOptions(bool Enabled, TimeSpan Interval, TimeSpan DrainDelay)
{
    public static ReloadOptions Default { get; } = new(true, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
}
