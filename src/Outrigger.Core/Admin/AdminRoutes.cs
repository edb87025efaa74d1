using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Outrigger.Core.Admin;

/// <summary>
/// The admin server's route table: exact paths to handlers. The host registers <c>/health</c>, <c>/ready</c>,
/// <c>/metrics</c>, <c>/config</c> and <c>/modules</c>; modules add their own (e.g. the proxy's <c>/clusters</c>).
/// </summary>
public sealed class AdminRoutes
{
    private readonly ConcurrentDictionary<string, AdminRoute> _routes = new(StringComparer.Ordinal);

    public IEnumerable<AdminRoute> All => _routes.Values.OrderBy(r => r.Path, StringComparer.Ordinal);

    /// <summary>Adds a route; <paramref name="methods"/> defaults to GET (HEAD is accepted wherever GET is).</summary>
    public void Map(string path, string description, RequestDelegate handler, params string[] methods)
    {
        var route = new AdminRoute(path, description, methods.Length == 0 ? ["GET"] : methods, handler);
        if (!_routes.TryAdd(path, route))
        {
            throw new InvalidOperationException($"admin route {path} is already registered");
        }
    }

    public AdminRoute? Find(string path) => _routes.GetValueOrDefault(path);
}

/// <summary>An admin endpoint: its path, what it shows, the methods it accepts and its handler.</summary>
public sealed record AdminRoute(string Path, string Description, IReadOnlyList<string> Methods, RequestDelegate Handler);
