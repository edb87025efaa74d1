namespace Outrigger.Proxy.Configuration;

/// <summary>One route: conditions on the request, the cluster it goes to and how it is transformed on the way.</summary>
internal sealed record RouteOptions(string Name, RouteMatchOptions Match, string Cluster, RouteTransformOptions Transforms, TimeSpan? Timeout)
{
    /// <summary>The route's own retry, rate limit, CORS and authentication settings; null for implicit routes (cluster defaults).</summary>
    public Policies.RoutePolicyOptions? Policy { get; init; }
}

/// <summary>Every condition set must hold. Unset conditions match anything.</summary>
internal sealed record RouteMatchOptions(
    IReadOnlyList<string> Hosts,
    string? Path,
    PathMatchKind PathKind,
    IReadOnlyList<string> Methods,
    IReadOnlyList<ValueMatchOptions> Headers,
    IReadOnlyList<ValueMatchOptions> Query);

internal enum PathMatchKind
{
    Prefix,
    Exact,
    Template,
}

internal enum ValueMatchMode
{
    Exact,
    Prefix,
    Contains,
    Present,
    Absent,
}

/// <summary>A condition on a header or query parameter; <see cref="Value"/> is compared ordinally, case-insensitively for headers.</summary>
internal sealed record ValueMatchOptions(string Name, string? Value, ValueMatchMode Mode);

/// <summary>How the path and headers change on the way to and from the upstream.</summary>
internal sealed record RouteTransformOptions(
    string? StripPrefix,
    string? AddPrefix,
    string? Rewrite,
    IReadOnlyDictionary<string, string> SetRequestHeaders,
    IReadOnlyList<string> RemoveRequestHeaders,
    IReadOnlyDictionary<string, string> SetResponseHeaders,
    IReadOnlyList<string> RemoveResponseHeaders)
{
    public static RouteTransformOptions None { get; } = new(null, null, null, new Dictionary<string, string>(), [], new Dictionary<string, string>(), []);

    public bool ChangesHeaders => SetRequestHeaders.Count > 0 || RemoveRequestHeaders.Count > 0;

    public bool ChangesResponseHeaders => SetResponseHeaders.Count > 0 || RemoveResponseHeaders.Count > 0;
}
