using Microsoft.AspNetCore.Http;
using Outrigger.Proxy.Forwarding;

namespace Outrigger.Proxy.Policies;

/// <summary>Answers a request the proxy itself refuses (breaker, rate limit, authentication, authorization, CORS).</summary>
internal static class PolicyResponse
{
    /// <summary>A one-line text error like <see cref="HttpForwarder.WriteErrorAsync"/>, with extra response headers.</summary>
    public static async Task<int> WriteAsync(HttpContext context, int status, string message, params (string Name, string Value)[] headers)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return status;
        }

        context.Response.Clear();
        foreach (var (name, value) in headers)
        {
            context.Response.Headers.Append(name, value);
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        try
        {
            await context.Response.WriteAsync($"{status} {message}\n", context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The client is gone.
        }

        return status;
    }
}
