namespace Outrigger.Grpc.Protocol;

/// <summary>Header names and constants of the gRPC-over-HTTP/2 wire protocol.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string TeHeader = "te";
    public const string UserAgentHeader = "user-agent";
    public const string Identity = "identity";
    public const string Gzip = "gzip";

    /// <summary>What this implementation can decode, sent as <c>grpc-accept-encoding</c>.</summary>
    public const string SupportedEncodings = "identity,gzip";

    public const int MessageHeaderSize = 5;

    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    public static string UserAgent { get; } = "grpc-dotnet-outrigger/" + (typeof(GrpcProtocol).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary><c>application/grpc</c>, optionally followed by <c>+proto</c>, <c>+json</c>, <c>;params</c>.</summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return contentType.Length == ContentType.Length || contentType[ContentType.Length] is '+' or ';';
    }

    /// <summary>True for headers that carry protocol data rather than user metadata.</summary>
    public static bool IsReservedHeader(string name) =>
        name.Length == 0
        || name[0] == ':'
        || name.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "content-type", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, TeHeader, StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "host", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "connection", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "trailer", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a comma-separated encoding list (e.g. <c>grpc-accept-encoding</c>) contains <paramref name="encoding"/>.</summary>
    public static bool ListContains(string? list, string encoding)
    {
        if (string.IsNullOrEmpty(list))
        {
            return false;
        }

        foreach (var range in list.AsSpan().Split(','))
        {
            if (list.AsSpan()[range].Trim().Equals(encoding, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
