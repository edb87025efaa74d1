using Outrigger.Proxy.Configuration;

namespace Outrigger.Proxy.Direct;

/// <summary>The limits a request head must stay within to be served on the direct path (beyond them, Kestrel answers).</summary>
internal readonly record struct DirectLimits(int MaxRequestLineBytes, int MaxHeaderBytes, int MaxHeaders, long MaxBodyBytes, string RequestIdHeader)
{
    public int MaxHeadBytes => MaxRequestLineBytes + MaxHeaderBytes + 4;

    public static DirectLimits From(LimitsOptions limits, ForwardingOptions forwarding) =>
        new(limits.MaxRequestLineBytes, limits.MaxRequestHeaderBytes, limits.MaxRequestHeaders, limits.MaxRequestBodyBytes, forwarding.RequestIdHeader);
}
