using System.Net;
using Outrigger.Core.Configuration;

namespace Outrigger.Proxy.Authorization;

/// <summary>Reads <c>security.authorization</c>.</summary>
internal static class AuthorizationReader
{
    public static AuthorizationOptions Read(ConfigReader section)
    {
        var enabled = section.Bool("enabled", section.IsPresent, "Enforce the rules (a present section enables it).");
        var defaultAction = section.Choice("default_action", "deny", "What happens to a request no rule matches.", "deny", "allow");
        var index = 0;
        var rules = section.List("rules", "Rules tried in order; the first that matches allows or denies.", rule => ReadRule(rule, index++));
        return new AuthorizationOptions(enabled, defaultAction == "allow", rules);
    }

    private static AuthorizationRule ReadRule(ConfigReader rule, int index)
    {
        var name = rule.String("name", $"rule-{index}", "Name shown in 403 answers and metrics.");
        var action = rule.Choice("action", "allow", "What a match does.", "allow", "deny");
        var routes = rule.StringList("routes", "Route names.");
        var methods = rule.StringList("methods", "HTTP methods.").Select(m => m.ToUpperInvariant()).ToArray();
        var paths = rule.StringList("paths", "Exact paths, or prefixes ending in /** (/admin/** matches /admin and below).");
        foreach (var path in paths.Where(p => !p.StartsWith('/')))
        {
            rule.Error("paths", $"'{path}' must start with /");
        }

        var networks = new List<IPNetwork>();
        foreach (var cidr in rule.StringList("source_cidrs", "Client addresses, as CIDR (10.0.0.0/8) or single addresses."))
        {
            if (IPNetwork.TryParse(cidr, out var network) || (IPAddress.TryParse(cidr, out var address) && IPNetwork.TryParse($"{address}/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}", out network)))
            {
                networks.Add(network);
            }
            else
            {
                rule.Error("source_cidrs", $"'{cidr}' is not a CIDR block like 10.0.0.0/8");
            }
        }

        var authenticated = rule.Has("authenticated") ? rule.Bool("authenticated", false, "true: only authenticated requests match; false: only anonymous ones.") : (bool?)null;
        if (!rule.Has("authenticated"))
        {
            rule.Bool("authenticated", false, "true: only authenticated requests match; false: only anonymous ones. Unset: both.");
        }

        var claimsSection = rule.Section("claims", "Claim name → accepted values (a string or a list), e.g. role: [admin, ops].");
        var claims = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var claim in claimsSection.PresentKeys)
        {
            claims[claim] = claimsSection.StringList(claim, "");
        }

        var identities = rule.StringList("identities", "mTLS identities: URI SANs such as spiffe://cluster.local/ns/web/sa/frontend, DNS SANs or subjects.");
        return new AuthorizationRule(name, action == "allow", routes, methods, paths, networks, authenticated, claims, identities);
    }
}
