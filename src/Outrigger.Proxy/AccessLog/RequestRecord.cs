using Microsoft.AspNetCore.Http;

namespace Outrigger.Proxy.AccessLog;

/// <summary>
/// What the access log learns about a request while it is handled: attached to the request (as a feature) when access
/// logging is on; each upstream attempt and the body copies add to it.
/// </summary>
internal sealed class RequestRecord
{
    public string? Endpoint { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>The last attempt's upstream status (0 when the upstream never answered).</summary>
    public int UpstreamStatus { get; private set; }

    /// <summary>Time spent in upstream attempts, in seconds.</summary>
    public double UpstreamSeconds { get; private set; }

    public long BytesReceived { get; private set; }

    public long BytesSent { get; private set; }

    public static RequestRecord Attach(HttpContext context)
    {
        var record = new RequestRecord();
        context.Features.Set(record);
        return record;
    }

    /// <summary>The request's record; null when access logging is off.</summary>
    public static RequestRecord? Of(HttpContext context) => context.Features.Get<RequestRecord>();

    public void Attempt(string endpoint, int upstreamStatus, double seconds)
    {
        Endpoint = endpoint;
        Attempts++;
        UpstreamStatus = upstreamStatus;
        UpstreamSeconds += seconds;
    }

    public void Received(long bytes) => BytesReceived += bytes;

    public void Sent(long bytes) => BytesSent += bytes;
}
