using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Clusters;
using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Routing;

/// <summary>A route ready for matching: host matcher, parsed template, its cluster and its transforms.</summary>
internal sealed class CompiledRoute
{
    private readonly HostMatcher _hosts;
    private readonly PathTemplate? _template;
    private readonly string? _path;
    private readonly PathMatchKind _pathKind;
    private readonly string[] _methods;
    private readonly ValueMatchOptions[] _headers;
    private readonly ValueMatchOptions[] _query;

    public CompiledRoute(RouteOptions options, ClusterState cluster)
    {
        Options = options;
        Cluster = cluster;
        _hosts = new HostMatcher(options.Match.Hosts);
        _path = options.Match.Path is { } p && options.Match.PathKind == PathMatchKind.Prefix ? p.TrimEnd('/') : options.Match.Path;
        _pathKind = options.Match.PathKind;
        if (_pathKind == PathMatchKind.Template && _path is not null)
        {
            PathTemplate.TryParse(_path, out _template, out _);
        }

        _methods = [.. options.Match.Methods];
        _headers = [.. options.Match.Headers];
        _query = [.. options.Match.Query];
        Timeout = options.Timeout ?? cluster.Options.RequestTimeout;
        RewritesPath = options.Transforms.StripPrefix is not null || options.Transforms.AddPrefix is not null || options.Transforms.Rewrite is not null;
        ServedDirectly = Direct.DirectPath.Serves(this);
    }

    public RouteOptions Options { get; }

    public string Name => Options.Name;

    public ClusterState Cluster { get; }

    /// <summary>How long to wait for response headers; zero means no limit.</summary>
    public TimeSpan Timeout { get; }

    public bool RewritesPath { get; }

    /// <summary>Retries, breaker and the stages before forwarding (set when the route table is built); null forwards once.</summary>
    public Policies.RoutePolicy? Policy
    {
        get;
        set
        {
            field = value;
            ServedDirectly = Direct.DirectPath.Serves(this);
        }
    }

    /// <summary>Whether the direct path serves this route (<see cref="Direct.DirectPath.Serves(CompiledRoute)"/>), decided as it is built.</summary>
    public bool ServedDirectly { get; private set; }

    public bool Matches(HttpRequest request, out string[] values) => Matches(new AspNetRouteRequest(request), out values);

    public bool Matches<T>(T request, out string[] values)
        where T : IRouteRequest
    {
        values = [];
        if (_methods.Length > 0 && Array.IndexOf(_methods, request.Method) < 0
            && !(RouteRequests.IsPreflight(request) && Array.IndexOf(_methods, request.Header(Microsoft.Net.Http.Headers.HeaderNames.AccessControlRequestMethod)) >= 0))
        {
            return false;
        }

        if (!_hosts.IsEmpty && !_hosts.Matches(request.Host))
        {
            return false;
        }

        // Headers and query are read only when a condition needs them.
        return MatchesPath(request.Path, out values)
            && (_headers.Length == 0 || MatchesHeaders(request))
            && (_query.Length == 0 || MatchesQuery(request));
    }

    /// <summary>The upstream path for a request this route matched (query not included).</summary>
    public string TransformPath(string path, string[] values)
    {
        var transforms = Options.Transforms;
        if (transforms.Rewrite is not null && _template is not null)
        {
            path = _template.Expand(transforms.Rewrite, values);
        }

        if (transforms.StripPrefix is { } strip && PrefixMatches(path, strip.TrimEnd('/')))
        {
            path = path[strip.TrimEnd('/').Length..];
        }

        if (transforms.AddPrefix is { } add)
        {
            path = add.TrimEnd('/') + (path.StartsWith('/') ? path : "/" + path);
        }

        return path.Length == 0 ? "/" : path[0] == '/' ? path : "/" + path;
    }

    private bool MatchesPath(string path, out string[] values)
    {
        values = [];
        return _path is null || _pathKind switch
        {
            PathMatchKind.Exact => string.Equals(path, _path, StringComparison.Ordinal),
            PathMatchKind.Template => _template!.TryMatch(path, out values),
            _ => PrefixMatches(path, _path),
        };
    }

    private static bool PrefixMatches(string path, string prefix) =>
        prefix.Length == 0 || (path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    private bool MatchesHeaders<T>(T request)
        where T : IRouteRequest
    {
        foreach (var condition in _headers)
        {
            if (!ValueMatches(condition, request.Header(condition.Name), StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchesQuery<T>(T request)
        where T : IRouteRequest
    {
        foreach (var condition in _query)
        {
            if (!ValueMatches(condition, request.Query(condition.Name), StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ValueMatches(ValueMatchOptions condition, string? actual, StringComparison comparison) => condition.Mode switch
    {
        ValueMatchMode.Absent => actual is null,
        ValueMatchMode.Present => actual is not null,
        ValueMatchMode.Prefix => actual is not null && actual.StartsWith(condition.Value!, comparison),
        ValueMatchMode.Contains => actual is not null && actual.Contains(condition.Value!, comparison),
        _ => actual is not null && string.Equals(actual, condition.Value, comparison),
    };
}
