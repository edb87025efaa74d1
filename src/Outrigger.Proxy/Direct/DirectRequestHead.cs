using System.Text;
using Microsoft.AspNetCore.Http;
using Outrigger.Core.Telemetry;
using Outrigger.Proxy.Configuration;
using Outrigger.Proxy.Forwarding;
using Outrigger.Proxy.Routing;
using Outrigger.Proxy.Tracing;

namespace Outrigger.Proxy.Direct;

/// <summary>
/// Writes the upstream request head for a request on the direct path, with the same result as the Kestrel path's
/// <see cref="RequestHeaders"/>: hop-by-hop fields dropped, Host set to the endpoint (or kept), X-Forwarded-*, Via, a
/// request id and a traceparent added, the route's path and header transforms applied. The framing fields stay: the
/// body is passed on as the client framed it.
/// </summary>
internal static class DirectRequestHead
{
    private static readonly byte[] ViaEntry = Encoding.ASCII.GetBytes("1.1 " + RequestHeaders.ViaValue);
    private static readonly byte[] Http2ViaEntry = Encoding.ASCII.GetBytes("2 " + RequestHeaders.ViaValue);

    public static void Write(DirectRequest request, HeadBuilder head, ForwardingOptions options, TracingOptions tracing, CompiledRoute route, string[] values, ReadOnlySpan<byte> authority, ReadOnlySpan<byte> clientIp)
    {
        var transforms = route.Options.Transforms;
        head.Clear();
        head.Append(request.Method);
        head.Append(" "u8);
        if (route.RewritesPath)
        {
            var target = request.Target;
            head.Append(new PathString(route.TransformPath(request.Path, values)).ToUriComponent());
            head.Append(target[request.PathLength..]);
        }
        else
        {
            head.Append(request.Target);
        }

        head.Append(" HTTP/1.1\r\nHost: "u8);
        if (transforms.ChangesHeaders && SetValue(transforms, "Host") is { } host)
        {
            head.Append(host);
        }
        else if (options.PreserveHost)
        {
            head.Append(request.Value(request.HostField));
        }
        else
        {
            head.Append(authority);
        }

        head.Append("\r\n"u8);
        var newTrace = tracing.StartTraces && !HasValidTrace(request);
        for (var i = 0; i < request.FieldCount; i++)
        {
            if (!Skip(request, i, options, newTrace, transforms))
            {
                head.Field(request.Name(i), request.Value(i));
            }
        }

        if (options.XForwarded)
        {
            AppendList(head, request, FieldKind.ForwardedFor, "X-Forwarded-For: "u8, clientIp);
            head.Append("X-Forwarded-Proto: http\r\nX-Forwarded-Host: "u8);
            head.Append(request.Value(request.HostField));
            head.Append("\r\n"u8);
        }

        if (options.Via)
        {
            AppendList(head, request, FieldKind.Via, "Via: "u8, request.Http2 ? Http2ViaEntry : ViaEntry);
        }

        if (options.RequestIdHeader.Length > 0 && request.RequestIdField < 0)
        {
            head.Append(options.RequestIdHeader);
            head.Append(": "u8);
            RequestIds.Next(head.Reserve(RequestIds.Length));
            head.Length += RequestIds.Length;
            head.Append("\r\n"u8);
        }

        if (newTrace)
        {
            AppendTraceParent(head);
        }

        if (transforms.ChangesHeaders)
        {
            foreach (var (name, value) in transforms.SetRequestHeaders)
            {
                if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase))
                {
                    head.Field(Encoding.ASCII.GetBytes(name), value);
                }
            }
        }

        head.Append("\r\n"u8);
    }

    private static bool Skip(DirectRequest request, int index, ForwardingOptions options, bool newTrace, RouteTransformOptions transforms)
    {
        ref readonly var field = ref request[index];
        var skip = field.Kind switch
        {
            FieldKind.Host or FieldKind.Connection => true,

            // gRPC needs "te: trailers".
            FieldKind.HopByHop => !(request.Name(index).Length == 2 && Ascii.EqualsIgnoreCase(request.Value(index), "trailers"u8)),
            FieldKind.ForwardedFor or FieldKind.ForwardedProto or FieldKind.ForwardedHost => options.XForwarded,
            FieldKind.Via => options.Via,
            FieldKind.TraceParent or FieldKind.TraceState => newTrace,
            _ => false,
        };
        return skip || request.NamedInConnection(index) || (transforms.ChangesHeaders && DirectFields.IsTransformed(request.Name(index), transforms.RemoveRequestHeaders, transforms.SetRequestHeaders));
    }

    /// <summary>A list field: the client's values, then ours, in one line.</summary>
    private static void AppendList(HeadBuilder head, DirectRequest request, FieldKind kind, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> ours)
    {
        head.Append(prefix);
        for (var i = 0; i < request.FieldCount; i++)
        {
            if (request[i].Kind == kind)
            {
                head.Append(request.Value(i));
                head.Append(", "u8);
            }
        }

        head.Append(ours);
        head.Append("\r\n"u8);
    }

    private static bool HasValidTrace(DirectRequest request) =>
        request.TraceParentField >= 0 && TraceContext.TryParse(Encoding.ASCII.GetString(request.Value(request.TraceParentField)), null, out _);

    /// <summary>A new trace: <c>traceparent: 00-{trace id}-{span id}-01</c> from random ids.</summary>
    private static void AppendTraceParent(HeadBuilder head)
    {
        Span<byte> ids = stackalloc byte[24];
        Random.Shared.NextBytes(ids);
        ids[0] |= 1; // never the invalid all-zero trace id
        head.Append("traceparent: 00-"u8);
        AppendHex(head, ids[..16]);
        head.Append("-"u8);
        AppendHex(head, ids[16..]);
        head.Append("-01\r\n"u8);
    }

    private static void AppendHex(HeadBuilder head, ReadOnlySpan<byte> bytes)
    {
        Convert.TryToHexStringLower(bytes, head.Reserve(bytes.Length * 2), out var written);
        head.Length += written;
    }

    private static string? SetValue(RouteTransformOptions transforms, string name)
    {
        foreach (var (key, value) in transforms.SetRequestHeaders)
        {
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
