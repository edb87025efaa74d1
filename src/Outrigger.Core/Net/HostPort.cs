using System.Globalization;
using System.Net;

namespace Outrigger.Core;

/// <summary>Parses <c>host:port</c> addresses as written in configuration (<c>0.0.0.0:50051</c>, <c>[::1]:80</c>, <c>localhost:9001</c>).</summary>
public static class HostPort
{
    public static bool TryParse(string text, out string host, out int port, out string problem)
    {
        host = "";
        port = 0;
        problem = "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "grpc" && uri.Host.Length > 0)
        {
            host = uri.Host.Trim('[', ']');
            port = uri.Port;
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            problem = "expected host:port";
            return false;
        }

        host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = "IPv6 addresses must be written in brackets, e.g. [::1]:80";
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            problem = $"'{text[(colon + 1)..]}' is not a valid port (0-65535)";
            return false;
        }

        if (Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            problem = $"'{host}' is not a valid host name or IP address";
            return false;
        }

        return true;
    }

    /// <summary>Resolves a listen address to an endpoint: IP literals as they are, <c>localhost</c> to loopback, <c>*</c> and <c>+</c> to any.</summary>
    public static IPEndPoint ToListenEndPoint(string text)
    {
        if (!TryParse(text, out var host, out var port, out var problem))
        {
            throw new FormatException($"'{text}': {problem}");
        }

        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" => IPAddress.IPv6Any,
            _ when IPAddress.TryParse(host, out var ip) => ip,
            _ => throw new FormatException($"'{text}': listen addresses must be IP literals or localhost"),
        };
        return new IPEndPoint(address, port);
    }
}
