using Google.Protobuf;

namespace Outrigger.Grpc;

/// <summary>Which side streams.</summary>
public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>Common view of a method descriptor, whatever its message types.</summary>
public interface IMethod
{
    MethodType Type { get; }

    /// <summary>The fully qualified service name, e.g. <c>grpc.health.v1.Health</c>.</summary>
    string ServiceName { get; }

    /// <summary>The method's short name, e.g. <c>Check</c>.</summary>
    string Name { get; }

    /// <summary>The HTTP/2 path, <c>/{ServiceName}/{Name}</c>.</summary>
    string FullName { get; }
}

/// <summary>
/// Describes one RPC: its kind, names and the protobuf parsers of its messages. The client and the server both
/// work from these; declare them once per method (as static fields) next to the service.
/// </summary>
public sealed class Method<TRequest, TResponse> : IMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    public Method(MethodType type, string serviceName, string name, MessageParser<TRequest> requestParser, MessageParser<TResponse> responseParser)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(requestParser);
        ArgumentNullException.ThrowIfNull(responseParser);
        Type = type;
        ServiceName = serviceName;
        Name = name;
        FullName = "/" + serviceName + "/" + name;
        RequestParser = requestParser;
        ResponseParser = responseParser;
    }

    public MethodType Type { get; }

    public string ServiceName { get; }

    public string Name { get; }

    public string FullName { get; }

    public MessageParser<TRequest> RequestParser { get; }

    public MessageParser<TResponse> ResponseParser { get; }

    public override string ToString() => FullName;
}
