using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Configuration;

/// <summary>Reads <c>proxy.routes</c> and checks that every route names a known cluster.</summary>
internal static class RouteReader
{
    private static readonly string[] Modes = ["exact", "prefix", "contains", "present", "absent"];

    public static IReadOnlyList<RouteOptions> ReadAll(ConfigReader proxy, IReadOnlyList<ClusterOptions> clusters)
    {
        var index = 0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        return proxy.List("routes", "Routes, tried in order; the first whose every condition holds wins.", route =>
        {
            var result = Read(route, index++);
            result = result with { Policy = Policies.RoutePolicyReader.Read(route, clusters.FirstOrDefault(c => c.Name == result.Cluster)) };
            if (route.IsPresent && !names.Add(result.Name))
            {
                route.Error("name", $"route name '{result.Name}' is used twice");
            }

            if (route.IsPresent && !clusters.Any(c => c.Name == result.Cluster))
            {
                route.Error("cluster", $"cluster '{result.Cluster}' is not defined (defined: {(clusters.Count == 0 ? "none" : string.Join(", ", clusters.Select(c => c.Name)))})");
            }

            return result;
        });
    }

    private static RouteOptions Read(ConfigReader route, int index)
    {
        var name = route.String("name", $"route-{index}", "Name shown by /routes and in metrics.");
        var cluster = route.String("cluster", "", "Cluster the route forwards to (from proxy.clusters or upstream.services).");
        if (route.IsPresent && cluster.Length == 0)
        {
            route.Error("cluster", "every route needs a cluster");
        }

        var match = ReadMatch(route.Section("match", "Conditions; all must hold. An empty match matches every request."));
        var transforms = ReadTransforms(route.Section("transforms", "Changes to the path and headers."), match);
        var timeoutMs = route.Long("timeout_ms", -1, "Overrides the cluster's request_timeout_ms for this route; -1 keeps it.", -1);
        return new RouteOptions(name, match, cluster, transforms, timeoutMs < 0 ? null : TimeSpan.FromMilliseconds(timeoutMs));
    }

    private static RouteMatchOptions ReadMatch(ConfigReader match)
    {
        var hosts = match.StringList("hosts", "Host names (port ignored, case-insensitive); *.example.com matches any subdomain.");
        var exact = match.OptionalString("path", "Exact path.");
        var prefix = match.OptionalString("path_prefix", "Path prefix on segment boundaries: /api matches /api and /api/x, not /apix.");
        var template = match.OptionalString("path_template", "Path template: /users/{id}/orders/{**rest}; {name} is one segment, {**name} the rest.");
        var set = (exact is null ? 0 : 1) + (prefix is null ? 0 : 1) + (template is null ? 0 : 1);
        if (set > 1)
        {
            match.Error("", "use one of path, path_prefix and path_template");
        }

        var (path, kind) = template is not null ? (template, PathMatchKind.Template) : exact is not null ? (exact, PathMatchKind.Exact) : (prefix, PathMatchKind.Prefix);
        if (path is not null && !path.StartsWith('/'))
        {
            match.Error(kind switch { PathMatchKind.Exact => "path", PathMatchKind.Template => "path_template", _ => "path_prefix" }, $"'{path}' must start with /");
        }
        else if (kind == PathMatchKind.Template && path is not null && Routing.PathTemplate.TryParse(path, out _, out var problem) == false)
        {
            match.Error("path_template", problem);
        }

        var methods = match.StringList("methods", "HTTP methods (upper case); empty matches any.").Select(m => m.ToUpperInvariant()).ToArray();
        var headers = match.List("headers", "Header conditions.", ReadValueMatch);
        var query = match.List("query", "Query parameter conditions.", ReadValueMatch);
        return new RouteMatchOptions(hosts, path, kind, methods, headers, query);
    }

    private static ValueMatchOptions ReadValueMatch(ConfigReader condition)
    {
        var name = condition.String("name", "", "Header or query parameter name.");
        var value = condition.OptionalString("value", "Value to compare with.");
        var mode = condition.Choice("mode", value is null ? "present" : "exact", "How value is compared.", Modes) switch
        {
            "prefix" => ValueMatchMode.Prefix,
            "contains" => ValueMatchMode.Contains,
            "present" => ValueMatchMode.Present,
            "absent" => ValueMatchMode.Absent,
            _ => ValueMatchMode.Exact,
        };
        if (condition.IsPresent && name.Length == 0)
        {
            condition.Error("name", "a condition needs a name");
        }

        if (mode is ValueMatchMode.Exact or ValueMatchMode.Prefix or ValueMatchMode.Contains && value is null && condition.IsPresent)
        {
            condition.Error("value", "this mode needs a value");
        }

        return new ValueMatchOptions(name, value, mode);
    }

    private static RouteTransformOptions ReadTransforms(ConfigReader transforms, RouteMatchOptions match)
    {
        var strip = transforms.OptionalString("strip_prefix", "Removed from the start of the path (e.g. /api: /api/users → /users).");
        var add = transforms.OptionalString("add_prefix", "Added to the start of the path.");
        var rewrite = transforms.OptionalString("rewrite", "New path built from the template's values: /v2/{id}/{**rest}. Needs path_template.");
        if (rewrite is not null && match.PathKind != PathMatchKind.Template)
        {
            transforms.Error("rewrite", "rewrite needs match.path_template (its {names} fill the new path)");
        }

        if (add is not null && !add.StartsWith('/'))
        {
            transforms.Error("add_prefix", $"'{add}' must start with /");
        }

        var request = transforms.Section("request_headers", "Request header changes.");
        var response = transforms.Section("response_headers", "Response header changes.");
        return new RouteTransformOptions(
            strip,
            add,
            rewrite,
            ReadHeaderMap(request.Section("set", "Headers to set (replacing any the client sent).")),
            request.StringList("remove", "Headers to remove."),
            ReadHeaderMap(response.Section("set", "Headers to set on the response.")),
            response.StringList("remove", "Headers to remove from the response."));
    }

    private static Dictionary<string, string> ReadHeaderMap(ConfigReader section)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in section.PresentKeys)
        {
            result[key] = section.OptionalString(key, "") ?? "";
        }

        return result;
    }
}
